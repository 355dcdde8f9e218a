"""A runner's report: a batch of one flow run's task-run states and log records, stored together.

The agent's reporter (``backend/reporter.py``) sends what its run produced since its last
report — up to a few hundred task-run states and as many log records — in one
``write_run_report`` request. Both lists travel as plain JSON and are checked here, item by
item, with messages that name the item: a mapped run of 10,000 children sends ~50,000 items,
and GraphQL's own coercion of typed input objects cost more per item than storing them.

The report is one transaction: the states (:func:`~.states.set_states`, in order, all or
nothing) and then the log records (:func:`~.logs.write_run_logs`). Every task run and log
record must belong to the report's flow run.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy.orm import Session

from prefect_jupyter.server.api import logs as run_logs
from prefect_jupyter.server.api import states as run_states
from prefect_jupyter.server.errors import InvalidInput

_STATE_KEYS = frozenset({"task_run_id", "version", "state"})
_LOG_KEYS = frozenset({"flow_run_id", "task_run_id", "timestamp", "name", "level", "message",
                       "info"})


def write_run_report(
    session: Session, flow_run_id: str, task_run_states: Any, logs: Any
) -> dict[str, int]:
    """Store a report of flow run ``flow_run_id``: its task-run states, then its log records.

    Args:
        task_run_states: ``[{task_run_id, version, state}]`` (as ``set_task_run_states``;
            ``version`` may be null to skip the stale-writer check), applied in order.
        logs: ``[{task_run_id?, timestamp?, name?, level?, message?, info?}]`` (as
            ``write_run_logs``; ``flow_run_id`` may be left out: it is the report's).

    Returns:
        ``{"task_run_states": n, "logs": m}``, the numbers stored.

    Raises:
        InvalidInput: an item that is not such an object (naming the item and the fix), or a
            task run of another flow run; anything ``set_states`` or ``write_run_logs`` refuse.
        NotFound: an unknown flow run or task run.
    """
    states = _checked_states(task_run_states)
    records = _checked_logs(flow_run_id, logs)
    if states:
        run_states.set_states(session, "task_run", states, flow_run_id=flow_run_id)
    stored_logs = run_logs.write_run_logs(session, records) if records else 0
    return {"task_run_states": len(states), "logs": stored_logs}


def _checked_list(name: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidInput(f"{name} must be a JSON list of objects, not {_short(value)}.")
    return value


def _checked_states(value: Any) -> list[dict[str, Any]]:
    items = _checked_list("task_run_states", value)
    for i, item in enumerate(items):
        unknown = item.keys() - _STATE_KEYS
        if unknown:
            raise InvalidInput(f"task_run_states[{i}] has unknown keys {sorted(unknown)}; an item "
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
    items = _checked_list("logs", value)
    records = []
    for i, item in enumerate(items):
        unknown = item.keys() - _LOG_KEYS
        if unknown:
            raise InvalidInput(f"logs[{i}] has unknown keys {sorted(unknown)}; a record has "
                               f"{sorted(_LOG_KEYS)}.")
        if item.get("flow_run_id", flow_run_id) != flow_run_id:
            raise InvalidInput(f"logs[{i}] names flow run {item['flow_run_id']}, but the report "
                               f"is of flow run {flow_run_id}: send it in that run's report.")
        for key in ("task_run_id", "name", "level", "message"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise InvalidInput(f"logs[{i}].{key} must be a string or null, not "
                                   f"{_short(item[key])}.")
        timestamp = item.get("timestamp")
        if timestamp is not None:
            timestamp = _timestamp(i, timestamp)
        records.append({**item, "flow_run_id": flow_run_id, "timestamp": timestamp})
    return records


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
