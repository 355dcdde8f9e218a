"""Tasks that drive the server: flows of flows, renaming and cancelling flow runs.

``create_flow_run`` starts a registered flow, ``wait_for_flow_run`` follows it (streaming its
states and logs into the parent's logs) and ``get_task_run_result`` reads one of its task
results; ``StartFlowRun`` is Prefect 1's older all-in-one task.

Example:
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.tasks.prefect import create_flow_run, wait_for_flow_run
    >>> with Flow("parent") as parent:
    ...     child = create_flow_run(flow_name="child", project_name="demo")
    ...     done = wait_for_flow_run(child, raise_final_state=True, stream_logs=True)
"""

from prefect_jupyter.tasks.prefect.flow_run import (
    StartFlowRun,
    create_flow_run,
    get_task_run_result,
    wait_for_flow_run,
)
from prefect_jupyter.tasks.prefect.flow_run_cancel import CancelFlowRun
from prefect_jupyter.tasks.prefect.flow_run_rename import RenameFlowRun

__all__ = [
    "CancelFlowRun",
    "RenameFlowRun",
    "StartFlowRun",
    "create_flow_run",
    "get_task_run_result",
    "wait_for_flow_run",
]
