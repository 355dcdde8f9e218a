"""Auto-scheduled flow runs: creating the next runs of a flow's schedule, and removing them.

:func:`schedule_flow_runs` keeps the next ``max_runs`` times of a flow's active schedule
created as flow runs (``auto_scheduled``). Each run carries an idempotency key made of the
flow's id and the scheduled time (plus a digest of the clock's parameters and labels, so two
clocks firing at once with different parameters make two runs); ``create_flow_run`` returns
the existing run for a known key, under an advisory lock on PostgreSQL and the single writer on
SQLite. So calling it again — the next pass, a restarted server, a second server on the same
database — never duplicates a run.

Runs get the clock's parameter defaults and the union of the flow's and the clock's labels.

:func:`delete_auto_scheduled_runs` removes the auto-scheduled runs that have not started
(state ``Scheduled``) of flows that are archived or whose schedule is off, as Prefect Server
did when a schedule was turned off.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from prefect_jupyter.server.api import flow_runs
from prefect_jupyter.server.api.common import get_or_404
from prefect_jupyter.server.api.run_history import delete_run_history
from prefect_jupyter.server.database.models import Flow, FlowGroup, FlowRun, utcnow
from prefect_jupyter.server.errors import InvalidInput

#: How many future runs of each schedule are kept created (Prefect 1 kept ten).
DEFAULT_MAX_RUNS = 10


class ScheduleError(ValueError):
    """A flow's stored schedule cannot be read or cannot make runs (the message says why)."""


def idempotency_key(flow_id: str, start: datetime.datetime, parameters: Any, labels: Any) -> str:
    """The key of the auto-scheduled run of ``flow_id`` at ``start``."""
    when = start.astimezone(datetime.UTC).isoformat()
    key = f"auto-scheduled:{flow_id}:{when}"
    if parameters or labels:
        digest = hashlib.sha256(
            json.dumps([parameters or {}, sorted(labels or [])], sort_keys=True, default=str)
            .encode()
        ).hexdigest()[:16]
        key += f":{digest}"
    return key


def upcoming_events(
    flow: Flow, max_runs: int, now: datetime.datetime, schedule: dict[str, Any] | None = None
) -> list[Any]:
    """The next ``max_runs`` clock events of ``schedule`` (default: ``flow``'s own) after
    ``now``.

    Raises:
        ScheduleError: the stored schedule cannot be read here (e.g. a filter function that
            the server cannot import).
    """
    from prefect_jupyter.serialization.schedule import schedule_from_dict

    try:
        made = schedule_from_dict(schedule if schedule is not None else flow.schedule)
    except Exception as exc:  # any failure to rebuild it means: this flow can't be scheduled
        raise ScheduleError(
            f"The schedule of flow {flow.id} ({flow.name!r} version {flow.version}) cannot be "
            f"read by the server ({type(exc).__name__}: {exc}); its runs are not scheduled. "
            "Register it with a schedule made of prefect_jupyter's clocks and filters."
        ) from exc
    if made is None:
        return []
    return list(made.next(max_runs, after=now, return_events=True))


def schedule_flow_runs(
    session: Session,
    flow_id: str,
    max_runs: int = DEFAULT_MAX_RUNS,
    now: datetime.datetime | None = None,
) -> list[str]:
    """Create the runs of the next ``max_runs`` scheduled times of a flow that are missing.

    Returns:
        The ids of the runs created now (runs that existed already are not listed).

    Raises:
        ScheduleError: the schedule cannot be read, or a run of it cannot be created (e.g. a
            required parameter without a default on the clock).
    """
    flow = session.get(Flow, flow_id)
    schedule = schedule_of(session, flow) if flow is not None else None
    if flow is None or flow.archived or not flow.is_schedule_active or schedule is None:
        return []
    created = []
    for event in upcoming_events(flow, max_runs, now or utcnow(), schedule):
        parameters = dict(event.parameter_defaults or {})
        labels = sorted(set(flow.labels or []) | set(event.labels or []))
        key = idempotency_key(flow.id, event.start_time, parameters, event.labels)
        if _existing(session, flow.id, key):
            continue
        try:
            run_id = flow_runs.create_flow_run(
                session, flow_id=flow.id, parameters=parameters, labels=labels,
                scheduled_start_time=event.start_time, idempotency_key=key,
            )
        except InvalidInput as exc:  # parameters that don't fit the flow
            raise ScheduleError(
                f"Flow {flow.id} ({flow.name!r}) has an active schedule, but its runs can't be "
                f"created: {exc} Give the schedule's clocks parameter_defaults for them."
            ) from exc
        session.execute(
            update(FlowRun).where(FlowRun.id == run_id).values(auto_scheduled=True),
            execution_options={"synchronize_session": False},
        )
        created.append(run_id)
    return created


