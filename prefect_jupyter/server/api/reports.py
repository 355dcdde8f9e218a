"""A runner's report: a batch of one flow run's task-run states and log records, stored together.

The agent's reporter (``backend/reporter.py``) sends what its run produced since its last
report — up to a few hundred task-run states and as many log records — in one
``write_run_report`` request. Both lists travel as plain JSON and are checked here, item by
item, with messages that name the item: a mapped run of 10,000 children sends ~50,000 items,
and GraphQL's own coercion of typed input objects cost more per item than storing them.

A report may also create mapped children (``new_task_runs``: ``{id, task_id, map_index}``,
with ids the runner made), so that a child's creation, its states and its log records are one
request: each is inserted once, in the state its report leaves it in, after a ``Pending``
first state as any created task run has — not created by a request of its own, then updated.
A child that exists already under another id is refused (the runner then finds the existing
ones with ``create_mapped_task_runs``); one stored under the same id is the same report sent
again.

The report is one transaction: the new children and the states (:func:`~.states.set_states`,
in order, all or nothing) and then the log records (:func:`~.logs.write_run_logs`). Every
task run and log record must belong to the report's flow run.
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

from sqlalchemy.orm import Session

from prefect_jupyter.server.api import logs as run_logs
from prefect_jupyter.server.api import states as run_states
from prefect_jupyter.server.api import task_runs as run_task_runs
from prefect_jupyter.server.errors import InvalidInput

_STATE_KEYS = frozenset({"task_run_id", "version", "state"})
_CHILD_KEYS = {"id", "task_id", "map_index"}
_LOG_KEYS = frozenset({"id", "flow_run_id", "task_run_id", "timestamp", "name", "level",
                       "message", "info"})


def write_run_report(
    session: Session, flow_run_id: str, task_run_states: Any, logs: Any,
    new_task_runs: Any = None,
) -> dict[str, int]:
    """Store a report of flow run ``flow_run_id``: its new mapped children, its task-run
    states, then its log records.

    Args:
        new_task_runs: ``[{id, task_id, map_index}]``: mapped children to create (each id a
            new UUID), before the states, which may name them.
        task_run_states: ``[{task_run_id, version, state}]`` (as ``set_task_run_states``;
            ``version`` may be null to skip the stale-writer check), applied in order.
        logs: ``[{id?, task_run_id?, timestamp?, name?, level?, message?, info?}]`` (as
            ``write_run_logs``; ``flow_run_id`` may be left out: it is the report's; ``id``, a
            new UUID the runner made, lets it ask later whether the report was stored).

    Returns:
        ``{"task_run_states": n, "logs": m, "new_task_runs": k}``, the numbers stored.

    Raises:
        InvalidInput: an item that is not such an object (naming the item and the fix), or a
            task run of another flow run; anything ``set_states`` or ``write_run_logs`` refuse.
        NotFound: an unknown flow run or task run.
    """
    children = _checked_children(new_task_runs)
    states = _checked_states(task_run_states)
    records = _checked_logs(flow_run_id, logs)
    new_runs = run_task_runs.new_children(session, flow_run_id, children) if children else {}
    known: dict[str, str] = {}  # task runs checked to be the flow run's (by set_states)
    if states or new_runs:
        run_states.set_states(session, "task_run", states, flow_run_id=flow_run_id,
                              new_runs=new_runs)
        known = dict.fromkeys((*new_runs, *(item["task_run_id"] for item in states)),
                              flow_run_id)
    stored_logs = run_logs.write_run_logs(session, records, known) if records else 0
    return {"task_run_states": len(states), "logs": stored_logs, "new_task_runs": len(new_runs)}


def _checked_list(name: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidInput(f"{name} must be a JSON list of objects, not {_short(value)}.")
    return value


def _checked_children(value: Any) -> list[dict[str, Any]]:
    items = _checked_list("new_task_runs", value)
    ids: set[str] = set()
    places: set[tuple[str, int]] = set()
    for i, item in enumerate(items):
        if item.keys() != _CHILD_KEYS:
            raise InvalidInput(f"new_task_runs[{i}] must have exactly the keys "
                               f"{sorted(_CHILD_KEYS)}, not {sorted(item)}.")
        run_id, task_id, index = item["id"], item["task_id"], item["map_index"]
        if not _is_uuid(run_id):
            raise InvalidInput(f"new_task_runs[{i}].id must be a new UUID in its usual form "
                               f"(e.g. {uuid.uuid4()}), not {_short(run_id)}.")
        if not isinstance(task_id, str):
            raise InvalidInput(f"new_task_runs[{i}].task_id must be a task's id (a UUID "
                               f"string), not {_short(task_id)}.")
        if type(index) is not int or index < 0:
            raise InvalidInput(f"new_task_runs[{i}].map_index must be a mapped child's index (0 "
                               f"or more), not {_short(index)}.")
        if run_id in ids or (task_id, index) in places:
            raise InvalidInput(f"new_task_runs[{i}] repeats an id or a (task_id, map_index) of "
                               "an earlier item: list each new child once.")
        ids.add(run_id)
        places.add((task_id, index))
    return items


#: a time as a runner sends it (``datetime.isoformat()`` of a UTC time with microseconds)
_RUNNER_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")
#: a UUID as ``str(uuid.UUID(...))`` writes it (lowercase, dashed)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _is_uuid(value: Any) -> bool:
    return type(value) is str and _UUID.fullmatch(value) is not None


def _checked_states(value: Any) -> list[dict[str, Any]]:
    items = _checked_list("task_run_states", value)
    for i, item in enumerate(items):
        if not item.keys() <= _STATE_KEYS:
            unknown = sorted(item.keys() - _STATE_KEYS)
            raise InvalidInput(f"task_run_states[{i}] has unknown keys {unknown}; an item "
                               "is {task_run_id, version, state}.")
        if not isinstance(item.get("task_run_id"), str):
            raise InvalidInput(f"task_run_states[{i}] needs a task_run_id (a UUID string), not "
                               f"{_short(item.get('task_run_id'))}.")
        version = item.get("version")
        if version is not None and (type(version) is not int or version < 0):
            raise InvalidInput(f"task_run_states[{i}].version must be a whole number (the run's "
                               f"version the write is based on) or null, not {_short(version)}.")
        if not isinstance(item.get("state"), dict):
            raise InvalidInput(f"task_run_states[{i}].state must be a state object made by "
                               f"state_to_dict, not {_short(item.get('state'))}.")
    return items


def _checked_logs(flow_run_id: str, value: Any) -> list[dict[str, Any]]:
    """The records of ``value``, each given the report's flow run and its timestamp checked
    (the decoded request's own dicts, completed in place)."""
    items = _checked_list("logs", value)
    ids: set[str] = set()
    for i, item in enumerate(items):
        if not item.keys() <= _LOG_KEYS:
            unknown = sorted(item.keys() - _LOG_KEYS)
            raise InvalidInput(f"logs[{i}] has unknown keys {unknown}; a record has "
                               f"{sorted(_LOG_KEYS)}.")
        if item.get("flow_run_id", flow_run_id) != flow_run_id:
            raise InvalidInput(f"logs[{i}] names flow run {item['flow_run_id']}, but the report "
                               f"is of flow run {flow_run_id}: send it in that run's report.")
        if "id" in item:
            if not _is_uuid(item["id"]):
                raise InvalidInput(f"logs[{i}].id must be a new UUID in its usual form (e.g. "
                                   f"{uuid.uuid4()}), not {_short(item['id'])}.")
            if item["id"] in ids:
                raise InvalidInput(f"logs[{i}].id repeats an earlier record's: give each "
                                   "record a new UUID.")
            ids.add(item["id"])
        for key in ("task_run_id", "name", "level", "message"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise InvalidInput(f"logs[{i}].{key} must be a string or null, not "
                                   f"{_short(item[key])}.")
        timestamp = item.get("timestamp")
        if timestamp is not None:
            parsed = _timestamp(i, timestamp)
            # a runner's own form (isoformat of a UTC time) is stored from its text
            item["timestamp"] = timestamp if _RUNNER_TIME.fullmatch(timestamp) else parsed
        item["flow_run_id"] = flow_run_id
    return items


def _timestamp(index: int, value: Any) -> datetime.datetime:
    try:
        parsed = datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(f"logs[{index}].timestamp must be an ISO 8601 date and time (e.g. "
                           f"2026-01-31T12:00:00+00:00) or null, not {_short(value)}.")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
