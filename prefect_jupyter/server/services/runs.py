"""What the zombie killer and Lazarus share: when a run was last heard of, and their logs."""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from prefect_jupyter.server.api.logs import write_run_logs
from prefect_jupyter.server.database.models import FlowRun, TaskRun


def last_heard(model: type[FlowRun] | type[TaskRun]) -> Any:
    """SQL for when a run last showed it is alive: its heartbeat, else its last state change."""
    return func.coalesce(model.heartbeat, model.state_timestamp, model.updated)


def is_silent(run: FlowRun | TaskRun, cutoff: datetime.datetime) -> bool:
    """The same test in Python, for re-checking a row once it is locked."""
    heard = run.heartbeat or run.state_timestamp or run.updated
    return heard is None or heard <= cutoff


def write_log(
    session: Session,
    service: str,
    flow_run_id: str,
    message: str,
    level: str = "ERROR",
    task_run_id: str | None = None,
) -> None:
    """Store one log record with the run, so its logs say what the service did and why."""
    write_run_logs(session, [{
        "flow_run_id": flow_run_id,
        "task_run_id": task_run_id,
        "name": f"prefect_jupyter.server.services.{service}",
        "level": level,
        "message": message,
    }])
