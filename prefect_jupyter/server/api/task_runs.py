"""Task runs: looking them up for a runner (creating mapped children on demand)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prefect_jupyter.engine.state import Pending
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.api.common import get_or_404, rename
from prefect_jupyter.server.api.states import CREATED, TaskRunRow
from prefect_jupyter.server.database import bulk, dialects
from prefect_jupyter.server.database.models import (
    FlowRun,
    Task,
    TaskRun,
    TaskRunState,
    new_id,
    new_ids,
    utcnow,
)
from prefect_jupyter.server.errors import InvalidInput


def _info(run: TaskRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "version": run.version,
        "state": run.state,
        "serialized_state": run.serialized_state,
    }


def get_task_run_info(session: Session, task_run_id: str) -> dict[str, Any]:
    """``{id, version, state, serialized_state}`` of a task run."""
    return _info(get_or_404(session, TaskRun, task_run_id))


def _find(session: Session, flow_run_id: str, task_id: str, map_index: int) -> TaskRun | None:
    return session.execute(
        select(TaskRun).where(
            TaskRun.flow_run_id == flow_run_id,
            TaskRun.task_id == task_id,
            TaskRun.map_index == map_index,
        )
    ).scalar_one_or_none()


def set_task_run_name(session: Session, task_run_id: str, name: str) -> None:
    """Name a task run (what its task's ``task_run_name`` template made of its inputs).

    Raises:
        InvalidInput: for an empty name or one longer than the column holds.
    """
    rename(session, TaskRun, task_run_id, name)


def get_or_create_task_run_info(
    session: Session, flow_run_id: str, task_id: str, map_index: int | None = -1
) -> dict[str, Any]:
    """The task run of ``task_id`` at ``map_index`` in a flow run, created ``Pending`` if new.

    Mapped children (``map_index >= 0``) are created this way the first time a runner asks.
    Two runners asking at once get the same row (the insert skips an existing one).

    Raises:
        NotFound: unknown flow run or task.
        InvalidInput: a task of another flow, or a map index below -1.
    """
    map_index = -1 if map_index is None else map_index
    if map_index < -1:
        raise InvalidInput(f"map_index must be -1 (not mapped) or a child's index, not {map_index}.")
    found = _find(session, flow_run_id, task_id, map_index)
    if found is not None:
        return _info(found)
    task = _task_of_flow_run(session, flow_run_id, task_id)
    state = Pending(CREATED)
    serialized = state_to_dict(state)
    now = utcnow()
    run_id = new_id()
    insert = dialects.insert_ignoring_conflicts(TaskRun, session.get_bind().dialect.name)
    # RETURNING yields no row when the insert was skipped (rowcount is not reliable for that)
    inserted = session.execute(
        insert.values(
            id=run_id, flow_run_id=flow_run_id, task_id=task_id, map_index=map_index,
            cache_key=task.cache_key, version=1, state="Pending", state_message=state.message,
            serialized_state=serialized, state_timestamp=now,
        ).returning(TaskRun.id)
    ).scalar()
    if inserted is not None:
        session.add(
            TaskRunState(task_run_id=run_id, state="Pending", message=state.message,
                         serialized_state=serialized, timestamp=now, version=1)
        )
        session.flush()
    found = _find(session, flow_run_id, task_id, map_index)
    assert found is not None
    return _info(found)


def create_mapped_task_runs(
    session: Session, flow_run_id: str, task_id: str, map_indices: list[int]
) -> list[dict[str, Any]]:
    """The task runs of a mapped task's children at ``map_indices``, the missing ones created.

    The bulk form of :func:`get_or_create_task_run_info` for mapped children: one statement
    finds the existing rows, one inserts the missing ones (each ``Pending``, version 1), one
    writes their first history rows, one reads all of them back. Indices already there are
    left as they are, so asking twice (or two runners at once) gives the same rows.

    Returns:
        ``{"map_index", "id", "version"}`` for each index, in the order asked.

    Raises:
        NotFound: unknown flow run or task.
        InvalidInput: no indices, an index below 0, or a task of another flow.
    """
    if not map_indices:
        raise InvalidInput("map_indices is empty: name at least one mapped child (0, 1, ...).")
    if min(map_indices) < 0:
        raise InvalidInput(
            f"map_indices must all be 0 or more (mapped children), not {min(map_indices)}; "
            "use get_or_create_task_run_info for the task's own run (map index -1)."
        )
    task = _task_of_flow_run(session, flow_run_id, task_id)
    wanted = set(map_indices)
    found = _children(session, flow_run_id, task_id, wanted)
    missing = sorted(wanted - found.keys())
    if missing:
        state = Pending(CREATED)
        serialized = state_to_dict(state)
        now = utcnow()
        ours = dict(zip(missing, new_ids(len(missing)), strict=True))
        rows = [
            {"id": run_id, "flow_run_id": flow_run_id, "task_id": task_id, "map_index": index,
             "cache_key": task.cache_key, "version": 1, "state": "Pending",
             "state_message": state.message, "serialized_state": serialized,
             "state_timestamp": now, "created": now, "updated": now}
            for index, run_id in ours.items()
        ]
        # no RETURNING (psycopg would parse a multi-row statement of thousands of parameters
        # per thousand rows): the rows inserted are told apart by their ids below
        bulk.insert_many(session, TaskRun.__table__, rows, ignore_conflicts=True)
        found = _children(session, flow_run_id, task_id, wanted)
        # the rows this statement inserted carry our ids (a racing writer's carry its own)
        created = [ours[i] for i in missing if found[i]["id"] == ours[i]]
        bulk.insert_many(session, TaskRunState.__table__, [
            {"id": history_id, "task_run_id": run_id, "state": "Pending",
             "message": state.message, "serialized_state": serialized, "timestamp": now,
             "version": 1}
            for run_id, history_id in zip(created, new_ids(len(created)), strict=True)
        ])
    return [{"map_index": index, **found[index]} for index in map_indices]


def new_children(
    session: Session, flow_run_id: str, children: list[dict[str, Any]]
) -> dict[str, TaskRunRow]:
    """The mapped children a runner's report creates, not stored yet (see ``reports.py``).

    Each of ``children`` is ``{id, task_id, map_index}`` with an id the runner made (checked
    by the caller: UUIDs, no index twice). A child stored already under the same id (the
    report is sent again after its answer was lost) is left out: the report's states then
    find it stored.

    Returns:
        ``{id: TaskRunRow}`` of the children to create (no state yet: ``set_states`` gives
        them their first).

    Raises:
        NotFound: unknown flow run or task.
        InvalidInput: a task of another flow, a child the flow run has under another id (find
            it with ``create_mapped_task_runs``), or an id another task run has.
    """
    by_task: dict[str, dict[int, str]] = {}
    for child in children:
        by_task.setdefault(child["task_id"], {})[child["map_index"]] = child["id"]
    taken = _taken_ids(session, [child["id"] for child in children])
    now_new: dict[str, TaskRunRow] = {}
    for task_id, ids in by_task.items():
        task = _task_of_flow_run(session, flow_run_id, task_id)
        stored = _children(session, flow_run_id, task_id, set(ids))
        for index, run_id in ids.items():
            there = stored.get(index)
            if there is not None and there["id"] == run_id:
                continue  # stored by an earlier attempt of this report
            if there is not None:
                raise InvalidInput(
                    f"Mapped child {index} of task {task.slug!r} exists already in flow run "
                    f"{flow_run_id} (task run {there['id']}): a report creates only new "
                    "children; find existing ones with create_mapped_task_runs."
                )
            if run_id in taken:
                raise InvalidInput(f"Task run id {run_id} is taken by another task run: make a "
                                   "new UUID for each new mapped child.")
            now_new[run_id] = TaskRunRow(id=run_id, flow_run_id=flow_run_id, new={
                "task_id": task_id, "map_index": index, "cache_key": task.cache_key})
    return now_new


def _taken_ids(session: Session, run_ids: list[str]) -> set[str]:
    """The ids among ``run_ids`` that task runs have (asked in chunks: SQLite's limit on bound
    parameters)."""
    taken: set[str] = set()
    dialect_name = session.get_bind().dialect.name
    for start in range(0, len(run_ids), 1000):
        chunk = run_ids[start:start + 1000]
        taken.update(session.execute(
            select(TaskRun.id).where(dialects.one_of(TaskRun.id, chunk, dialect_name))).scalars())
    return taken


def _task_of_flow_run(session: Session, flow_run_id: str, task_id: str) -> Task:
    flow_run = get_or_404(session, FlowRun, flow_run_id)
    task = get_or_404(session, Task, task_id)
    if task.flow_id != flow_run.flow_id:
        raise InvalidInput(
            f"Task {task_id} ({task.slug!r}) belongs to flow {task.flow_id}, but flow run "
            f"{flow_run_id} runs flow {flow_run.flow_id}: use the ids of that flow's tasks."
        )
    return task


def _children(
    session: Session, flow_run_id: str, task_id: str, indices: set[int]
) -> dict[int, dict[str, Any]]:
    """``{map_index: {"id", "version"}}`` of the existing children among ``indices``."""
    # a range rather than IN: ten thousand bound parameters would pass SQLite's limit
    rows = session.execute(
        select(TaskRun.map_index, TaskRun.id, TaskRun.version).where(
            TaskRun.flow_run_id == flow_run_id,
            TaskRun.task_id == task_id,
            TaskRun.map_index.between(min(indices), max(indices)),
        )
    ).all()
    return {row[0]: {"id": row[1], "version": row[2]} for row in rows if row[0] in indices}


def mapped_children(session: Session, task_run_id: str) -> dict[str, Any]:
    """Summary of the mapped children of a (parent) task run.

    Returns:
        ``{"min_start_time", "max_end_time", "state_counts": {state: count}}`` over the task
        runs of the same task in the same flow run with ``map_index >= 0``.
    """
    parent = get_or_404(session, TaskRun, task_run_id)
    rows = session.execute(
        select(
            TaskRun.state,
            func.count(),
            func.min(TaskRun.start_time),
            func.max(TaskRun.end_time),
        )
        .where(
            TaskRun.flow_run_id == parent.flow_run_id,
            TaskRun.task_id == parent.task_id,
            TaskRun.map_index >= 0,
        )
        .group_by(TaskRun.state)
    ).all()
    starts = [row[2] for row in rows if row[2] is not None]
    ends = [row[3] for row in rows if row[3] is not None]
    return {
        "min_start_time": min(starts, default=None),
        "max_end_time": max(ends, default=None),
        "state_counts": {row[0]: row[1] for row in rows},
    }
