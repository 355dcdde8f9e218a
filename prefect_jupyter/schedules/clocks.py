"""Clocks: where a schedule's candidate times come from.

A clock's ``events(after=None)`` is a generator of :class:`ClockEvent` in time order, each
strictly after ``after`` (default: now). A naive ``datetime`` given to a clock is read as UTC,
and a clock's events are in the time zone of its ``start_date`` (UTC without one). Clocks compute
with ``datetime``; the events' times are pendulum ``DateTime`` objects (a ``datetime`` subclass),
as Prefect 1 hands out.

Daylight saving time (DST) follows Prefect 1's rules:

* ``IntervalClock`` — an interval shorter than a day counts elapsed time (an hourly clock fires
  every UTC hour, so 1am local comes twice when the clocks go back); an interval of a day or
  more counts calendar time in the start date's zone (a daily 9am clock stays at 9am).
* ``CronClock`` — cron matches wall-clock times, each one once: an hourly cron has no 2am on the
  day the clocks go forward, and fires only the second time 1am comes when they go back.

``croniter`` and ``dateutil.rrule`` are imported only when a ``CronClock`` or ``RRuleClock`` is
made.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from prefect_jupyter.utilities.dates import to_pendulum

if TYPE_CHECKING:
    from dateutil.rrule import rrulebase

__all__ = ["ClockEvent", "Clock", "IntervalClock", "CronClock", "DatesClock", "RRuleClock"]

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
# the longest DST shift in use (Antarctica/Troll moves two hours); cron looks back this far
_MAX_DST_SHIFT = timedelta(hours=3)


def as_aware(dt: datetime) -> datetime:
    """``dt`` with a time zone: naive times are read as UTC, pytz zones become ``ZoneInfo``."""
    if not isinstance(dt, datetime):
        raise TypeError(f"Expected a datetime, got {type(dt).__name__}: {dt!r}.")
    if type(dt) is not datetime:
        # a pendulum DateTime (what clocks hand out): compute with plain datetimes, whose
        # arithmetic is the standard library's (pendulum 2's differs and breaks on Python 3.11)
        dt = datetime(
            dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond,
            tzinfo=dt.tzinfo, fold=dt.fold,
        )
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.replace(tzinfo=UTC)
    zone_name = getattr(dt.tzinfo, "zone", None)
    if zone_name and hasattr(dt.tzinfo, "localize"):  # pytz: its zones break datetime arithmetic
        return dt.astimezone(ZoneInfo(zone_name))
    if type(dt.tzinfo).__module__.startswith("pendulum"):  # a pendulum zone: the same, by name
        name = getattr(dt.tzinfo, "name", None)
        if name and "/" in name or name == "UTC":
            return dt.astimezone(ZoneInfo(name))
    return dt


def as_utc(dt: datetime) -> datetime:
    """The instant of ``dt`` in UTC (naive times are read as UTC).

    Compare instants through this: Python compares two datetimes sharing a ``tzinfo`` by wall
    time, so 1:30am EDT and 1:30am EST would otherwise be equal.
    """
    return as_aware(dt).astimezone(UTC)


def localize(wall: datetime, tz: tzinfo | None) -> datetime:
    """Attach ``tz`` to the naive wall-clock time ``wall``.

    A wall time that comes twice (clocks going back) reads as its later occurrence; one that never
    comes (clocks going forward) moves forward by the gap: 2:30am becomes 3:30am. These are
    pendulum's rules, which Prefect 1 used.
    """
    later = wall.replace(tzinfo=tz, fold=1).astimezone(UTC).astimezone(tz)
    if later.replace(tzinfo=None) == wall:
        return later
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def _plain(dt: datetime) -> datetime:
    """``dt`` as a ``datetime`` itself: a pendulum 2 ``DateTime`` moved to a non-pendulum zone
    (``astimezone(UTC)``) can't add a ``timedelta`` any more, so arithmetic happens on these."""
    if type(dt) is datetime:
        return dt
    return datetime(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond,
                    tzinfo=dt.tzinfo, fold=dt.fold)


def shift(dt: datetime, delta: timedelta) -> datetime:
    """``dt + delta``: calendar time in ``dt``'s zone for a day or more, elapsed time for less."""
    dt = _plain(as_aware(dt))
    if abs(delta) >= _ONE_DAY:
        return localize(dt.replace(tzinfo=None) + delta, dt.tzinfo)
    return (dt.astimezone(UTC) + delta).astimezone(dt.tzinfo)


