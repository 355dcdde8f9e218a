"""The values inside a schedule's JSON: datetimes with their zone, and function references.

Shared by the plain JSON form (:mod:`.schedule`) and Prefect 1's marshmallow schemas
(:mod:`.schedule_schema`), so that neither imports the other for them.

* Datetimes are ``{"dt": ISO 8601 with offset, "tz": zone name or None}``: the offset pins the
  instant and the zone name keeps daylight-saving rules.
* Filters and adjustments are saved by reference — ``{"fn": "<module>.<name>"}`` for a plain
  function, ``{"fn": "<module>.<factory>", "kwargs": {...}}`` for a closure a factory made — and
  only for the functions in ``prefect_jupyter.schedules.filters`` and ``.adjustments``
  (``FACTORIES`` and ``PLAIN``), which a server can rebuild without running the user's code.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect_jupyter.schedules import adjustments, clocks, filters

__all__ = [
    "ADJUSTMENT_MODULE",
    "FACTORIES",
    "FILTER_MODULE",
    "PLAIN",
    "datetime_from_dict",
    "datetime_to_dict",
    "function_from_dict",
    "function_to_dict",
    "load_optional_dt",
    "optional_dt",
]

FILTER_MODULE = filters.__name__
ADJUSTMENT_MODULE = adjustments.__name__


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


def optional_dt(dt: datetime | None) -> dict[str, Any] | None:
    return None if dt is None else datetime_to_dict(dt)


def load_optional_dt(data: dict[str, Any] | None) -> datetime | None:
    return None if data is None else datetime_from_dict(data)


# -- function references (filters and adjustments) -------------------------------------------------
# For each factory: turn the closure's variables into the factory's keyword arguments (as JSON),
# and those arguments back into values for the factory.
_Encode = Callable[[dict[str, Any]], dict[str, Any]]
_Decode = Callable[[dict[str, Any]], dict[str, Any]]

FACTORIES: dict[str, tuple[Callable[..., Any], _Encode, _Decode]] = {
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
PLAIN = {
    f"{FILTER_MODULE}.{name}": getattr(filters, name)
    for name in ("is_weekday", "is_weekend", "is_month_end", "is_month_start")
} | {f"{ADJUSTMENT_MODULE}.next_weekday": adjustments.next_weekday}


def function_to_dict(fn: Callable[..., Any], kind: str) -> dict[str, Any]:
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", "")
    if module in (FILTER_MODULE, ADJUSTMENT_MODULE):
        path = f"{module}.{qualname}"
        if path in PLAIN:
            return {"fn": path}
        factory = qualname.split(".<locals>.", 1)[0]
        if factory in FACTORIES and ".<locals>." in qualname:
            made_by, encode, _ = FACTORIES[factory]
            variables = inspect.getclosurevars(fn).nonlocals
            return {"fn": f"{made_by.__module__}.{factory}", "kwargs": encode(variables)}
    raise ValueError(
        f"The schedule {kind} {fn!r} can't be saved with the flow: only the {kind}s in "
        f"{FILTER_MODULE if kind == 'filter' else ADJUSTMENT_MODULE} can be registered, because "
        "the server must rebuild them without running your code. Express it with those "
        "functions, or drop it before registering."
    )


def function_from_dict(data: dict[str, Any]) -> Callable[..., Any]:
    path = data.get("fn")
    if path in PLAIN:
        return PLAIN[path]
    module, _, name = str(path).rpartition(".")
    if module in (FILTER_MODULE, ADJUSTMENT_MODULE) and name in FACTORIES:
        made_by, _, decode = FACTORIES[name]
        return made_by(**decode(data.get("kwargs") or {}))
    raise ValueError(f"Unknown schedule function {path!r}; expected one of {FILTER_MODULE}'s "
                     f"filters or {ADJUSTMENT_MODULE}'s adjustments.")
