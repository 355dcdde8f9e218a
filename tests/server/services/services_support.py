"""Helpers of the service tests: runs in a given state whose heartbeats stopped long ago."""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import update

from prefect_jupyter.engine import state as s
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.database.models import FlowRun, TaskRun, utcnow


def started_run(api: Any, make_flow: Any, tasks: dict[str, s.State], flow_state: s.State | None = None,
                **task_settings: Any) -> tuple[str, dict[str, str]]:
    """A flow run set Running, its task runs in ``tasks``; returns (run id, task run id by name).

    ``task_settings`` (e.g. ``max_retries=2``) apply to every task of the flow.
    """
    flow = make_flow(tasks=list(tasks), edges=[])
    for task in flow["tasks"]:
        task.update(task_settings)
    run_id = api.create_flow_run(api.register(flow))
    ids = {t["task"]["slug"].removesuffix("-1"): t["id"] for t in api.task_runs(run_id)}
    must(api.set_flow_run_state(run_id, state_to_dict(s.Running("Running flow."))))
    for name, state in tasks.items():
        if type(state) is not s.Pending:
            must(api.set_task_run_state(ids[name], state_to_dict(state)))
    if flow_state is not None:
        must(api.set_flow_run_state(run_id, state_to_dict(flow_state)))
    return run_id, ids


def must(response: Any) -> None:
    body = response.json()
    assert "errors" not in body, body


def go_silent(app: Any, run_id: str, seconds_ago: float = 600.0,
              task_runs_too: bool = True) -> None:
    """Put the flow run's (and its task runs') last heartbeat ``seconds_ago`` in the past."""
    when = utcnow() - datetime.timedelta(seconds=seconds_ago)
    with app.state.database.write_session() as session:
        session.execute(update(FlowRun).where(FlowRun.id == run_id).values(heartbeat=when))
        if task_runs_too:
            session.execute(
                update(TaskRun).where(TaskRun.flow_run_id == run_id).values(heartbeat=when)
            )


def logs_of(api: Any, run_id: str) -> list[dict[str, Any]]:
    return api.rows("log", {"flow_run_id": {"_eq": run_id}}, "name level message task_run_id",
                    order_by=[{"timestamp": "asc"}])
