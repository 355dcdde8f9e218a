"""Run state changes: THE table of allowed transitions, version checks, and history rows.

Every state a flow run or task run takes on the server goes through :func:`set_run_state`.
It checks, in this order:

1. the run exists (:class:`NotFound`);
2. the writer's ``version`` is the run's current one, when a version is given — a writer that
   read the run before someone else changed it is *stale* and is refused
   (:class:`StaleVersion`), so two agents or two runners cannot both move one run forward;
3. the new state parses (``state_schema.state_from_dict``);
4. ``(current kind, new kind)`` is in :data:`TRANSITIONS` (:class:`InvalidTransition`).

Then it bumps ``version``, copies the state onto the run row (``state``, ``state_message``,
``serialized_state``, ``state_timestamp``, ``state_start_time``), sets ``start_time`` when the
run first starts running and ``end_time`` when it finishes (cleared again on a retry or
restart), and appends one history row (``flow_run_state`` / ``task_run_state``).

States are grouped into *kinds* by class (a ``Retrying`` is a ``Scheduled``, a ``TimedOut`` is
``Finished``...). The table below is the whole policy; each entry says why the move exists.

============  =====================================================================
from          allowed to
============  =====================================================================
(none)        anything (the first state of a run)
PENDING       PENDING SCHEDULED SUBMITTED QUEUED RUNNING LOOPED FINISHED CANCELLED
SCHEDULED     PENDING SCHEDULED SUBMITTED QUEUED RUNNING LOOPED FINISHED CANCELLED
SUBMITTED     PENDING SCHEDULED SUBMITTED QUEUED RUNNING FINISHED CANCELLED
QUEUED        PENDING SCHEDULED SUBMITTED QUEUED RUNNING FINISHED CANCELLED
RUNNING       SCHEDULED QUEUED RUNNING CANCELLING LOOPED FINISHED CANCELLED
CANCELLING    CANCELLING FINISHED CANCELLED
LOOPED        SCHEDULED RUNNING LOOPED FINISHED CANCELLED
FINISHED      PENDING SCHEDULED (a retry or a restart)
CANCELLED     PENDING (a restart reruns a cancelled task run; nothing else)
============  =====================================================================

A task run may only become RUNNING while its flow run is ``Running`` (not ``Cancelling``):
this is how a cancelled flow run stops its tasks from starting.
"""

from __future__ import annotations

import datetime
import enum
import functools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prefect_jupyter.engine import state as state_module
from prefect_jupyter.engine import state_sets
from prefect_jupyter.engine.state_schema import state_from_dict, state_to_dict
from prefect_jupyter.server.database import bulk, dialects
from prefect_jupyter.server.database.models import (
    FlowRun,
    FlowRunState,
    TaskRun,
    TaskRunState,
    new_id,
    new_ids,
    utcnow,
)
from prefect_jupyter.server.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
    StaleVersion,
)


class Kind(enum.Enum):
    """What a state means for the transition table."""

    PENDING = "Pending"
    SCHEDULED = "Scheduled"
    SUBMITTED = "Submitted"
    QUEUED = "Queued"
    RUNNING = "Running"
    CANCELLING = "Cancelling"
    LOOPED = "Looped"
    FINISHED = "Finished"
    CANCELLED = "Cancelled"


# Most specific class first: a Cancelling is a Running, a Looped and a Cancelled are Finished.
_KIND_OF_CLASS: tuple[tuple[type, Kind], ...] = (
    (state_module.Cancelled, Kind.CANCELLED),
    (state_module.Looped, Kind.LOOPED),
    (state_module.Finished, Kind.FINISHED),
    (state_module.Cancelling, Kind.CANCELLING),
    (state_module.Running, Kind.RUNNING),
    (state_module.Submitted, Kind.SUBMITTED),
    (state_module.Queued, Kind.QUEUED),
    (state_module.Scheduled, Kind.SCHEDULED),
    (state_module.Pending, Kind.PENDING),
)

_P, _S, _SUB, _Q, _R, _CING, _L, _F, _C = Kind

