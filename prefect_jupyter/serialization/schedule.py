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
fires at 9am New York time after a round trip.

Example:
    >>> from datetime import timedelta
    >>> from prefect_jupyter.schedules import IntervalSchedule
    >>> data = schedule_to_dict(IntervalSchedule(interval=timedelta(hours=1)))
    >>> schedule_from_dict(data).clocks[0].interval
    datetime.timedelta(seconds=3600)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect_jupyter.schedules import adjustments, clocks, filters
from prefect_jupyter.schedules.schedules import Schedule

__all__ = ["schedule_to_dict", "schedule_from_dict", "datetime_to_dict", "datetime_from_dict"]

_FILTER_MODULE = filters.__name__
_ADJUSTMENT_MODULE = adjustments.__name__


# -- datetimes -------------------------------------------------------------------------------------
def _zone_name(tz: tzinfo, sample: datetime) -> str | None:
    """The IANA name of ``tz``, or ``None`` for a fixed offset (which the ISO string keeps)."""
    if tz == UTC:
        return "UTC"
    key = getattr(tz, "key", None)  # zoneinfo
    if isinstance(key, str):
        return key
    filename = getattr(tz, "_filename", None)  # dateutil's tzfile
    if isinstance(filename, str) and "zoneinfo/" in filename:
        candidate = filename.split("zoneinfo/", 1)[1]
        try:
            ZoneInfo(candidate)
            return candidate
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if isinstance(tz, timezone) or _has_fixed_offset(tz, sample):
        return None
    raise ValueError(
        f"The time zone {tz!r} of {sample.isoformat()} can't be saved with the schedule: its name "
        "is unknown. Use a named zone, e.g. zoneinfo.ZoneInfo('America/New_York')."
    )


def _has_fixed_offset(tz: tzinfo, sample: datetime) -> bool:
    offsets = {
        (sample.replace(tzinfo=None) + timedelta(days=d)).replace(tzinfo=tz).utcoffset()
        for d in range(0, 366, 30)
    }
    return len(offsets) == 1


def datetime_to_dict(dt: datetime) -> dict[str, Any]:
    """``dt`` as ``{"dt": ISO 8601 with offset, "tz": zone name or None}`` (naive means UTC)."""
    dt = clocks.as_aware(dt)
    return {"dt": dt.isoformat(), "tz": _zone_name(dt.tzinfo, dt)}  # type: ignore[arg-type]


def datetime_from_dict(data: dict[str, Any]) -> datetime:
    """The datetime :func:`datetime_to_dict` described, in its original zone."""
    dt = datetime.fromisoformat(data["dt"])
    name = data.get("tz")
    if name == "UTC":
        return dt.astimezone(UTC)
    if name:
        return dt.astimezone(ZoneInfo(name))
    return dt


def _optional_dt(dt: datetime | None) -> dict[str, Any] | None:
    return None if dt is None else datetime_to_dict(dt)


def _load_optional_dt(data: dict[str, Any] | None) -> datetime | None:
    return None if data is None else datetime_from_dict(data)


# -- function references (filters and adjustments) -------------------------------------------------
# For each factory: turn the closure's variables into the factory's keyword arguments (as JSON),
# and those arguments back into values for the factory.
_Encode = Callable[[dict[str, Any]], dict[str, Any]]
_Decode = Callable[[dict[str, Any]], dict[str, Any]]

