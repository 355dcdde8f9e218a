"""What a flow run leaves in the bulk-written tables, deleted with it.

``log`` and ``task_run_state`` hold a run's log records and its task runs' state history. They
have no foreign keys (see ``database/models.py``), so the database does not remove their rows
when a flow run goes: every delete of flow runs — one run, a flow's, a project's, the
scheduler's unneeded runs — calls :func:`delete_run_history` first, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from prefect_jupyter.server.database.models import FlowRun, Log, TaskRun, TaskRunState

__all__ = ["delete_run_history"]


def delete_run_history(session: Session, *where: Any) -> None:
    """Delete the log records and task-run state rows of the flow runs matching ``where``
    (conditions on :class:`FlowRun`, as for ``select(FlowRun).where(*where)``)."""
    flow_run_ids = select(FlowRun.id).where(*where)
    task_run_ids = select(TaskRun.id).where(TaskRun.flow_run_id.in_(flow_run_ids))
    for statement in (
        delete(Log).where(Log.flow_run_id.in_(flow_run_ids)),
        delete(TaskRunState).where(TaskRunState.task_run_id.in_(task_run_ids)),
    ):
        session.execute(statement.execution_options(synchronize_session=False))
