"""Prefect 1's ``CloudFlowRunner`` and ``CloudTaskRunner`` (``prefect.engine.cloud``).

In Prefect 1 these runners talked to the server themselves. Here a flow run of the server is
executed by :func:`~prefect_jupyter.backend.execution.execute_flow_run` — the ordinary runners
with a reporter observing them — and ``CloudFlowRunner`` is that, for a flow its caller has loaded
already (a custom execution script: ``CloudFlowRunner(flow=flow).run(executor=...)``).
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.backend.execution import execute_flow_run, flow_run_id_from_env
from prefect_jupyter.context import context as current_context
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.engine.state import State
from prefect_jupyter.engine.task_runner import TaskRunner

__all__ = ["CloudFlowRunner", "CloudTaskRunner"]


class CloudTaskRunner(TaskRunner):
    """The task runner of a :class:`CloudFlowRunner`'s task runs: the ordinary ``TaskRunner``.

    Their states reach the server through the flow run's reporter, not through the task runner;
    used on its own, outside a ``CloudFlowRunner`` run, it reports nothing to the server.
    """


class CloudFlowRunner(FlowRunner):
    """Run one flow run of the server with ``flow``, reporting every state and log to the server.

    The flow run's id comes from ``context={"flow_run_id": ...}``, else ``prefect_jupyter.context``,
    else the environment (``PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID`` or Prefect 1's
    ``PREFECT__CONTEXT__FLOW_RUN_ID``); its parameters, context and earlier task states come
    from the server, as for an agent's run (see ``backend/execution.py``).
    """

    def __init__(self, flow: Any, state_handlers: Any = None, client: Any = None) -> None:
        super().__init__(flow, task_runner_cls=CloudTaskRunner, state_handlers=state_handlers)
        self.client = client

    def run(  # type: ignore[override]
        self, state: State | None = None, task_states: Any = None, return_tasks: Any = None,
        parameters: dict[str, Any] | None = None, task_runner_state_handlers: Any = None,
        executor: Any = None, context: dict[str, Any] | None = None, task_contexts: Any = None,
    ) -> State | None:
        """Execute the flow run; returns its final state (``None`` if another process has it).

        Raises:
            ValueError: no flow run id is known, or ``parameters`` are given (a server's run
                takes the parameters it was created with).
        """
        flow_run_id = ((context or {}).get("flow_run_id") or current_context.get("flow_run_id")
                       or flow_run_id_from_env())
        if not flow_run_id:
            raise ValueError(
                "CloudFlowRunner runs a flow run of the server, and none is given: pass "
                "context={'flow_run_id': ...} or set PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID. "
                "To run the flow without a server, use flow.run()."
            )
        if parameters:
            raise ValueError(
                "A flow run of the server runs with the parameters it was created with; create "
                "the run with these parameters instead (Client().create_flow_run(flow_id, "
                "parameters=...)) and do not pass them to CloudFlowRunner.run."
            )
        return execute_flow_run(flow_run_id, client=self.client, flow=self.flow,
                                executor=executor, state_handlers=self.state_handlers)
