"""Run logs: written in batches by runners, read through the ``log`` query."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prefect_jupyter.server.api.common import not_found
from prefect_jupyter.server.database import bulk, dialects
from prefect_jupyter.server.database.models import FlowRun, Log, TaskRun, new_ids, utcnow
from prefect_jupyter.server.errors import InvalidInput

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def write_run_logs(
    session: Session, logs: list[dict[str, Any]], known: Mapping[str, str] | None = None
) -> int:
    """Store log records ``{flow_run_id, task_run_id?, timestamp?, name, level, message, info}``.

    Every id is checked before anything is written; a record without a timestamp gets now.

    Args:
        known: task runs the caller checked already in this transaction, with their flow
            runs (a runner's report: the task runs its states named), not read again.

    Returns:
        the number of records written.

    Raises:
        NotFound: a flow run or task run id that names nothing.
        InvalidInput: an unknown level, or a task run of another flow run.
    """
    if not logs:
        return 0
    _check_runs(session, logs, known or {})
    now = utcnow()
    # a runner's report names its records; the others get ids here
    made = iter(new_ids(sum(1 for record in logs if not record.get("id"))))
    rows = []
    for record in logs:
        level = (record.get("level") or "INFO").upper()
        if level not in LEVELS:
            raise InvalidInput(f"Unknown log level {level!r}; use one of {', '.join(LEVELS)}.")
        rows.append({
            "id": record.get("id") or next(made),
            "flow_run_id": record["flow_run_id"],
            "task_run_id": record.get("task_run_id"),
            "timestamp": record.get("timestamp") or now,
            "level": level,
            "name": record.get("name"),
            "message": record.get("message"),
            "info": record.get("info"),
        })
    try:
        bulk.insert_many(session, Log.__table__, rows)
    except Exception as exc:
        if not dialects.is_integrity_error(session, exc):
            raise
        raise InvalidInput(
            "A log record's id is taken by a stored record: give each record a new UUID (a "
            "runner whose report's answer was lost asks for its first record's id before "
            "sending it again)."
        ) from exc
    return len(rows)


def _check_runs(session: Session, logs: list[dict[str, Any]], known: Mapping[str, str]) -> None:
    flow_run_ids = {record["flow_run_id"] for record in logs} - set(known.values())
    if flow_run_ids:
        found = set(session.execute(
            select(FlowRun.id).where(FlowRun.id.in_(flow_run_ids))).scalars())
        for run_id in sorted(flow_run_ids - found):
            raise not_found(FlowRun, run_id)
    task_run_ids = {r["task_run_id"] for r in logs if r.get("task_run_id")}
    if not task_run_ids:
        return
    owners = dict(known)
    unknown = task_run_ids - owners.keys()
    if unknown:
        dialect_name = session.get_bind().dialect.name
        owners.update(session.execute(
            select(TaskRun.id, TaskRun.flow_run_id)
            .where(dialects.one_of(TaskRun.id, unknown, dialect_name))).all())
    for record in logs:
        task_run_id = record.get("task_run_id")
        if task_run_id and task_run_id not in owners:
            raise not_found(TaskRun, task_run_id)
        if task_run_id and owners[task_run_id] != record["flow_run_id"]:
            raise InvalidInput(
                f"Log record for task run {task_run_id} names flow run "
                f"{record['flow_run_id']}, but the task run belongs to flow run "
                f"{owners[task_run_id]}."
            )