_FACTORIES: dict[str, tuple[Callable[..., Any], _Encode, _Decode]] = {
    "on_datetime": (
        filters.on_datetime,
        lambda v: {"dt": datetime_to_dict(v["target"])},
        lambda k: {"dt": datetime_from_dict(k["dt"])},
    ),
    "between_datetimes": (
        filters.between_datetimes,
        lambda v: {"start": datetime_to_dict(v["low"]), "end": datetime_to_dict(v["high"])},
        lambda k: {"start": datetime_from_dict(k["start"]), "end": datetime_from_dict(k["end"])},
    ),
    "on_date": (
        filters.on_date,
        lambda v: {"month": v["month"], "day": v["day"]},
        lambda k: dict(k),
    ),
    "between_dates": (
        filters.between_dates,
        lambda v: {
            "start_month": v["start"][0], "start_day": v["start"][1],
            "end_month": v["end"][0], "end_day": v["end"][1],
        },
        lambda k: dict(k),
    ),
    "at_time": (
        filters.at_time,
        lambda v: {"t": v["t"].isoformat()},
        lambda k: {"t": time.fromisoformat(k["t"])},
    ),
    "between_times": (
        filters.between_times,
        lambda v: {"start": v["start"].isoformat(), "end": v["end"].isoformat()},
        lambda k: {"start": time.fromisoformat(k["start"]), "end": time.fromisoformat(k["end"])},
    ),
    "is_day_of_week": (
        filters.is_day_of_week,
        lambda v: {"day_of_week": v["day_of_week"]},
        lambda k: dict(k),
    ),
    "add": (
        adjustments.add,
        lambda v: {"interval": v["interval"].total_seconds()},
        lambda k: {"interval": timedelta(seconds=k["interval"])},
    ),
}
_PLAIN = {
    f"{_FILTER_MODULE}.{name}": getattr(filters, name)
    for name in ("is_weekday", "is_weekend", "is_month_end", "is_month_start")
} | {f"{_ADJUSTMENT_MODULE}.next_weekday": adjustments.next_weekday}


def _function_to_dict(fn: Callable[..., Any], kind: str) -> dict[str, Any]:
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", "")
    if module in (_FILTER_MODULE, _ADJUSTMENT_MODULE):
        path = f"{module}.{qualname}"
        if path in _PLAIN:
            return {"fn": path}
        factory = qualname.split(".<locals>.", 1)[0]
        if factory in _FACTORIES and ".<locals>." in qualname:
            made_by, encode, _ = _FACTORIES[factory]
            variables = inspect.getclosurevars(fn).nonlocals
            return {"fn": f"{made_by.__module__}.{factory}", "kwargs": encode(variables)}
    raise ValueError(
        f"The schedule {kind} {fn!r} can't be saved with the flow: only the {kind}s in "
        f"{_FILTER_MODULE if kind == 'filter' else _ADJUSTMENT_MODULE} can be registered, because "
        "the server must rebuild them without running your code. Express it with those "
        "functions, or drop it before registering."
    )


def _function_from_dict(data: dict[str, Any]) -> Callable[..., Any]:
    path = data.get("fn")
    if path in _PLAIN:
        return _PLAIN[path]
    module, _, name = str(path).rpartition(".")
    if module in (_FILTER_MODULE, _ADJUSTMENT_MODULE) and name in _FACTORIES:
        made_by, _, decode = _FACTORIES[name]
        return made_by(**decode(data.get("kwargs") or {}))
    raise ValueError(f"Unknown schedule function {path!r}; expected one of {_FILTER_MODULE}'s "
                     f"filters or {_ADJUSTMENT_MODULE}'s adjustments.")


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
        "until": _optional_dt(rule._until),
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
        data["start_date"] = _optional_dt(clock.start_date)
        data["end_date"] = _optional_dt(clock.end_date)
    data["parameter_defaults"] = dict(clock.parameter_defaults)
    data["labels"] = None if clock.labels is None else list(clock.labels)
    return data


def _clock_from_dict(data: dict[str, Any]) -> clocks.Clock:
    kind = data.get("type")
    common = {"parameter_defaults": data.get("parameter_defaults"), "labels": data.get("labels")}
    dates = {
        "start_date": _load_optional_dt(data.get("start_date")),
        "end_date": _load_optional_dt(data.get("end_date")),
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
        "filters": [_function_to_dict(f, "filter") for f in schedule.filters],
        "or_filters": [_function_to_dict(f, "filter") for f in schedule.or_filters],
        "not_filters": [_function_to_dict(f, "filter") for f in schedule.not_filters],
        "adjustments": [_function_to_dict(a, "adjustment") for a in schedule.adjustments],
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
        filters=[_function_from_dict(f) for f in data.get("filters", [])],
        or_filters=[_function_from_dict(f) for f in data.get("or_filters", [])],
        not_filters=[_function_from_dict(f) for f in data.get("not_filters", [])],
        adjustments=[_function_from_dict(a) for a in data.get("adjustments", [])],
    )


def __getattr__(name: str) -> Any:
    # Prefect 1's marshmallow schemas (ScheduleSchema, ClockSchema, ...) at Prefect 1's path,
    # imported on first use so that registering a flow never needs marshmallow
    if name.endswith("Schema"):
        from prefect_jupyter.serialization import schedule_schema

        if hasattr(schedule_schema, name):
            return getattr(schedule_schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