#: (from, to) -> why this move exists. A pair missing from the table is refused.
TRANSITIONS: dict[tuple[Kind, Kind], str] = {
    **{(_P, to): "start, schedule or skip a run that has not started" for to in
       (_P, _S, _SUB, _Q, _R, _L, _F, _C)},
    **{(_S, to): "a scheduled run is due, rescheduled, resumed, skipped or cancelled" for to in
       (_P, _S, _SUB, _Q, _R, _L, _F, _C)},
    **{(_SUB, to): "an agent submitted the run; it starts, fails to start, or is rescheduled"
       for to in (_P, _S, _SUB, _Q, _R, _F, _C)},
    **{(_Q, to): "a queued run got (or still waits for) a slot" for to in
       (_P, _S, _SUB, _Q, _R, _F, _C)},
    (_R, _S): "a running task retries, pauses, or waits for a later start",
    (_R, _Q): "a running run waits for a concurrency slot",
    (_R, _R): "a runner confirms the run is running (e.g. after a resubmission)",
    (_R, _CING): "cancellation was requested while the run was running",
    (_R, _L): "one iteration of a looping task ended",
    (_R, _F): "the run ended",
    (_R, _C): "the run was stopped",
    (_CING, _CING): "cancellation was requested again",
    (_CING, _F): "the run ended before the cancellation took effect",
    (_CING, _C): "the cancellation took effect",
    (_L, _S): "a looping task waits before its next iteration",
    (_L, _R): "the next iteration of a looping task starts",
    (_L, _L): "the next iteration of a looping task ended",
    (_L, _F): "a looping task ended",
    (_L, _C): "a looping task was stopped",
    (_F, _P): "a finished run is restarted",
    (_F, _S): "a failed task retries, or a finished run is rescheduled",
    # added with restart_flow_run (api/restart.py): a cancelled task run of a failed flow run
    # (e.g. cut short when its agent stopped) must be able to run again. Only Pending: a stale
    # runner never reports Pending for a run it started, so it still cannot revive one.
    (_C, _P): "a restart reruns a cancelled task run",
}

#: (from, to) state names allowed beside :data:`TRANSITIONS`, between two finished states
FINISHED_MOVES: dict[tuple[str, str], str] = {
    ("Success", "Cached"): "a task with cache_for keeps its success as a cache for later runs",
}

#: Scheduled-kind states an agent may pick up (a ``Paused`` run waits for a person instead).
RUNNABLE_SCHEDULED_STATES = tuple(sorted(state_sets.RUNNABLE_SCHEDULED))

#: The names of the finished state classes, for filters on the ``state`` column.
FINISHED_STATES = tuple(sorted(state_sets.FINISHED))


def kind_of(state: state_module.State | str | None) -> Kind | None:
    """The transition-table kind of a state (or of a state class name); ``None`` for none."""
    if state is None:
        return None
    if isinstance(state, str):
        return _kind_of_name(state)
    return _kind_of_class(type(state))


@functools.lru_cache(maxsize=128)  # bounded: names come from clients too
def _kind_of_name(name: str) -> Kind | None:
    cls = getattr(state_module, name, None) if name in state_module.__all__ else None
    return _kind_of_class(cls) if isinstance(cls, type) else None


@functools.cache
def _kind_of_class(cls: type) -> Kind | None:
    # cached: a batch of hundreds of states asks this several times per state
    for base, kind in _KIND_OF_CLASS:
        if issubclass(cls, base):
            return kind
    return None


def allowed_targets(current: Kind) -> list[str]:
    """The kinds a run in ``current`` may move to, for error messages."""
    return [to.value for (frm, to) in TRANSITIONS if frm is current]


def parse_state(data: Any) -> state_module.State:
    """The engine state ``data`` (``state_to_dict``'s format) describes.

    Not to be changed by the caller: a state of the common plain shape (a type, a message, a
    context, no result location and no other field) is made once per type and message and
    shared — a mapped run's report carries thousands of the same few.

    Raises:
        InvalidInput: when ``data`` is not such a dict, with what is wrong.
    """
    if not isinstance(data, dict):
        raise InvalidInput(
            f"A state must be a JSON object made by state_to_dict (with a 'type'), not {data!r}."
        )
    name = data.get("type")
    if kind_of(name) is None:
        known = ", ".join(n for n in state_module.__all__ if kind_of(n) is not None)
        raise InvalidInput(f"Unknown state type {name!r}; expected one of {known}.")
    message = data.get("message")
    if type(message) is str and _is_plain(data):
        shared = _plain_state(name, message)
        if getattr(shared, "start_time", None) is None:  # a Scheduled one's time is "now"
            return shared
    try:
        return state_from_dict(data)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The state {name!r} could not be read: {exc}") from exc


_PLAIN_KEYS = frozenset({"type", "message", "context", "cached_inputs", "_result"})
_PLAIN_RESULT_KEYS = frozenset({"type", "location"})


def _is_plain(data: dict[str, Any]) -> bool:
    """Whether ``data`` has nothing but what any state of its type and message would have
    (its context is stored, not read here)."""
    if not data.keys() <= _PLAIN_KEYS or type(data.get("context", {})) is not dict:
        return False
    result = data.get("_result")
    return result is None or (type(result) is dict and result.get("location") is None
                              and result.keys() <= _PLAIN_RESULT_KEYS)


