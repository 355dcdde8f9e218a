"""Running a flow run for the server: load it, run it here, report every change as it happens.

Prefect 1 did this with ``CloudFlowRunner``/``CloudTaskRunner`` subclasses that called the API
from inside the runners. Here the runners stay as they are; the reporting is an observer of the
run's state-event stream (:class:`~prefect_jupyter.backend.reporter.RunReporter`), and
:func:`~prefect_jupyter.backend.execution.execute_flow_run` wires the two together.

Reports the server could not take before the run ended are spooled to disk and delivered later
(:mod:`~prefect_jupyter.backend.spool`); a rerun reuses finished task runs
(:mod:`~prefect_jupyter.backend.restore`).

This package sits above ``engine`` and ``client``: it uses both, and neither imports it.
``python -m prefect_jupyter.backend --id RUN_ID`` is the process an agent starts for each run.

``FlowView``, ``FlowRunView``, ``TaskRunView`` and ``watch_flow_run`` are Prefect 1's read-only
views of what the server knows (used by the flow-of-flows tasks in ``tasks.prefect``).
``create_markdown_artifact`` and its siblings publish artifacts of a task run
(:mod:`~prefect_jupyter.backend.artifacts`); the key-value store functions are Prefect Cloud's
and raise here, as on Prefect Server (:mod:`~prefect_jupyter.backend.kv_store`).
"""

from prefect_jupyter.backend.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    delete_artifact,
    update_link_artifact,
    update_markdown_artifact,
)
from prefect_jupyter.backend.flow import FlowView
from prefect_jupyter.backend.flow_run import FlowRunLog, FlowRunView, watch_flow_run
from prefect_jupyter.backend.kv_store import delete_key, get_key_value, list_keys, set_key_value
from prefect_jupyter.backend.reporter import RunReporter
from prefect_jupyter.backend.task_run import TaskRunView

__all__ = [
    "FlowRunLog",
    "FlowRunView",
    "FlowView",
    "RunReporter",
    "TaskRunView",
    "create_link_artifact",
    "create_markdown_artifact",
    "delete_artifact",
    "delete_key",
    "execute_flow_run",
    "get_key_value",
    "list_keys",
    "set_key_value",
    "update_link_artifact",
    "update_markdown_artifact",
    "watch_flow_run",
]


def __getattr__(name: str):  # the client (httpx) loads only when a run is executed
    if name == "execute_flow_run":
        from prefect_jupyter.backend.execution import execute_flow_run

        return execute_flow_run
    raise AttributeError(name)
