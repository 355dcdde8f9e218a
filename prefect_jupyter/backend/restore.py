"""Reusing what a flow run already did when it runs again.

A flow run runs again when it is restarted from its failure (``restart_flow_run``), or when
Lazarus reschedules it after its process died. Some of its task runs have then finished on the
server already; :func:`restore_task_states` turns them into the ``task_states`` that
``FlowRunner.run`` starts from, so those tasks are not run again:

- a finished task run (``Success``, ``Failed``, ``Skipped``, ``Cancelled``...) keeps its state;
  a successful one gets its value back from its persisted result — the location in its
  serialized state (``_result``), read with the task's ``Result``, else the flow's, else a
  ``LocalResult`` when that is what wrote it;
- a ``Retrying``/``Scheduled``/``Resume``/``Paused`` task run keeps its state (and so its
  attempt count and start time);
- a mapped task whose children all succeeded becomes one ``Success`` holding the children's
  values in order (what downstream tasks read); one with unfinished children keeps its
  ``Mapped`` state and its children's, so only those children run;
- ``Pending`` task runs, and task runs left ``Running`` or ``Looped``, run as usual;
- a task run the zombie killer failed because its process died (its state carries the
  ``lost_heartbeat`` context marker, or Prefect 1's message "No heartbeat detected from the remote
  task; ...") **runs again**: the process dying is not the task's failure. Its task run is set
  back to ``Pending`` first (the run's logs say so), and it runs as a new attempt, with its
  retries — so a run Lazarus rescheduled can succeed.

A successful task whose value is needed by a task that runs (an edge that carries data: keyed,
mapped or flattened) but whose result can't be loaded — it was not persisted (the task has no
``Result``, checkpointing is off, or the task returned ``None``, which is never written) or the
file is gone — **runs again**: its task runs are set back to ``Pending`` on the server first,
and its own upstream tasks are considered in turn. The run's logs say which tasks run again
and why.
"""

from __future__ import annotations

import os
from typing import Any

from prefect_jupyter.client import queries
from prefect_jupyter.engine import state as state_module
from prefect_jupyter.engine.state import Mapped, Pending, State, Success
from prefect_jupyter.engine.state_schema import state_from_dict, state_to_dict
from prefect_jupyter.utilities.logging import get_logger

__all__ = ["restore_task_states"]

_logger = get_logger("cloud.restore")

#: task-run states that mean "run it as if new" (the server allows Running next)
_RUN_AGAIN = {None, "Pending", "Running", "Submitted", "Queued", "Looped", "Cancelling"}

_LOG_NAME = "prefect_jupyter.cloud.restore"

#: the context key the zombie killer (``server/services/zombie_killer.py``) sets on the state of
#: a task run it failed because its process stopped beating; older rows carry only the message
LOST_HEARTBEAT = "lost_heartbeat"
_LOST_HEARTBEAT_MESSAGE = "No heartbeat detected"


def _task_runs(api: Any, flow_run_id: str) -> list[dict[str, Any]]:
    """All task runs of a flow run, a page at a time (by map index, then id: a stable order)."""
    rows: list[dict[str, Any]] = []
    while True:
        variables = {"id": flow_run_id, "limit": queries.TASK_RUN_PAGE, "offset": len(rows)}
        page = api.graphql(queries.FLOW_RUN_TASK_RUNS, variables)["task_run"]
        rows.extend(page)
        if len(page) < queries.TASK_RUN_PAGE:
            return rows