def schedule_of(session: Session, flow: Flow) -> dict[str, Any] | None:
    """The serialized schedule ``flow`` runs on: its group's, when set, else its own."""
    group = session.get(FlowGroup, flow.flow_group_id) if flow.flow_group_id else None
    return group.schedule if group is not None and group.schedule is not None else flow.schedule


#: Prefect Server 1's clock inputs: cron strings, and intervals in seconds
_CLOCK_INPUT_KEYS = {"CronClock": ("cron", "parameter_defaults"),
                     "IntervalClock": ("interval", "parameter_defaults")}


def set_group_schedule(session: Session, flow_group_id: str, cron_clocks: Any = None,
                       interval_clocks: Any = None, timezone: str | None = None) -> None:
    """Prefect Server 1's ``set_flow_group_schedule``: a schedule of these clocks for every
    version of the group, replacing their own; their not-yet-started auto-scheduled runs are
    deleted, and the scheduler makes the new schedule's (for versions whose schedule is on).

    Raises:
        InvalidInput: a clock or time zone that can't make a schedule (saying which).
    """
    from prefect_jupyter.serialization.schedule import schedule_from_dict

    group = get_or_404(session, FlowGroup, flow_group_id)
    start = None
    if timezone:
        try:
            start = {"dt": datetime.datetime.now(ZoneInfo(timezone)).replace(tzinfo=None)
                     .isoformat(), "tz": timezone}
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"Unknown time zone {timezone!r} for the schedule: use an IANA "
                               "name, e.g. 'Europe/Berlin' or 'UTC'.") from None
    clocks = []
    for kind, items in (("CronClock", cron_clocks), ("IntervalClock", interval_clocks)):
        for item in items or []:
            clock: dict[str, Any] = {"type": kind, "start_date": start}
            clock.update({k: item[k] for k in _CLOCK_INPUT_KEYS[kind] if item.get(k) is not None})
            if kind == "IntervalClock":
                clock["interval"] = int(clock["interval"]) * 1_000_000  # microseconds, as stored
            clocks.append(clock)
    schedule = {"type": "Schedule", "clocks": clocks}
    try:
        schedule_from_dict(schedule).next(1)
    except Exception as exc:
        raise InvalidInput(f"These clocks can't make a schedule ({type(exc).__name__}: {exc}): "
                           "give cron strings like '0 * * * *' and intervals in seconds (> 0)."
                           ) from exc
    group.schedule = schedule
    _restart_group_schedule(session, group.id)


def delete_group_schedule(session: Session, flow_group_id: str) -> None:
    """Prefect Server 1's ``delete_flow_group_schedule``: each version runs on its own
    schedule again (its not-yet-started runs of the group's schedule are deleted)."""
    get_or_404(session, FlowGroup, flow_group_id).schedule = None
    _restart_group_schedule(session, flow_group_id)


def _restart_group_schedule(session: Session, flow_group_id: str) -> None:
    flow_ids = session.execute(select(Flow.id).where(Flow.flow_group_id == flow_group_id)).scalars()
    delete_auto_scheduled_runs(session, list(flow_ids))


def _existing(session: Session, flow_id: str, key: str) -> bool:
    return session.execute(
        select(FlowRun.id).where(FlowRun.flow_id == flow_id, FlowRun.idempotency_key == key)
    ).first() is not None


def delete_auto_scheduled_runs(session: Session, flow_ids: Iterable[str] | None = None) -> int:
    """Delete the not-yet-started auto-scheduled runs of flows that should not have any.

    Args:
        flow_ids: only these flows (whatever their schedule's state: the caller has just
            archived them or turned their schedule off); ``None``: every flow that is archived
            or whose schedule is off.

    Returns:
        How many runs were deleted.
    """
    if flow_ids is None:
        stopped = select(Flow.id).where(Flow.archived.is_(True) | Flow.is_schedule_active.is_(False))
    else:
        stopped = list(flow_ids)
        if not stopped:
            return 0
    unneeded = (
        FlowRun.auto_scheduled.is_(True),
        FlowRun.state == "Scheduled",
        FlowRun.flow_id.in_(stopped),
    )
    delete_run_history(session, *unneeded)
    result = session.execute(
        delete(FlowRun).where(*unneeded).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