class ClockEvent:
    """One time a clock fires, with the parameter defaults and labels of its clock.

    Events compare and sort by their instant; an event equals a ``datetime`` at the same instant,
    and another event when the time, parameter defaults and labels all match.

    Args:
        start_time: when the flow run should start.
        parameter_defaults: values for the flow's parameters on runs at this time.
        labels: labels for runs at this time.
    """

    def __init__(
        self,
        start_time: datetime,
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        self.start_time = start_time
        self.parameter_defaults = parameter_defaults or {}
        self.labels = labels

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ClockEvent):
            return (
                as_utc(self.start_time) == as_utc(other.start_time)
                and self.parameter_defaults == other.parameter_defaults
                and self.labels == other.labels
            )
        if isinstance(other, datetime):
            return as_utc(self.start_time) == as_utc(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equality depends on mutable fields

    def _compare(self, other: object) -> tuple[datetime, datetime] | None:
        if isinstance(other, ClockEvent):
            return as_utc(self.start_time), as_utc(other.start_time)
        if isinstance(other, datetime):
            return as_utc(self.start_time), as_utc(other)
        return None

    def __lt__(self, other: object) -> bool:
        pair = self._compare(other)
        return NotImplemented if pair is None else pair[0] < pair[1]

    def __le__(self, other: object) -> bool:
        pair = self._compare(other)
        return NotImplemented if pair is None else pair[0] <= pair[1]

    def __gt__(self, other: object) -> bool:
        pair = self._compare(other)
        return NotImplemented if pair is None else pair[0] > pair[1]

    def __ge__(self, other: object) -> bool:
        pair = self._compare(other)
        return NotImplemented if pair is None else pair[0] >= pair[1]

    def __repr__(self) -> str:
        return (
            f"ClockEvent(start_time={self.start_time.isoformat()}, "
            f"parameter_defaults={self.parameter_defaults!r}, labels={self.labels!r})"
        )


class Clock:
    """Base class of clocks: subclasses implement :meth:`events`.

    Args:
        start_date: no event is earlier than this.
        end_date: no event is later than this.
        parameter_defaults: parameter values for every flow run on this clock's events.
        labels: labels for every flow run on this clock's events.
    """

    def __init__(
        self,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        self.start_date = None if start_date is None else as_aware(start_date)
        self.end_date = None if end_date is None else as_aware(end_date)
        self.parameter_defaults = parameter_defaults or {}
        self.labels = labels

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """Yield this clock's events after ``after`` (default: now), earliest first."""
        raise NotImplementedError("Must be implemented on Clock subclasses")

    def _event(self, start_time: datetime) -> ClockEvent:
        # times leave the clock as pendulum DateTimes, as in Prefect 1 (computed as datetimes)
        labels = None if self.labels is None else list(self.labels)
        return ClockEvent(to_pendulum(start_time), dict(self.parameter_defaults), labels)

    def _is_past_end(self, when: datetime) -> bool:
        return self.end_date is not None and as_utc(when) > as_utc(self.end_date)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: start_date={self.start_date}, end_date={self.end_date}>"


class IntervalClock(Clock):
    """Fires every ``interval``, counted from ``start_date``.

    An interval shorter than a day is elapsed time: an hourly clock fires every UTC hour, across
    DST changes too. An interval of a day or more is calendar time in the start date's zone: a
    daily clock started at 9am New York time fires at 9am New York time all year.

    Args:
        interval: time between events; must be greater than zero.
        start_date: the first event (default: 2019-01-01 00:00 UTC).
        end_date: no event is later than this.
        parameter_defaults: parameter values for every flow run on this clock's events.
        labels: labels for every flow run on this clock's events.

    Raises:
        TypeError: if ``interval`` is not a ``timedelta``.
        ValueError: if ``interval`` is not greater than zero.

    Example:
        >>> from datetime import datetime, timedelta
        >>> clock = IntervalClock(timedelta(hours=1), start_date=datetime(2024, 1, 1))
        >>> next(clock.events(after=datetime(2024, 1, 1, 9, 30))).start_time.hour
        10
    """

    def __init__(
        self,
        interval: timedelta,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        if not isinstance(interval, timedelta):
            raise TypeError("Interval must be a timedelta.")
        if interval <= timedelta(0):
            raise ValueError("Interval must be greater than 0.")
        self.interval = interval
        super().__init__(start_date, end_date, parameter_defaults, labels)

    def _nth(self, start: datetime, n: int) -> datetime:
        start = _plain(start)
        if self.interval >= _ONE_DAY:
            return localize(start.replace(tzinfo=None) + self.interval * n, start.tzinfo)
        return (start.astimezone(UTC) + self.interval * n).astimezone(start.tzinfo)

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """Yield events after ``after`` (default: now), earliest first; endless without end_date."""
        start = self.start_date or datetime(2019, 1, 1, tzinfo=UTC)
        after_utc = datetime.now(UTC) if after is None else as_utc(after)
        difference = after_utc - as_utc(start)
        # a plain timedelta: pendulum's Interval (pendulum start dates) can't be floor-divided
        # by a timedelta in pendulum 3
        elapsed = timedelta(difference.days, difference.seconds, difference.microseconds)
        n = 0 if elapsed < timedelta(0) else elapsed // self.interval + 1
        # calendar intervals are not all the same length, so the elapsed-time guess can overshoot
        while n > 0 and as_utc(self._nth(start, n - 1)) > after_utc:
            n -= 1
        while True:
            when = self._nth(start, n)
            n += 1
            if as_utc(when) <= after_utc:
                continue
            if self._is_past_end(when):
                return
            yield self._event(when)


class CronClock(Clock):
    """Fires at the times a cron string matches, in the start date's time zone (UTC without one).

    Cron matches wall-clock times, each once: on the day the clocks go forward an hourly cron has
    no 2am, and on the day they go back it fires the second time 1am comes, not the first (as
    Prefect 1 does).
    A daily ``0 9 * * *`` stays at 9am local time. An event never comes before ``start_date``
    (a start date with microseconds is later than the whole second it starts in).

    Args:
        cron: a cron string, e.g. ``"0 9 * * 1-5"`` (9am on weekdays).
        start_date: no event is earlier than this; its time zone is the clock's.
        end_date: no event is later than this.
        parameter_defaults: parameter values for every flow run on this clock's events.
        labels: labels for every flow run on this clock's events.
        day_or: how a cron string with both a day of month and a day of week combines them:
            ``True`` (the default, like cron) fires on either; ``False`` only when both match,
            e.g. ``"0 9 8-14 * 5", day_or=False`` is the second Friday of each month.

    Raises:
        ValueError: if ``cron`` is not a valid cron string.
    """

    def __init__(
        self,
        cron: str,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
        day_or: bool | None = None,
    ) -> None:
        from croniter import croniter

        if not isinstance(cron, str) or not croniter.is_valid(cron):
            raise ValueError(
                f"Invalid cron string: {cron}. A cron string has five space-separated fields, "
                "minute hour day-of-month month day-of-week, e.g. '0 9 * * 1-5' for 9am on "
                "weekdays."
            )
        self.cron = cron
        self.day_or = True if day_or is None else day_or
        super().__init__(start_date, end_date, parameter_defaults, labels)

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """Yield events after ``after`` (default: now), earliest first; endless without end_date."""
        from croniter import croniter

        tz = self.start_date.tzinfo if self.start_date is not None else UTC
        after_utc = datetime.now(UTC) if after is None else as_utc(after)
        start_utc = None if self.start_date is None else as_utc(self.start_date)
        # croniter returns times strictly after where it begins, in whole seconds: begin a second
        # before the earliest time that could fire, and filter
        earliest = after_utc if start_utc is None else max(after_utc, start_utc)
        begin = earliest.replace(microsecond=0) - _ONE_SECOND
        # near a DST change, begin earlier: a wall time repeated after the clocks went back must
        # be skipped even when its first occurrence came before `after` (not before the start)
        offsets = {(begin + k * _MAX_DST_SHIFT).astimezone(tz).utcoffset() for k in (-1, 0, 1)}
        if len(offsets) > 1:
            begin -= _MAX_DST_SHIFT
            if start_utc is not None:
                begin = max(begin, start_utc.replace(microsecond=0) - _ONE_SECOND)

        cron = croniter(self.cron, begin.astimezone(tz), day_or=self.day_or)
        latest_wall: datetime | None = None
        previous_utc = begin
        stuck = 0
        while True:
            found = cron.get_next(datetime)
            found_utc = as_utc(found)
            if found_utc <= previous_utc:  # a croniter slip at a DST boundary: don't loop forever
                stuck += 1
                if stuck > 100:
                    return
                continue
            previous_utc, stuck = found_utc, 0
            wall = found.replace(tzinfo=None)
            if latest_wall is not None and wall <= latest_wall:
                continue  # this wall time was yielded already (the clocks went back)
            latest_wall = wall
            # a wall time that comes twice fires once, at its later occurrence (as Prefect 1)
            when = localize(wall, tz)
            when_utc = as_utc(when)
            if when_utc <= after_utc or (start_utc is not None and when_utc < start_utc):
                continue
            if self._is_past_end(when):
                return
            yield self._event(when)


class DatesClock(Clock):
    """Fires at each of the given dates.

    Args:
        dates: the times to fire at (naive times are read as UTC); ``start_date`` and
            ``end_date`` are the earliest and latest of them.
        parameter_defaults: parameter values for every flow run on this clock's events.
        labels: labels for every flow run on this clock's events.

    Raises:
        ValueError: if ``dates`` is empty.
    """

    def __init__(
        self,
        dates: list[datetime],
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        aware = [as_aware(d) for d in dates]
        if not aware:
            raise ValueError(
                "DatesClock needs at least one date, e.g. DatesClock([datetime(2030, 1, 1, 9)])."
            )
        super().__init__(min(aware, key=as_utc), max(aware, key=as_utc), parameter_defaults, labels)
        self.dates = aware
        # a zoned date given as a pendulum DateTime comes back as that very object, as in Prefect 1
        self._given = [d if d.tzinfo is not None else a for d, a in zip(dates, aware, strict=True)]

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """Yield the dates after ``after`` (default: now), earliest first."""
        after_utc = datetime.now(UTC) if after is None else as_utc(after)
        given = self.__dict__.get("_given") or self.dates
        for when in sorted(given, key=as_utc):
            if as_utc(when) > after_utc:
                yield self._event(when)


class RRuleClock(Clock):
    """Fires at the times of an iCalendar recurrence rule (``dateutil.rrule``).

    A rule with naive times is read as UTC. Without ``after``, or with ``after`` before the
    start date, the first time may equal ``after`` (or the start date) itself.

    Args:
        rrule_obj: a ``dateutil.rrule.rrule`` or ``rruleset``.
        start_date: no event is earlier than this.
        end_date: no event is later than this.
        parameter_defaults: parameter values for every flow run on this clock's events.
        labels: labels for every flow run on this clock's events.

    Raises:
        TypeError: if ``rrule_obj`` is not an rrule or rruleset.

    Example:
        >>> from dateutil import rrule
        >>> rule = rrule.rrule(rrule.WEEKLY, byweekday=rrule.MO, dtstart=datetime(2024, 1, 1, 9))
        >>> clock = RRuleClock(rule)  # 9am UTC every Monday
    """

    def __init__(
        self,
        rrule_obj: rrulebase,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        parameter_defaults: dict[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        from dateutil import rrule

        if not isinstance(rrule_obj, rrule.rrulebase):
            raise TypeError(f"rrule_obj must be an rrule or rruleset, got: {rrule_obj!r}")
        super().__init__(start_date, end_date, parameter_defaults, labels)
        self.rrule_obj = rrule_obj

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """Yield the rule's times after ``after`` (default: now), earliest first."""
        inclusive = after is None
        after = datetime.now(UTC) if after is None else as_aware(after)
        if self.start_date is not None and as_utc(after) < as_utc(self.start_date):
            after, inclusive = self.start_date, True
        first = next(iter(self.rrule_obj), None)
        if first is None:
            return
        # the rule compares `after` with its own times, so match their awareness
        if first.tzinfo is None:
            after = as_utc(after).replace(tzinfo=None)
        else:
            after = after.astimezone(first.tzinfo)
        for when in self.rrule_obj.xafter(after, inc=inclusive):
            when = as_aware(when)
            if self._is_past_end(when):
                return
            yield self._event(when)