def restore_task_states(api: Any, run: dict[str, Any], flow: Any) -> dict[Any, State]:
    """The states FlowRunner should start from for flow run ``run`` (see the module doc).

    Args:
        api: the server calls (``backend/api.BackendAPI``).
        run: the flow run as ``BackendAPI.flow_run`` read it; the version of each task run it
            lists is updated when this resets that task run.
        flow: the flow being run.

    Returns:
        task -> state, for the tasks that are not to run from scratch (empty for a new run).
    """
    if all(tr["state"] in (None, "Pending") for tr in run["task_runs"]):
        return {}  # a first run: nothing to reuse, no need to ask
    rows = _task_runs(api, run["id"])
    parents: dict[str, dict[str, Any]] = {}
    children: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        slug = row["task"]["slug"]
        if row["map_index"] == -1:
            parents[slug] = row
        else:
            children.setdefault(slug, []).append(row)
    tasks = {slug: task for task, slug in flow.slugs.items()}
    _rerun_lost_task_runs(api, run, parents, children, tasks)
    seeded: dict[Any, State] = {}
    problems: dict[Any, str] = {}
    for slug, row in parents.items():
        task = tasks.get(slug)
        if task is None:
            continue
        state, problem = _restore(task, flow, row, children.get(slug, []))
        if state is not None:
            seeded[task] = state
            if problem:
                problems[task] = problem
    rerun = _tasks_to_rerun(flow, seeded, problems)
    if rerun:
        _reset(api, run, [(t, parents[flow.slugs[t]], children.get(flow.slugs[t], [])) for t in rerun],
               problems)
        for task in rerun:
            del seeded[task]
    if seeded:
        names = ", ".join(sorted(f"{t.name} ({type(s).__name__})" for t, s in seeded.items()))
        message = f"Reusing the states task runs reached before this run started again: {names}."
        _logger.info(message)
        api.write_run_log(run["id"], message, level="INFO", name=_LOG_NAME)
    return seeded


def _restore(
    task: Any, flow: Any, row: dict[str, Any], child_rows: list[dict[str, Any]]
) -> tuple[State | None, str | None]:
    """(the state to start ``task`` from or ``None`` to run it anew, why its value is missing)."""
    if row["state"] in _RUN_AGAIN:
        return None, None
    state = _state_of(row)
    if isinstance(state, Mapped):
        return _restore_mapped(task, flow, state, child_rows)
    if state.is_successful():
        return state, _load(task, flow, state, row)
    return state, None


def _restore_mapped(
    task: Any, flow: Any, parent: Mapped, child_rows: list[dict[str, Any]]
) -> tuple[State, str | None]:
    states: list[State] = []
    problems = []
    for row in sorted(child_rows, key=lambda r: r["map_index"]):
        if row["state"] in _RUN_AGAIN:
            states.append(Pending("Mapped child not finished before the run was restarted."))
            continue
        child = _state_of(row)
        if child.is_successful():
            problem = _load(task, flow, child, row)
            if problem:
                problems.append(f"child {row['map_index']}: {problem}")
        states.append(child)
    problem = "; ".join(problems) or None
    if states and all(s.is_successful() for s in states):
        return Success(parent.message, result=[s.result for s in states]), problem
    return Mapped(parent.message, map_states=states, n_map_states=len(states)), problem


def _state_of(row: dict[str, Any]) -> State:
    data = row.get("serialized_state")
    if isinstance(data, dict) and data.get("type") == row["state"]:
        return state_from_dict(data)
    cls = getattr(state_module, row["state"])
    return cls()


def _load(task: Any, flow: Any, state: State, row: dict[str, Any]) -> str | None:
    """Give ``state`` its value from its persisted result; why it can't, or ``None``."""
    if isinstance(state, state_module.Skipped):
        return None  # a skipped task has no value
    stored = (row.get("serialized_state") or {}).get("_result") or {}
    location = stored.get("location")
    if stored.get("type") == "PrefectResult" and location is not None:
        return None  # the value travelled in the state itself
    if not location:
        return (
            "its result was not persisted (give the task or the flow a Result, e.g. "
            "LocalResult, and keep checkpointing on; a task that returned None is never written)"
        )
    reader = _reader(task, flow, stored.get("type"), location)
    if reader is None:
        return f"no Result here can read its {stored.get('type')} at {location!r}"
    try:
        state._result = reader.read(location)
    except Exception as exc:  # a missing file, a broken pickle...: the task must run again
        return f"its result at {location!r} can't be read ({type(exc).__name__}: {exc})"
    return None


def _reader(task: Any, flow: Any, result_type: str | None, location: str) -> Any:
    from prefect_jupyter.engine.result import Result
    from prefect_jupyter.engine.results import LocalResult

    for candidate in (getattr(task, "result", None), getattr(flow, "result", None)):
        if candidate is not None and type(candidate) is not Result:
            if type(candidate).__name__ == result_type:
                return candidate
    if result_type == "LocalResult":
        return LocalResult(dir=os.path.dirname(location) or ".", validate_dir=False)
    return None


