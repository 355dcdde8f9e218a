"""``CancelFlowRun``: cancel a flow run on the server."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.client import Client
from prefect_jupyter.context import context
from prefect_jupyter.core.task import Task
from prefect_jupyter.utilities.tasks import defaults_from_attrs

__all__ = ["CancelFlowRun"]


class CancelFlowRun(Task):
    """Cancel a flow run (by default the one this task runs in).

    Args:
        flow_run_id: the run to cancel; defaults to ``context.flow_run_id``.
        **kwargs: passed on to `Task`.
    """

    def __init__(self, flow_run_id: str | None = None, **kwargs: Any) -> None:
        self.flow_run_id = flow_run_id
        super().__init__(**kwargs)

    @defaults_from_attrs("flow_run_id")
    def run(self, flow_run_id: str | None = None) -> Any:
        """Ask the server to cancel the run; returns the server's answer.

        Raises:
            ValueError: no flow run id, given or in context.
        """
        flow_run_id = flow_run_id or context.get("flow_run_id")
        if not flow_run_id:
            raise ValueError(
                "Can't cancel a flow run without flow run ID: pass flow_run_id=... (or run this "
                "task in a flow run on the server)."
            )
        return Client().cancel_flow_run(flow_run_id)
