"""Schedule adjustments: functions ``datetime -> datetime`` that move a time the filters kept.

They return time-zone-aware datetimes (a naive one is read as UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from prefect_jupyter.schedules.clocks import as_aware, shift
from prefect_jupyter.schedules.filters import is_weekday

__all__ = ["add", "next_weekday"]


def add(interval: timedelta) -> Callable[[datetime], datetime]:
    """Move each time by ``interval``.

    As with ``IntervalClock``, a day or more is calendar time in the time's own zone (adding a
    day to 9am gives 9am, across DST changes too); less than a day is elapsed time.
    """

    def _add(dt: datetime) -> datetime:
        return shift(dt, interval)

    return _add


def next_weekday(dt: datetime) -> datetime:
    """Move a Saturday or Sunday to the following Monday, same time of day; a weekday is
    returned as it is (the same object)."""
    if is_weekday(dt):
        return dt
    moved = as_aware(dt)
    while not is_weekday(moved):
        moved = shift(moved, timedelta(days=1))
    return moved