def _tasks_to_rerun(flow: Any, seeded: dict[Any, State], problems: dict[Any, str]) -> list[Any]:
    """Seeded tasks whose missing value a task that runs needs (upstream, until none is left)."""
    data_children: dict[Any, set[Any]] = {}
    for edge in flow.edges:
        if edge.key is not None or edge.mapped or edge.flattened:
            data_children.setdefault(edge.upstream_task, set()).add(edge.downstream_task)
    rerun: list[Any] = []
    while True:
        will_run = {
            t for t in flow.tasks
            if t not in seeded or t in rerun or not seeded[t].is_finished() or seeded[t].is_mapped()
        }
        needed = [
            t for t in problems
            if t not in rerun and data_children.get(t, set()) & will_run
        ]
        if not needed:
            return rerun
        rerun.extend(needed)


def _reset(
    api: Any,
    run: dict[str, Any],
    items: list[tuple[Any, dict[str, Any], list[dict[str, Any]]]],
    problems: dict[Any, str],
) -> None:
    """Set the task runs of tasks that run again back to Pending, and say why in the logs."""
    rows: list[dict[str, Any]] = []
    for task, parent, child_rows in items:
        message = (
            f"Task '{task.name}' finished before ({parent['state']}), but it runs again: a task "
            f"that runs needs its value, and {problems[task]}."
        )
        _logger.warning(message)
        api.write_run_log(run["id"], message, level="WARNING", name=_LOG_NAME)
        rows.extend([parent, *child_rows])
    _set_pending(api, run, rows, "Runs again: its result could not be reused.")


def _set_pending(api: Any, run: dict[str, Any], rows: list[dict[str, Any]], why: str) -> None:
    """Write ``Pending`` to the task runs of ``rows`` that are not; update ``rows`` and ``run``."""
    pending = state_to_dict(Pending(why))
    writes = [
        {"task_run_id": row["id"], "version": row["version"], "state": pending}
        for row in rows if row["state"] != "Pending"
    ]
    if writes:
        api.set_task_run_states(writes)
    for row in rows:
        if row["state"] != "Pending":
            row["version"] += 1
            row["state"] = "Pending"
            row["serialized_state"] = pending
    bumped = {w["task_run_id"] for w in writes}
    for entry in run["task_runs"]:
        if entry["id"] in bumped:
            entry["version"] += 1
            entry["state"] = "Pending"


def _lost(row: dict[str, Any]) -> bool:
    """Whether the zombie killer failed this task run because its process stopped beating."""
    if row["state"] != "Failed":
        return False
    data = row.get("serialized_state") or {}
    if (data.get("context") or {}).get(LOST_HEARTBEAT):
        return True
    return str(data.get("message") or "").startswith(_LOST_HEARTBEAT_MESSAGE)


def _rerun_lost_task_runs(
    api: Any,
    run: dict[str, Any],
    parents: dict[str, dict[str, Any]],
    children: dict[str, list[dict[str, Any]]],
    tasks: dict[str, Any],
) -> None:
    """Set the task runs whose process died back to ``Pending`` (here and on the server).

    A lost mapped child runs again with the map's other unfinished children; finished
    children keep their states (see ``_restore_mapped``).
    """
    lost: list[dict[str, Any]] = []
    for slug, row in parents.items():
        lost.extend(r for r in [row, *children.get(slug, [])] if _lost(r))
    if not lost:
        return
    names = sorted({tasks[r["task"]["slug"]].name if r["task"]["slug"] in tasks else r["task"]["slug"]
                    for r in lost})
    message = (
        f"Task(s) {', '.join(repr(n) for n in names)} failed because the process running them "
        "died (no heartbeat); they run again in this run."
    )
    _logger.warning(message)
    api.write_run_log(run["id"], message, level="WARNING", name=_LOG_NAME)
    _set_pending(api, run, lost, "Runs again: its process died while it ran.")
