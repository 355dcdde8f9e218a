"""Schedules as JSON, and back: what a registered flow's ``schedule`` column holds.

The shape follows Prefect 1's ``ScheduleSchema``: a schedule is ``{"type": "Schedule",
"clocks": [...], "filters": [...], "or_filters": [...], "not_filters": [...],
"adjustments": [...]}``. Each clock names its class in ``type`` and carries its own fields plus
``parameter_defaults`` and ``labels``. Filters and adjustments are *function references*:
``{"fn": "prefect_jupyter.schedules.filters.is_weekday"}`` for a plain function and
``{"fn": "prefect_jupyter.schedules.filters.at_time", "kwargs": {"t": "09:00:00"}}`` for one made
by a factory; only the functions in ``prefect_jupyter.schedules.filters`` and
``prefect_jupyter.schedules.adjustments`` can be saved, as a server must be able to rebuild them
without running the user's code.

Datetimes are ``{"dt": ISO 8601 with offset, "tz": zone name or None}``: the offset pins the
instant and the zone name keeps daylight-saving rules, so a clock started at 9am in New York still
fires at 9am New York time after a round trip. Those values (datetimes and function references)
are :mod:`.schedule_values`'s, shared with Prefect 1's marshmallow schemas in
:mod:`.schedule_schema`, which this module offers by name on first use (Prefect 1's path).

Example:
    >>> from datetime import timedelta
    >>> from prefect_jupyter.schedules import IntervalSchedule
    >>> data = schedule_to_dict(IntervalSchedule(interval=timedelta(hours=1)))
    >>> schedule_from_dict(data).clocks[0].interval
    datetime.timedelta(seconds=3600)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prefect_jupyter.schedules import clocks
from prefect_jupyter.schedules.schedules import Schedule
from prefect_jupyter.serialization.schedule_values import (
    datetime_from_dict,
    datetime_to_dict,
    function_from_dict,
    function_to_dict,
    load_optional_dt,
    optional_dt,
)

__all__ = ["schedule_to_dict", "schedule_from_dict", "datetime_to_dict", "datetime_from_dict"]


# -- rrules ----------------------------------------------------------------------------------------
def _rrule_to_dict(rule: Any) -> dict[str, Any]:
    from dateutil import rrule

    if isinstance(rule, rrule.rruleset):
        return {
            "type": "rruleset",
            "rrules": [_rrule_to_dict(r) for r in rule._rrule],
            "rdates": [datetime_to_dict(d) for d in rule._rdate],
            "exrules": [_rrule_to_dict(r) for r in rule._exrule],
            "exdates": [datetime_to_dict(d) for d in rule._exdate],
            "naive": _is_naive_rule(rule),
        }
    # str() drops time zones: keep dtstart and until (with their zones) beside the rule text
    return {
        "type": "rrule",
        "rule": str(rule),
        "dtstart": datetime_to_dict(rule._dtstart),
        "until": optional_dt(rule._until),
        "naive": rule._dtstart.tzinfo is None,
    }


def _is_naive_rule(ruleset: Any) -> bool:
    first = next(iter(ruleset), None)
    return first is None or first.tzinfo is None


def _naive_if(dt: datetime, naive: bool) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None) if naive else dt


def _rrule_from_dict(data: dict[str, Any]) -> Any:
    from dateutil import rrule

    naive = bool(data.get("naive"))
    if data["type"] == "rruleset":
        ruleset = rrule.rruleset()
        for r in data["rrules"]:
            ruleset.rrule(_rrule_from_dict(r))
        for d in data["rdates"]:
            ruleset.rdate(_naive_if(datetime_from_dict(d), naive))
        for r in data["exrules"]:
            ruleset.exrule(_rrule_from_dict(r))
        for d in data["exdates"]:
            ruleset.exdate(_naive_if(datetime_from_dict(d), naive))
        return ruleset
    rule = rrule.rrulestr(data["rule"])
    changes: dict[str, Any] = {"dtstart": _naive_if(datetime_from_dict(data["dtstart"]), naive)}
    if data.get("until") is not None:
        changes["until"] = _naive_if(datetime_from_dict(data["until"]), naive)
    return rule.replace(**changes)


# -- clocks and schedules --------------------------------------------------------------------------
def _clock_to_dict(clock: clocks.Clock) -> dict[str, Any]:
    data: dict[str, Any] = {"type": type(clock).__name__}
    if isinstance(clock, clocks.IntervalClock):
        data["interval"] = clock.interval.total_seconds()
    elif isinstance(clock, clocks.CronClock):
        data["cron"] = clock.cron
        data["day_or"] = clock.day_or
    elif isinstance(clock, clocks.DatesClock):
        data["dates"] = [datetime_to_dict(d) for d in clock.dates]
    elif isinstance(clock, clocks.RRuleClock):
        data["rrule_obj"] = _rrule_to_dict(clock.rrule_obj)
    else:
        raise ValueError(
            f"The clock {clock!r} can't be saved with the flow: only IntervalClock, CronClock, "
            "DatesClock and RRuleClock from prefect_jupyter.schedules.clocks can be registered."
        )
    if not isinstance(clock, clocks.DatesClock):
        data["start_date"] = optional_dt(clock.start_date)
        data["end_date"] = optional_dt(clock.end_date)
    data["parameter_defaults"] = dict(clock.parameter_defaults)
    data["labels"] = None if clock.labels is None else list(clock.labels)
    return data


def _clock_from_dict(data: dict[str, Any]) -> clocks.Clock:
    kind = data.get("type")
    common = {"parameter_defaults": data.get("parameter_defaults"), "labels": data.get("labels")}
    dates = {
        "start_date": load_optional_dt(data.get("start_date")),
        "end_date": load_optional_dt(data.get("end_date")),
    }
    if kind == "IntervalClock":
        return clocks.IntervalClock(timedelta(seconds=data["interval"]), **dates, **common)
    if kind == "CronClock":
        return clocks.CronClock(data["cron"], day_or=data.get("day_or"), **dates, **common)
    if kind == "DatesClock":
        return clocks.DatesClock([datetime_from_dict(d) for d in data["dates"]], **common)
    if kind == "RRuleClock":
        return clocks.RRuleClock(_rrule_from_dict(data["rrule_obj"]), **dates, **common)
    raise ValueError(
        f"Unknown clock type {kind!r}; expected IntervalClock, CronClock, DatesClock or RRuleClock."
    )


def schedule_to_dict(schedule: Schedule | None) -> dict[str, Any] | None:
    """``schedule`` as a JSON-ready dict (``None`` stays ``None``).

    Raises:
        ValueError: for a clock, filter or adjustment that can't be rebuilt from JSON (a custom
            function), or a time zone without a name.
    """
    if schedule is None:
        return None
    if not isinstance(schedule, Schedule):
        raise TypeError(
            f"A flow's schedule must be a prefect_jupyter.schedules.Schedule, got {schedule!r}."
        )
    return {
        "type": "Schedule",
        "clocks": [_clock_to_dict(c) for c in schedule.clocks],
        "filters": [function_to_dict(f, "filter") for f in schedule.filters],
        "or_filters": [function_to_dict(f, "filter") for f in schedule.or_filters],
        "not_filters": [function_to_dict(f, "filter") for f in schedule.not_filters],
        "adjustments": [function_to_dict(a, "adjustment") for a in schedule.adjustments],
    }


def schedule_from_dict(data: dict[str, Any] | None) -> Schedule | None:
    """The schedule :func:`schedule_to_dict` described (``None`` stays ``None``).

    Raises:
        ValueError: for an unknown clock type or function reference.
    """
    if data is None:
        return None
    return Schedule(
        clocks=[_clock_from_dict(c) for c in data.get("clocks", [])],
        filters=[function_from_dict(f) for f in data.get("filters", [])],
        or_filters=[function_from_dict(f) for f in data.get("or_filters", [])],
        not_filters=[function_from_dict(f) for f in data.get("not_filters", [])],
        adjustments=[function_from_dict(a) for a in data.get("adjustments", [])],
    )


def __getattr__(name: str) -> Any:
    # Prefect 1's marshmallow schemas (ScheduleSchema, ClockSchema, ...) at Prefect 1's path,
    # imported on first use so that registering a flow never needs marshmallow
    if name.endswith("Schema"):
        from prefect_jupyter.serialization import schedule_schema

        if hasattr(schedule_schema, name):
            return getattr(schedule_schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
