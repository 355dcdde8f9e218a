"""Flow runs: creating them (with parameter checks), cancelling, deleting, and the run queue."""

from __future__ import annotations

import datetime
import random
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from prefect_jupyter.engine.state import Cancelled, Cancelling, Pending, Scheduled
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.api import flow_groups, states
from prefect_jupyter.server.api.common import get_or_404, not_found, rename
from prefect_jupyter.server.api.run_history import delete_run_history
from prefect_jupyter.server.database import dialects
from prefect_jupyter.server.database.models import Agent, Flow, FlowRun, Task, TaskRun, utcnow
from prefect_jupyter.server.errors import InvalidInput

_ADJECTIVES = (
    "amber", "brave", "calm", "daring", "eager", "fancy", "gentle", "happy", "icy", "jolly",
    "keen", "lively", "mellow", "nimble", "odd", "proud", "quick", "rosy", "shy", "tidy",
    "vivid", "witty", "young", "zesty",
)
_ANIMALS = (
    "badger", "camel", "dingo", "eagle", "ferret", "gecko", "heron", "ibis", "jackal", "koala",
    "lemur", "marmot", "newt", "otter", "panda", "quail", "raven", "seal", "tapir", "urchin",
    "vole", "walrus", "yak", "zebra",
)


def run_name() -> str:
    """A readable name for a run, e.g. ``'brave-otter'``."""
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_ANIMALS)}"


def create_flow_run(
    session: Session,
    flow_id: str | None = None,
    version_group_id: str | None = None,
    parameters: Any = None,
    context: Any = None,
    labels: list[str] | None = None,
    scheduled_start_time: datetime.datetime | None = None,
    idempotency_key: str | None = None,
    flow_run_name: str | None = None,
    run_config: dict[str, Any] | None = None,
) -> str:
    """Schedule a run of a flow (or of a version group's current version) and return its id.

    The run starts ``Scheduled`` at ``scheduled_start_time`` (default: now), with one
    ``Pending`` task run per task. A second call with the same ``idempotency_key`` for the same
    flow returns the first run's id and creates nothing. Its labels, unless given: those of
    ``run_config`` (Prefect 1's) when given, else the flow group's or flow's
    (:func:`~prefect_jupyter.server.api.flow_groups.run_labels`), as Prefect Server 1 chose.
    Its parameters: the given ones over the flow group's default parameters; its run config:
    the given one, else the group's, else the flow's.

    Raises:
        InvalidInput: neither id given, an archived flow, unknown or missing parameters.
        NotFound: unknown flow id, or a version group without unarchived versions.
    """
    if idempotency_key is not None:
        dialects.advisory_lock(session, f"flow_run:{idempotency_key}")
        existing = _run_with_key(session, idempotency_key, flow_id, version_group_id)
        if existing is not None:
            return existing
    flow = _flow_to_run(session, flow_id, version_group_id)
    group_parameters, group_run_config = flow_groups.run_defaults(session, flow)
    parameters = check_parameters(flow, parameters, group_parameters)
    if context is not None and not isinstance(context, dict):
        raise InvalidInput(f"context must be a JSON object, not {context!r}.")
    start = scheduled_start_time or utcnow()
    run = FlowRun(
        flow_id=flow.id,
        name=flow_run_name or run_name(),
        parameters=parameters,
        context=context or {},
        labels=_run_labels(session, flow, labels, run_config),
        run_config=next((c for c in (run_config, group_run_config) if c is not None),
                        (flow.serialized_flow or {}).get("run_config")),
        scheduled_start_time=start,
        idempotency_key=idempotency_key,
    )
    session.add(run)
    states.start_new_run(session, run, Scheduled("Flow run scheduled.", start_time=start))
    session.flush()
    tasks = session.execute(select(Task.id, Task.cache_key).where(Task.flow_id == flow.id))
    for task_id, cache_key in tasks:
        task_run = TaskRun(flow_run_id=run.id, task_id=task_id, map_index=-1, cache_key=cache_key)
        session.add(task_run)
        states.start_new_run(session, task_run, Pending(states.CREATED))
    session.flush()
    return run.id


def _run_labels(
    session: Session, flow: Flow, labels: list[str] | None, run_config: Any
) -> list[str]:
    if run_config is not None and not isinstance(run_config, dict):
        raise InvalidInput(f"run_config must be a JSON object (RunConfig.serialize()), not {run_config!r}.")
    if labels is None and run_config is not None and run_config.get("labels") is not None:
        labels = run_config["labels"]
    return sorted(set(labels)) if labels is not None else flow_groups.run_labels(session, flow)


def _run_with_key(
    session: Session, key: str, flow_id: str | None, version_group_id: str | None
) -> str | None:
    stmt = select(FlowRun.id).where(FlowRun.idempotency_key == key)
    if flow_id is not None:
        stmt = stmt.where(FlowRun.flow_id == flow_id)
    if version_group_id is not None:
        stmt = stmt.where(FlowRun.flow.has(Flow.version_group_id == version_group_id))
    return session.execute(stmt.order_by(FlowRun.created.desc()).limit(1)).scalar()


