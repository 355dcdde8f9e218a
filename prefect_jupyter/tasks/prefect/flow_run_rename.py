"""``RenameFlowRun``: give a flow run on the server a new name."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.client import Client
from prefect_jupyter.context import context
from prefect_jupyter.core.task import Task
from prefect_jupyter.utilities.tasks import defaults_from_attrs

__all__ = ["RenameFlowRun"]


class RenameFlowRun(Task):
    """Rename a flow run (by default the one this task runs in).

    Args:
        flow_run_id: the run to rename; defaults to ``context.flow_run_id``.
        flow_run_name: the new name.
        **kwargs: passed on to `Task`.
    """

    def __init__(
        self, flow_run_id: str | None = None, flow_run_name: str | None = None, **kwargs: Any
    ) -> None:
        self.flow_run_id = flow_run_id
        self.flow_run_name = flow_run_name
        super().__init__(**kwargs)

    @defaults_from_attrs("flow_run_id", "flow_run_name")
    def run(self, flow_run_id: str | None = None, flow_run_name: str | None = None) -> bool:
        """Rename the run.

        Raises:
            ValueError: no flow run id (given or in context) or no new name.
        """
        flow_run_id = flow_run_id or context.get("flow_run_id")
        if not flow_run_id:
            raise ValueError("`flow_run_id` must be explicitly provided or available in the context")
        if flow_run_name is None:
            raise ValueError("Must provide a flow name.")
        return Client().set_flow_run_name(flow_run_id, flow_run_name)