@functools.lru_cache(maxsize=256)
def _plain_state(name: str, message: str) -> state_module.State:
    return state_from_dict({"type": name, "message": message})


def check_transition(run_label: str, current: str | None, new: state_module.State) -> None:
    """Raise :class:`InvalidTransition` unless ``current`` → ``new`` is in :data:`TRANSITIONS`."""
    frm, to = kind_of(current), kind_of(new)
    if frm is None or to is None:
        return
    if (frm, to) not in TRANSITIONS and (current, type(new).__name__) not in FINISHED_MOVES:
        targets = allowed_targets(frm)
        allowed = f"it can only become {', '.join(targets)}" if targets else "it cannot change"
        raise InvalidTransition(
            f"{run_label} is {current}; it cannot become {type(new).__name__} "
            f"({frm.value} → {to.value} is not an allowed transition: {allowed})."
        )


_RUN_MODELS: dict[str, type[FlowRun] | type[TaskRun]] = {"flow_run": FlowRun, "task_run": TaskRun}

#: the run columns a state write sets (:func:`_write`)
_STATE_COLUMNS = ("version", "state", "state_message", "serialized_state", "state_timestamp",
                  "state_start_time", "start_time", "heartbeat", "end_time")


def lock_run(session: Session, table: str, run_id: str) -> FlowRun | TaskRun:
    """Load a run for changing it, locking its row until the transaction ends (PostgreSQL).

    Raises:
        NotFound: for an unknown id.
    """
    model = _RUN_MODELS[table]
    stmt = dialects.for_update(
        select(model).where(model.id == run_id), session.get_bind().dialect.name
    )
    run = session.execute(stmt).scalar_one_or_none()
    if run is None:
        noun = "Flow run" if table == "flow_run" else "Task run"
        raise NotFound(
            f"{noun} {run_id} not found: check the id (e.g. with `prefect-jupyter get "
            f"{'flow-runs' if table == 'flow_run' else 'task-runs'}`)."
        )
    return run


def lock_runs(session: Session, table: str, run_ids: set[str]) -> dict[str, FlowRun | TaskRun]:
    """:func:`lock_run` for many runs in one statement, locked in id order (no deadlocks).

    Raises:
        NotFound: for the first unknown id.
    """
    model = _RUN_MODELS[table]
    dialect_name = session.get_bind().dialect.name
    stmt = dialects.for_update(
        select(model).where(dialects.one_of(model.id, run_ids, dialect_name)).order_by(model.id),
        dialect_name,
    )
    runs = {run.id: run for run in session.execute(stmt).scalars()}
    for run_id in sorted(run_ids - runs.keys()):
        lock_run(session, table, run_id)  # raises its NotFound
    return runs


class TaskRunRow:
    """The columns of a task run that a state write reads or sets, as a plain object.

    A batch of task-run states works on these instead of ORM objects (:func:`set_states`):
    loading, tracking and flushing hundreds of mapped instances cost more than the database
    does. :func:`set_run_state` takes either.

    ``new`` is set for a task run that is not stored yet (a mapped child created by a runner's
    report): its other columns (``task_id``, ``map_index``, ``cache_key``), inserted with the
    state its batch leaves it in.
    """

    # every column unset is None: the class's value until the row sets its own
    id = flow_run_id = new = None
    version = state = state_message = serialized_state = state_timestamp = None
    state_start_time = start_time = heartbeat = end_time = None

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def lock_task_run_rows(session: Session, run_ids: set[str]) -> dict[str, TaskRunRow]:
    """:func:`lock_runs` for task runs, read as :class:`TaskRunRow` (the columns it needs).

    Raises:
        NotFound: for the first unknown id.
    """
    table = TaskRun.__table__
    names = ("id", "flow_run_id", "version", "state", "start_time", "heartbeat", "end_time")
    # the times are only written back (or replaced): read as stored, not parsed
    columns = [dialects.stored_value(table.c[name]) for name in names]
    dialect_name = session.get_bind().dialect.name
    stmt = dialects.for_update(
        select(*columns).where(dialects.one_of(table.c.id, run_ids, dialect_name))
        .order_by(table.c.id),
        dialect_name,
    )
    rows = {row[0]: TaskRunRow(**dict(zip(names, row, strict=True)))
            for row in session.execute(stmt)}
    for run_id in sorted(run_ids - rows.keys()):
        lock_run(session, "task_run", run_id)  # raises its NotFound
    return rows


