"""Restarting a failed flow run from its failure (``restart_flow_run``).

As Prefect 1's UI did it: the flow run goes back to ``Scheduled`` (so an agent picks it up) and
the task runs that must run again go back to ``Pending``:

- every task run that did not succeed — ``Failed`` (and ``TimedOut``, ``TriggerFailed``...),
  ``Cancelled``, ``Looped``, or left unfinished (``Running``, ``Retrying``...) when the run ended;
  a mapped task with any such child counts as a whole (its parent and all its children);
- every task run downstream of those, whatever its state (a task that ran only *because* of the
  failure, e.g. with an ``any_failed`` trigger, must run again too).

Successful task runs keep their state, and with it the location of their persisted result;
the flow-run process reuses both (``backend/restore.py``) instead of running those tasks
again. A successful task whose result was *not* persisted (no ``Result``, or checkpointing off)
runs again when a task that reruns needs its value: the process finds that out and resets it.

Every change goes through the transition table of ``api/states.py``. Moves the table lacks
for a direct reset (Running → Pending, Looped → Pending) are made in two steps through
``Failed``, which also records in the history that the run was cut short.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prefect_jupyter.engine import state as state_module
from prefect_jupyter.engine import state_sets
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.api import states
from prefect_jupyter.server.database import dialects
from prefect_jupyter.server.database.models import Edge, FlowRun, TaskRun, utcnow
from prefect_jupyter.server.errors import InvalidInput

#: Task-run states kept by a restart (the task succeeded, or has not run yet).
KEPT_STATES = state_sets.SUCCESSFUL | {"Pending"}

RESET_MESSAGE = "Reset to run again by a restart of its flow run."


def restart_flow_run(session: Session, flow_run_id: str) -> dict[str, Any]:
    """Reschedule a failed flow run to run again from its failed task runs (see module doc).

    Returns:
        ``{"id", "state", "reset_task_run_ids"}``: the run's id, its new state and the task
        runs set back to ``Pending``.

    Raises:
        NotFound: an unknown flow run.
        InvalidInput: the run has not failed (it runs, succeeded, or was cancelled).
    """
    run = states.lock_run(session, "flow_run", flow_run_id)
    _check_restartable(run)
    task_runs = list(
        session.execute(
            dialects.for_update(
                select(TaskRun)
                .where(TaskRun.flow_run_id == run.id)
                .order_by(TaskRun.id),
                session.get_bind().dialect.name,
            )
        ).scalars()
    )
    failed = {tr.task_id for tr in task_runs if tr.state not in KEPT_STATES}
    to_reset = _downstream(session, run.flow_id, failed)
    reset = []
    for task_run in task_runs:
        if task_run.task_id in to_reset and task_run.state != "Pending":
            _reset(session, task_run)
            reset.append(task_run.id)
    rescheduled = state_module.Scheduled(
        f"Restarted from failure: {len(reset)} task run(s) will run again.", start_time=utcnow()
    )
    states.set_run_state(session, run, rescheduled, state_to_dict(rescheduled))
    session.flush()
    return {"id": run.id, "state": run.state, "reset_task_run_ids": reset}


def _check_restartable(run: FlowRun | TaskRun) -> None:
    cls = getattr(state_module, run.state or "", None)
    if isinstance(cls, type) and issubclass(cls, state_module.Failed):
        return
    if cls is state_module.Cancelled:
        why = "it was cancelled, and a cancelled run stays cancelled"
    elif isinstance(cls, type) and issubclass(cls, state_module.Success):
        why = "it succeeded, so there is nothing to run again"
    else:
        why = "it has not finished; wait for it to end (or cancel it)"
    raise InvalidInput(
        f"Flow run {run.id} is {run.state} and cannot be restarted: {why}. Only a failed run "
        "restarts from its failure; start a new run with `prefect-jupyter run --id FLOW_ID`."
    )


def _downstream(session: Session, flow_id: str, task_ids: set[str]) -> set[str]:
    """``task_ids`` and every task downstream of them in the flow's graph."""
    children: dict[str, list[str]] = {}
    edges = session.execute(
        select(Edge.upstream_task_id, Edge.downstream_task_id).where(Edge.flow_id == flow_id)
    )
    for upstream, downstream in edges:
        children.setdefault(upstream, []).append(downstream)
    found = set(task_ids)
    todo = list(task_ids)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _reset(session: Session, task_run: TaskRun) -> None:
    """Set a task run back to Pending (through Failed when the table has no direct move)."""
    pending = state_module.Pending(RESET_MESSAGE)
    kind = states.kind_of(task_run.state)
    if kind is not None and (kind, states.Kind.PENDING) not in states.TRANSITIONS:
        cut_short = state_module.Failed(
            f"Task run was still {task_run.state} when its flow run ended; it runs again after "
            "the restart."
        )
        states.set_run_state(session, task_run, cut_short, state_to_dict(cut_short))
    states.set_run_state(session, task_run, pending, state_to_dict(pending))
