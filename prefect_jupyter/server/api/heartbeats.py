"""Heartbeats: runners report that a run is still alive (the zombie killer reads them)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from prefect_jupyter.server.api.common import not_found
from prefect_jupyter.server.database.models import FlowRun, TaskRun, utcnow


def update_flow_run_heartbeat(session: Session, flow_run_id: str) -> None:
    """Record that a flow run's process is alive now."""
    _beat(session, FlowRun, flow_run_id)


def update_task_run_heartbeat(session: Session, task_run_id: str) -> None:
    """Record that a task run is alive now."""
    _beat(session, TaskRun, task_run_id)


def _beat(session: Session, model: type[FlowRun] | type[TaskRun], run_id: str) -> None:
    result = session.execute(
        update(model).where(model.id == run_id).values(heartbeat=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise not_found(model, run_id)