def set_run_state(
    session: Session,
    run: FlowRun | TaskRun | TaskRunRow,
    state: state_module.State,
    serialized: dict[str, Any],
    version: int | None = None,
    flow_run_states: dict[str, str] | None = None,
    history: list[dict[str, Any]] | None = None,
    now: datetime.datetime | None = None,
) -> None:
    """Move ``run`` to ``state`` (see the module docstring for every check).

    Args:
        run: a row loaded with :func:`lock_run` (or :func:`lock_task_run_rows`).
        state: the parsed new state; ``serialized`` is what is stored for it.
        version: the version the writer last saw; ``None`` skips the stale-writer check.
        flow_run_states: the state of each task run's flow run, when the caller read them
            already (a batch of task-run states reads them once).
        history: where to put the history row for the caller to insert (with others, in one
            statement) instead of adding it to the session.
        now: the time of the write (default: the clock's); a batch gives all its writes the
            same, as a database's transaction time would.
    """
    if version is not None and version != run.version:
        raise StaleVersion(
            f"{_label(run)} is at version {run.version}, but this write was based on version "
            f"{version}: another writer changed the run since it was read. Read the run again "
            "and decide from its current state."
        )
    if not _allowed(run.state, type(state)):
        check_transition(_label(run), run.state, state)  # raises, saying what is allowed
    if _kind_of_class(type(state)) is Kind.RUNNING and not isinstance(run, FlowRun):
        _check_flow_run_running(session, run, flow_run_states)
    _write(session, run, state, serialized, history, now)


@functools.lru_cache(maxsize=256)  # bounded: names come from clients too
def _allowed(current: str | None, new: type) -> bool:
    """Whether a run in state ``current`` (a class name) may move to a state of class ``new``
    by :data:`TRANSITIONS` (remembered: a batch asks for every state it writes)."""
    frm, to = kind_of(current), _kind_of_class(new)
    return frm is None or to is None or (frm, to) in TRANSITIONS


def _label(run: FlowRun | TaskRun | TaskRunRow) -> str:
    return f"{'Flow run' if isinstance(run, FlowRun) else 'Task run'} {run.id}"


def _check_flow_run_running(
    session: Session, task_run: TaskRun | TaskRunRow, flow_run_states: dict[str, str] | None
) -> None:
    if flow_run_states is not None and task_run.flow_run_id in flow_run_states:
        flow_run_state = flow_run_states[task_run.flow_run_id]
    else:
        flow_run_state = session.execute(
            select(FlowRun.state).where(FlowRun.id == task_run.flow_run_id)
        ).scalar_one()
    if flow_run_state != "Running":
        raise InvalidTransition(
            f"Task run {task_run.id} cannot start running: its flow run "
            f"{task_run.flow_run_id} is {flow_run_state}, not Running. Set the flow run to "
            "Running first (a cancelled or finished flow run starts no new tasks)."
        )


def _message_text(state: state_module.State) -> str | None:
    message = state.message
    return message if message is None or isinstance(message, str) else repr(message)


def _write(
    session: Session, run: FlowRun | TaskRun | TaskRunRow, state: state_module.State, serialized: dict,
    history: list[dict[str, Any]] | None = None, now: datetime.datetime | None = None,
) -> None:
    now = now or utcnow()
    kind = _kind_of_class(type(state))
    version = run.version = (run.version or 0) + 1
    name = run.state = type(state).__name__
    message = run.state_message = _message_text(state)
    run.serialized_state = serialized
    run.state_timestamp = now
    start_time = run.state_start_time = getattr(state, "start_time", None)
    if kind is Kind.RUNNING or kind is Kind.LOOPED:
        if run.start_time is None:
            run.start_time = now
    if kind is Kind.RUNNING or kind is Kind.SUBMITTED:
        run.heartbeat = now
    if kind is Kind.FINISHED or kind is Kind.CANCELLED:
        run.end_time = now
    elif kind is Kind.PENDING or kind is Kind.SCHEDULED or kind is Kind.RUNNING:
        run.end_time = None
    row = {
        "flow_run_id" if isinstance(run, FlowRun) else "task_run_id": run.id, "state": name, "message": message, "serialized_state": serialized,
        "start_time": start_time, "timestamp": now, "version": version,
    }
    if history is None:
        session.add(FlowRunState(**row, created=now) if isinstance(run, FlowRun)
                    else TaskRunState(**row))
    else:
        history.append(row)  # its id is given when the batch is stored


