"""``Schedule``: clocks propose times, filters keep some, adjustments move them.

``IntervalSchedule``, ``CronSchedule`` and ``RRuleSchedule`` are Prefect 1's shortcuts for a
schedule of one clock.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from prefect_jupyter.schedules.clocks import (
    Clock,
    ClockEvent,
    CronClock,
    IntervalClock,
    RRuleClock,
    as_utc,
)
from prefect_jupyter.utilities.dates import to_pendulum

if TYPE_CHECKING:
    from dateutil.rrule import rrulebase

__all__ = ["Schedule", "IntervalSchedule", "CronSchedule", "RRuleSchedule"]

Filter = Callable[[datetime], bool]
Adjustment = Callable[[datetime], datetime]

# clocks can be endless and filters strict: `next` gives up after looking at this many events
MAX_EVENTS_CHECKED = 10_000


class Schedule:
    """When a flow runs: the events of its clocks that pass its filters, then adjusted.

    The clocks' events are merged in time order (an event two clocks share comes once). An event
    is kept when every one of ``filters`` passes, at least one of ``or_filters`` passes (if any
    are given), and none of ``not_filters`` passes. Each kept time then goes through
    ``adjustments`` in order.

    Args:
        clocks: the clocks proposing times (at least one for any time to come).
        filters: functions ``datetime -> bool`` that must all pass.
        or_filters: functions ``datetime -> bool`` of which one must pass.
        not_filters: functions ``datetime -> bool`` of which none may pass.
        adjustments: functions ``datetime -> datetime`` applied to each kept time, in order.

    Example:
        >>> from datetime import time, timedelta
        >>> from prefect_jupyter.schedules import Schedule, filters
        >>> from prefect_jupyter.schedules.clocks import IntervalClock
        >>> schedule = Schedule(
        ...     clocks=[IntervalClock(timedelta(hours=1))],
        ...     filters=[filters.is_weekday],
        ...     or_filters=[filters.at_time(time(9)), filters.at_time(time(17))],
        ... )
        >>> times = schedule.next(4)  # the next four 9am and 5pm (UTC) on weekdays
    """

    def __init__(
        self,
        clocks: Iterable[Clock],
        filters: list[Filter] | None = None,
        or_filters: list[Filter] | None = None,
        not_filters: list[Filter] | None = None,
        adjustments: list[Adjustment] | None = None,
    ) -> None:
        if not isinstance(clocks, Iterable):
            raise TypeError(
                "clocks should be a list of clocks, e.g. "
                "Schedule(clocks=[IntervalClock(timedelta(hours=1))])."
            )
        self.clocks = list(clocks)
        self.filters = filters or []
        self.or_filters = or_filters or []
        self.not_filters = not_filters or []
        self.adjustments = adjustments or []

    @property
    def start_date(self) -> datetime | None:
        """The earliest start date of the clocks, if any has one."""
        starts = [c.start_date for c in self.clocks if c.start_date is not None]
        return min(starts, key=as_utc, default=None)

    @property
    def end_date(self) -> datetime | None:
        """The latest end date of the clocks, if any has one."""
        ends = [c.end_date for c in self.clocks if c.end_date is not None]
        return max(ends, key=as_utc, default=None)

    def next(
        self, n: int, after: datetime | None = None, return_events: bool = False
    ) -> list[datetime] | list[ClockEvent]:
        """The next ``n`` scheduled times after ``after`` (default: now), as pendulum
        ``DateTime`` objects (as in Prefect 1).

        Fewer come back when the clocks run out, or when 10,000 events were looked at.

        Args:
            n: how many times to return.
            after: every time returned is after this.
            return_events: return ``ClockEvent`` objects (time, parameter defaults and labels of
                the clock) instead of datetimes.
        """
        found: list = []
        if n <= 0:
            return found
        for checked, event in enumerate(self._get_clock_events(after=after), start=1):
            if self._check_filters(event.start_time):
                event.start_time = to_pendulum(self._apply_adjustments(event.start_time))
                found.append(event if return_events else event.start_time)
            if len(found) >= n or checked >= MAX_EVENTS_CHECKED:
                break
        return found

    def _get_clock_events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """The clocks' events in time order; an event several clocks emit alike comes once.

        Events at the same time from clocks with different parameter defaults or labels are
        different events, and all come.
        """
        streams = [clock.events(after=after) for clock in self.clocks]
        current: datetime | None = None
        seen_at_current: list[ClockEvent] = []
        for event in heapq.merge(*streams, key=lambda e: as_utc(e.start_time)):
            instant = as_utc(event.start_time)
            if instant != current:
                current, seen_at_current = instant, []
            if event in seen_at_current:
                continue
            seen_at_current.append(event)
            yield event

    def _check_filters(self, dt: datetime) -> bool:
        """All ``filters``, one of the ``or_filters`` (if any) and none of the ``not_filters``."""
        if not all(f(dt) for f in self.filters):
            return False
        if self.or_filters and not any(f(dt) for f in self.or_filters):
            return False
        return not any(f(dt) for f in self.not_filters)

    def _apply_adjustments(self, dt: datetime) -> datetime:
        for adjust in self.adjustments:
            dt = adjust(dt)
        return dt

    def __repr__(self) -> str:
        return f"<Schedule: {len(self.clocks)} clock(s)>"


def IntervalSchedule(  # noqa: N802  (Prefect 1's name: it used to be a class)
    start_date: datetime | None = None,
    interval: timedelta | None = None,
    end_date: datetime | None = None,
) -> Schedule:
    """A schedule of one :class:`IntervalClock` (``start_date`` comes first, as in Prefect 1).

    Raises:
        TypeError: if ``interval`` is not a ``timedelta``.
        ValueError: if ``interval`` is not greater than zero.
    """
    return Schedule(
        clocks=[IntervalClock(interval=interval, start_date=start_date, end_date=end_date)]  # type: ignore[arg-type]
    )


def CronSchedule(  # noqa: N802
    cron: str,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    day_or: bool | None = None,
) -> Schedule:
    """A schedule of one :class:`CronClock`.

    Raises:
        ValueError: if ``cron`` is not a valid cron string.
    """
    return Schedule(
        clocks=[CronClock(cron=cron, start_date=start_date, end_date=end_date, day_or=day_or)]
    )


def RRuleSchedule(  # noqa: N802
    rrule_obj: rrulebase,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
) -> Schedule:
    """A schedule of one :class:`RRuleClock`.

    Raises:
        TypeError: if ``rrule_obj`` is not an rrule or rruleset.
    """
    return Schedule(clocks=[RRuleClock(rrule_obj, start_date=start_date, end_date=end_date)])
