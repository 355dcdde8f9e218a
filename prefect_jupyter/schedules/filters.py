"""Schedule filters: functions ``datetime -> bool`` that keep (``True``) or drop a candidate time.

Filters on dates and times of day read the candidate's own time zone — the zone of its clock's
start date. Filters on whole datetimes compare instants (naive datetimes are read as UTC).

Example:
    >>> from datetime import time
    >>> Schedule(clocks=[...], filters=[is_weekday, between_times(time(9), time(17))])  # doctest: +SKIP
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime, time

from prefect_jupyter.schedules.clocks import as_utc

__all__ = [
    "on_datetime",
    "between_datetimes",
    "on_date",
    "between_dates",
    "at_time",
    "between_times",
    "is_weekday",
    "is_weekend",
    "is_month_end",
    "is_month_start",
    "is_day_of_week",
]

Filter = Callable[[datetime], bool]


def on_datetime(dt: datetime) -> Filter:
    """Keep only the time at the same instant as ``dt``."""
    target = as_utc(dt)

    def _on_datetime(dt: datetime) -> bool:
        return as_utc(dt) == target

    return _on_datetime


def between_datetimes(start: datetime, end: datetime) -> Filter:
    """Keep times from ``start`` to ``end``, both included."""
    low, high = as_utc(start), as_utc(end)

    def _between_datetimes(dt: datetime) -> bool:
        return low <= as_utc(dt) <= high

    return _between_datetimes


def on_date(month: int, day: int) -> Filter:
    """Keep times on this day of this month, in any year (``month`` 1 is January)."""

    def _on_date(dt: datetime) -> bool:
        return (dt.month, dt.day) == (month, day)

    return _on_date


def between_dates(start_month: int, start_day: int, end_month: int, end_day: int) -> Filter:
    """Keep times between two days of the year, both included, in any year.

    When the end comes before the start the range wraps the new year:
    ``between_dates(10, 15, 3, 31)`` keeps October 15 to March 31.
    """
    start, end = (start_month, start_day), (end_month, end_day)

    def _between_dates(dt: datetime) -> bool:
        day = (dt.month, dt.day)
        if start <= end:
            return start <= day <= end
        return day >= start or day <= end

    return _between_dates


def at_time(t: time) -> Filter:
    """Keep times at exactly this time of day: ``at_time(time(4))`` keeps 4am."""

    def _at_time(dt: datetime) -> bool:
        return dt.time() == t

    return _at_time


def between_times(start: time, end: time) -> Filter:
    """Keep times of day from ``start`` to ``end``, both included.

    When the end comes before the start the range wraps midnight:
    ``between_times(time(22), time(2))`` keeps 10pm to 2am.
    """

    def _between_times(dt: datetime) -> bool:
        t = dt.time()
        if start <= end:
            return start <= t <= end
        return t >= start or t <= end

    return _between_times


def is_weekday(dt: datetime) -> bool:
    """Keep Monday to Friday."""
    return dt.weekday() < 5


def is_weekend(dt: datetime) -> bool:
    """Keep Saturday and Sunday."""
    return dt.weekday() > 4


def is_month_end(dt: datetime) -> bool:
    """Keep the last day of each month."""
    return dt.day == calendar.monthrange(dt.year, dt.month)[1]


def is_month_start(dt: datetime) -> bool:
    """Keep the first day of each month."""
    return dt.day == 1


def is_day_of_week(day_of_week: int) -> Filter:
    """Keep one day of the week, numbered as ``datetime.weekday()``: 0 is Monday, 6 is Sunday."""

    def _is_day_of_week(dt: datetime) -> bool:
        return dt.weekday() == day_of_week

    return _is_day_of_week