def start_new_run(session: Session, run: FlowRun | TaskRun, state: state_module.State) -> None:
    """Give a run that is being created its first state: version 1 and one history row."""
    if run.id is None:
        run.id = new_id()
    run.version = 0
    _write(session, run, state, state_to_dict(state))


#: the first state of a task run the server creates (with the flow run, or a mapped child)
CREATED = "Task run created"


def set_states(
    session: Session, table: str, items: list[dict[str, Any]], flow_run_id: str | None = None,
    new_runs: dict[str, TaskRunRow] | None = None,
) -> list[dict[str, Any]]:
    """Apply a batch of ``{<table>_id, version, state}`` writes, in order, all or nothing.

    Rows are locked in id order first, so two batches touching the same runs cannot deadlock.

    Args:
        flow_run_id: for task runs, the flow run they must all belong to (a runner's report).
        new_runs: task runs to create first (``TaskRunRow.new`` set, no state yet): each
            starts ``Pending`` at version 1, as a created task run does, and is inserted once,
            in the state the batch leaves it in.

    Returns:
        one ``{"id", "status": "SUCCESS", "message": None}`` per item.
    """
    id_key = f"{table}_id"
    new_runs = new_runs or {}
    ids = {i[id_key] for i in items} - new_runs.keys()
    runs: dict[str, Any] = (
        lock_task_run_rows(session, ids) if table == "task_run" else lock_runs(session, table, ids)
    )
    history: list[dict[str, Any]] | None = [] if table == "task_run" else None
    now = utcnow()
    if new_runs:
        created = state_module.Pending(CREATED)
        serialized_created = state_to_dict(created)
        for run in new_runs.values():
            run.version = 0
            _write(session, run, created, serialized_created, history, now)
        runs.update(new_runs)
    if flow_run_id is not None:
        for run in runs.values():
            if run.flow_run_id != flow_run_id:
                raise InvalidInput(
                    f"Task run {run.id} belongs to flow run {run.flow_run_id}, not to flow run "
                    f"{flow_run_id}: report its states with its own flow run."
                )
    flow_run_states = None
    if table == "task_run":
        # read once for the batch: a task-run batch never changes a flow run's state
        flow_run_ids = {run.flow_run_id for run in runs.values()}
        flow_run_states = dict(session.execute(
            select(FlowRun.id, FlowRun.state).where(FlowRun.id.in_(flow_run_ids))).all())
    results = []
    for item in items:
        run = runs[item[id_key]]
        serialized = item["state"]
        state = parse_state(serialized)
        set_run_state(session, run, state, serialized, item.get("version"), flow_run_states,
                      history, now)
        if table == "flow_run" and kind_of(state) is Kind.CANCELLED:
            cancel_unfinished_task_runs(session, run.id)
        results.append({"id": run.id, "status": "SUCCESS", "message": None})
    if history is None:
        session.flush()
    else:
        _store_task_runs(session, list(runs.values()), history, now)
    return results


def _store_task_runs(
    session: Session, runs: list[TaskRunRow], history: list[dict[str, Any]],
    now: datetime.datetime,
) -> None:
    """Write a batch's task runs and history rows: the new task runs in one insert, the others
    in one update, the history in one insert (each an executemany or one statement).

    The unit of work would issue the same rows one object at a time, which costs more than
    the database does for a batch of hundreds of states.
    """
    rows, new_rows = [], []
    for run in runs:
        row = {"id": run.id, "updated": now, **{c: getattr(run, c) for c in _STATE_COLUMNS}}
        if run.new is None:
            rows.append(row)
        else:
            new_rows.append({**row, "flow_run_id": run.flow_run_id, "created": now, **run.new})
    for row, row_id in zip(history, new_ids(len(history)), strict=True):
        row["id"] = row_id
    # Core statements on the tables: the ORM's bulk forms redo per-row work we need not
    bulk.insert_many(session, TaskRun.__table__, new_rows)
    bulk.update_many(session, TaskRun.__table__, "id", rows)
    bulk.insert_many(session, TaskRunState.__table__, history)


def cancel_unfinished_task_runs(session: Session, flow_run_id: str) -> None:
    """Set every task run of a cancelled flow run that has not finished to ``Cancelled``."""
    task_runs = session.execute(
        dialects.for_update(
            select(TaskRun).where(
                TaskRun.flow_run_id == flow_run_id,
                TaskRun.state.not_in(FINISHED_STATES) | TaskRun.state.is_(None),
            ),
            session.get_bind().dialect.name,
        )
    ).scalars()
    for task_run in task_runs:
        state = state_module.Cancelled("Flow run was cancelled")
        _write(session, task_run, state, state_to_dict(state))