def _flow_to_run(session: Session, flow_id: str | None, version_group_id: str | None) -> Flow:
    if flow_id is None and version_group_id is None:
        raise InvalidInput("create_flow_run needs a flow_id or a version_group_id.")
    if flow_id is not None:
        flow = get_or_404(session, Flow, flow_id)
    else:
        flow = session.execute(
            select(Flow)
            .where(Flow.version_group_id == version_group_id, Flow.archived.is_(False))
            .order_by(Flow.version.desc())
            .limit(1)
        ).scalar()
        if flow is None:
            raise not_found(Flow, f"of version group {version_group_id} (unarchived)")
    if flow.archived:
        raise InvalidInput(
            f"Flow {flow.id} ({flow.name!r} version {flow.version}) is archived and cannot be "
            f"run: run the latest version (version_group_id {flow.version_group_id!r}) instead."
        )
    return flow


def check_parameters(
    flow: Flow, parameters: Any, defaults: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``parameters`` over ``defaults`` (the flow group's), if they fit ``flow``'s declared
    parameters: a default counts for a required one.

    Raises:
        InvalidInput: naming every unknown and every missing required parameter.
    """
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise InvalidInput(f"parameters must be a JSON object of name: value, not {parameters!r}.")
    declared = {p["name"]: p for p in flow.parameters or []}
    unknown = sorted(set(parameters) - set(declared))
    parameters = {**(defaults or {}), **parameters}
    missing = sorted(n for n, p in declared.items() if p.get("required") and n not in parameters)
    problems = []
    if unknown:
        problems.append(f"unknown parameter(s) {', '.join(map(repr, unknown))}")
    if missing:
        problems.append(f"missing required parameter(s) {', '.join(map(repr, missing))}")
    if problems:
        names = ", ".join(map(repr, declared)) or "none"
        raise InvalidInput(
            f"Flow {flow.name!r} (version {flow.version}) cannot run: {'; '.join(problems)}. "
            f"Its parameters are: {names}."
        )
    return parameters


def cancel_flow_run(session: Session, flow_run_id: str) -> str:
    """Cancel a run that has not finished and return its new state's name.

    A running run becomes ``Cancelling`` (its runner stops it, then reports ``Cancelled``);
    any other unfinished run becomes ``Cancelled`` at once, with its unfinished task runs.
    A finished run is left as it is.
    """
    run = states.lock_run(session, "flow_run", flow_run_id)
    kind = states.kind_of(run.state)
    if kind in (states.Kind.FINISHED, states.Kind.CANCELLED, states.Kind.CANCELLING):
        return run.state or ""
    new = (
        Cancelling("Flow run is cancelling")
        if kind is states.Kind.RUNNING
        else Cancelled("Flow run is cancelled")
    )
    states.set_run_state(session, run, new, state_to_dict(new))
    if isinstance(new, Cancelled):
        states.cancel_unfinished_task_runs(session, run.id)
    session.flush()
    return run.state or ""


def set_flow_run_name(session: Session, flow_run_id: str, name: str) -> None:
    """Rename a flow run.

    Raises:
        InvalidInput: for an empty name or one longer than the column holds.
    """
    rename(session, FlowRun, flow_run_id, name)


def delete_flow_run(session: Session, flow_run_id: str) -> None:
    """Delete a flow run with its task runs, states and logs."""
    get_or_404(session, FlowRun, flow_run_id)
    delete_run_history(session, FlowRun.id == flow_run_id)
    session.execute(delete(FlowRun).where(FlowRun.id == flow_run_id))


def get_runs_in_queue(
    session: Session,
    before: datetime.datetime | None = None,
    labels: list[str] | None = None,
    agent_id: str | None = None,
) -> list[str]:
    """Ids of the flow runs an agent with ``labels`` should start now, oldest first.

    A run is ready when it is Scheduled/Retrying/Resume/Queued with a start time at or before
    ``before`` (default now), or Running with such a task run (a resumed or retried task of a
    run whose process ended). Only runs whose labels are all among ``labels`` qualify (an
    unlabelled run suits every agent). Asking with an ``agent_id`` of a known agent records
    when it last asked.
    """
    before = before or utcnow()
    dialect = session.get_bind().dialect.name
    suits = dialects.labels_subset_of(FlowRun.labels, list(labels or []), dialect)
    # a run whose row another transaction is changing right now (an agent submitting it) is
    # skipped rather than waited for: it is being claimed
    due_runs = select(FlowRun.id, FlowRun.state_start_time).where(
        FlowRun.state.in_(states.RUNNABLE_SCHEDULED_STATES),
        FlowRun.state_start_time <= before,
        suits,
    )
    due = session.execute(dialects.for_update(due_runs, dialect, skip_locked=True, of=FlowRun)).all()
    task_due = (
        select(func.min(TaskRun.state_start_time))
        .where(
            TaskRun.flow_run_id == FlowRun.id,
            TaskRun.state.in_(states.RUNNABLE_SCHEDULED_STATES),
            TaskRun.state_start_time <= before,
        )
        .scalar_subquery()
    )
    resumed = session.execute(
        select(FlowRun.id, task_due).where(
            FlowRun.state == "Running", task_due.is_not(None), suits
        )
    ).all()
    if agent_id is not None:
        session.execute(update(Agent).where(Agent.id == agent_id).values(last_queried=utcnow()))
    ready = sorted(due + resumed, key=lambda row: (row[1] or before, row[0]))
    return [row[0] for row in ready]
