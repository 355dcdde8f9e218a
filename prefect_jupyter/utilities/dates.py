"""Dates handed to user code are pendulum ``DateTime`` objects, as in Prefect 1.

Flow code formats context dates with pendulum's methods (``context.date.add(days=-1)
.format("YYYY-MM-DD")``), so ``Schedule.next()``, clock events and the run context's dates
(``scheduled_start_time``, ``date``) are pendulum objects. Inside, the engine and the clocks
compute with ``datetime`` (pendulum's ``DateTime`` is a ``datetime`` subclass, so the two mix);
conversion happens where a date leaves for user code. pendulum 2.1 and 3 both work, and pendulum
is imported on first use: it costs tens of milliseconds, which ``import prefect_jupyter`` does
not pay.
"""

from __future__ import annotations

import datetime
from typing import Any

__all__ = ["now", "to_pendulum"]


def now() -> Any:
    """The current time as a pendulum ``DateTime`` in UTC."""
    import pendulum

    return pendulum.now("UTC")


def to_pendulum(value: datetime.datetime) -> Any:
    """``value`` as a pendulum ``DateTime`` at the same instant, in the same time zone.

    A naive ``datetime`` is read as UTC (as the clocks do). Zones are kept by name (``ZoneInfo``
    and pytz zones alike), so calendar arithmetic such as ``.add(days=1)`` follows the zone's
    daylight saving rules; a zone without a name becomes a fixed offset.

    Raises:
        TypeError: if ``value`` is not a ``datetime``.
    """
    import pendulum

    if isinstance(value, pendulum.DateTime):
        return value
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"Expected a datetime, got {type(value).__name__}: {value!r}.")
    tz = value.tzinfo
    if tz is None or value.utcoffset() is None:
        value, zone = value.replace(tzinfo=datetime.UTC), pendulum.timezone("UTC")
    else:
        # ZoneInfo has `key`, pytz `zone`; a pendulum 2 Timezone only `name` (imported from its
        # module: in pendulum 2, the attribute `pendulum.tz.timezone` is a function)
        from pendulum.tz.timezone import Timezone

        # ZoneInfo, pytz and pendulum zones each name themselves differently
        name = getattr(tz, "key", None) or getattr(tz, "zone", None) or getattr(tz, "name", None)
        if not name and isinstance(tz, Timezone):
            name = tz.name
        if name and name[0] in "+-":  # a fixed offset's name ("+05:30"): pendulum 2 can't look it up
            name = None
        if name:
            zone = pendulum.timezone(name)
        elif value.utcoffset() == datetime.timedelta(0):
            zone = pendulum.timezone("UTC")
        else:  # pendulum.tz.fixed_timezone: pendulum 2 has no top-level fixed_timezone
            zone = pendulum.tz.fixed_timezone(int(value.utcoffset().total_seconds()))
    utc = value.astimezone(datetime.UTC)
    instant = pendulum.datetime(
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, tz="UTC"
    )
    return instant.in_timezone(zone)
