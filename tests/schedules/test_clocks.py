"""Clocks: the times each kind of clock emits, across DST changes in America/New_York.

On 2018-03-11 at 2am New York moved its clocks forward to 3am (EST -5 → EDT -4); on 2018-11-04
at 2am it moved them back to 1am (EDT -4 → EST -5).
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pendulum
import pytest
from dateutil import rrule

from prefect_jupyter.schedules import clocks
from prefect_jupyter.schedules.clocks import ClockEvent

NY = ZoneInfo("America/New_York")


def ny(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def first(clock: clocks.Clock, n: int, after: datetime | None = None) -> list[ClockEvent]:
    return list(itertools.islice(clock.events(after=after), n))


def local_hours(events: list[ClockEvent]) -> list[int]:
    return [e.start_time.astimezone(NY).hour for e in events]


def utc_hours(events: list[ClockEvent]) -> list[int]:
    return [e.start_time.astimezone(UTC).hour for e in events]


class TestClockEvent:
    def test_equals_a_datetime_at_the_same_instant_in_any_zone(self):
        event = ClockEvent(ny(2020, 1, 1, 9))
        assert event == utc(2020, 1, 1, 14)
        assert utc(2020, 1, 1, 14) == event
        assert event != utc(2020, 1, 1, 9)

    def test_events_are_equal_only_with_the_same_parameters_and_labels(self):
        t = utc(2020, 1, 1)
        assert ClockEvent(t, {"x": 1}, ["a"]) == ClockEvent(t, {"x": 1}, ["a"])
        assert ClockEvent(t, {"x": 1}) != ClockEvent(t, {"x": 2})
        assert ClockEvent(t, labels=["a"]) != ClockEvent(t, labels=["b"])

    def test_parameter_defaults_default_to_an_empty_dict(self):
        event = ClockEvent(utc(2020, 1, 1))
        assert event.parameter_defaults == {}
        assert event.labels is None

    def test_events_sort_by_instant_even_in_the_repeated_hour(self):
        # same zone, same wall time: Python alone would call these equal
        first_1am, second_1am = ny(2018, 11, 4, 1), ny(2018, 11, 4, 1, fold=1)
        events = [ClockEvent(second_1am), ClockEvent(first_1am)]
        assert sorted(events)[0].start_time.utcoffset() == timedelta(hours=-4)
        assert ClockEvent(first_1am) < ClockEvent(second_1am)
        assert ClockEvent(first_1am) != ClockEvent(second_1am)

    def test_compares_with_datetimes(self):
        event = ClockEvent(utc(2020, 1, 2))
        assert event > utc(2020, 1, 1)
        assert event < utc(2020, 1, 3)
        assert event >= utc(2020, 1, 2) and event <= utc(2020, 1, 2)

    def test_ordering_against_other_types_is_a_type_error(self):
        with pytest.raises(TypeError, match="'<' not supported"):
            assert ClockEvent(utc(2020, 1, 1)) < 1
        assert ClockEvent(utc(2020, 1, 1)) != 1


class TestClock:
    def test_base_clock_has_no_events(self):
        with pytest.raises(NotImplementedError, match="Must be implemented on Clock subclasses"):
            next(clocks.Clock().events())

    def test_naive_dates_are_read_as_utc(self):
        clock = clocks.Clock(start_date=datetime(2020, 1, 1), end_date=datetime(2020, 2, 1))
        assert clock.start_date == utc(2020, 1, 1)
        assert clock.start_date.tzinfo is not None
        assert clock.end_date == utc(2020, 2, 1)


class TestIntervalClock:
    def test_interval_must_be_a_timedelta(self):
        with pytest.raises(TypeError, match="Interval must be a timedelta."):
            clocks.IntervalClock(interval=None)  # type: ignore[arg-type]

    @pytest.mark.parametrize("interval", [timedelta(0), timedelta(hours=-1), timedelta(seconds=-1)])
    def test_interval_must_be_positive(self, interval):
        with pytest.raises(ValueError, match="Interval must be greater than 0."):
            clocks.IntervalClock(interval)

    def test_attributes(self):
        clock = clocks.IntervalClock(timedelta(hours=1), end_date=datetime(2020, 1, 1))
        assert clock.interval == timedelta(hours=1)
        assert clock.start_date is None
        assert clock.end_date == utc(2020, 1, 1)

    def test_default_after_is_now(self):
        clock = clocks.IntervalClock(timedelta(days=1), start_date=utc(2018, 1, 1))
        events = first(clock, 3)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        assert events == [today + timedelta(days=d) for d in (1, 2, 3)]

    def test_without_a_start_date_counts_from_2019(self):
        clock = clocks.IntervalClock(timedelta(hours=7))
        # 2019-01-01 00:00 UTC + 7h * 3 = 21:00
        assert first(clock, 1, after=utc(2019, 1, 1, 20)) == [utc(2019, 1, 1, 21)]

    def test_a_time_on_the_interval_is_not_after_itself(self):
        start = utc(2018, 1, 1)
        clock = clocks.IntervalClock(timedelta(days=1), start_date=start)
        after = utc(2025, 1, 5)
        assert first(clock, 2, after=after) == [utc(2025, 1, 6), utc(2025, 1, 7)]
        assert first(clock, 1, after=start) == [utc(2018, 1, 2)]

    def test_after_in_the_middle_of_an_interval_moves_to_the_next(self):
        start = utc(2018, 1, 1)
        clock = clocks.IntervalClock(timedelta(hours=1), start_date=start)
        assert first(clock, 2, after=start + timedelta(microseconds=1)) == [
            utc(2018, 1, 1, 1),
            utc(2018, 1, 1, 2),
        ]

    def test_after_before_the_start_begins_at_the_start(self):
        start = utc(2018, 1, 1, 0, 0, 0, 1)
        clock = clocks.IntervalClock(timedelta(hours=1), start_date=start)
        assert first(clock, 3, after=utc(2000, 1, 1)) == [
            start,
            start + timedelta(hours=1),
            start + timedelta(hours=2),
        ]

    def test_end_date_is_the_last_possible_event(self):
        start, end = utc(2018, 1, 1), utc(2018, 1, 3)
        clock = clocks.IntervalClock(timedelta(days=1), start_date=start, end_date=end)
        assert first(clock, 10, after=start) == [utc(2018, 1, 2), utc(2018, 1, 3)]
        assert first(clock, 10, after=utc(2018, 2, 1)) == []

    def test_events_are_in_the_start_dates_zone(self):
        clock = clocks.IntervalClock(timedelta(hours=6), start_date=ny(2020, 1, 1))
        (event,) = first(clock, 1, after=ny(2020, 1, 1, 1))
        assert isinstance(event.start_time, pendulum.DateTime)  # as Prefect 1 hands out
        assert event.start_time.timezone_name == "America/New_York"
        assert event.start_time == ny(2020, 1, 1, 6)

    def test_naive_start_date_gives_utc_events(self):
        clock = clocks.IntervalClock(timedelta(hours=1), start_date=datetime(2020, 1, 1))
        (event,) = first(clock, 1, after=datetime(2020, 1, 1, 5, 30))
        assert event.start_time == utc(2020, 1, 1, 6)
        assert event.start_time.utcoffset() == timedelta(0)

    def test_events_carry_parameter_defaults_and_labels(self):
        clock = clocks.IntervalClock(
            timedelta(hours=1),
            start_date=utc(2020, 1, 1),
            parameter_defaults={"x": 1},
            labels=["dev"],
        )
        a, b = first(clock, 2, after=utc(2020, 1, 1))
        assert (a.parameter_defaults, a.labels) == ({"x": 1}, ["dev"])
        a.parameter_defaults["x"] = 99
        assert b.parameter_defaults == {"x": 1}
        assert clock.parameter_defaults == {"x": 1}


class TestIntervalClockDST:
    def test_hourly_spring_forward_fires_every_utc_hour(self):
        start = ny(2018, 3, 10, 23)
        events = first(clocks.IntervalClock(timedelta(hours=1), start_date=start), 4, after=start)
        assert local_hours(events) == [0, 1, 3, 4]
        assert utc_hours(events) == [5, 6, 7, 8]

    def test_hourly_fall_back_repeats_1am(self):
        start = ny(2018, 11, 3, 23)
        events = first(clocks.IntervalClock(timedelta(hours=1), start_date=start), 4, after=start)
        assert local_hours(events) == [0, 1, 1, 2]
        assert utc_hours(events) == [4, 5, 6, 7]

    def test_hourly_started_days_before_the_change_still_counts_elapsed_time(self):
        # Prefect 1.4.1 under pendulum 3 skips the second 1am here; an hourly clock must not
        clock = clocks.IntervalClock(timedelta(hours=1), start_date=ny(2018, 10, 1))
        events = first(clock, 4, after=ny(2018, 11, 4, 0, 30))
        assert utc_hours(events) == [5, 6, 7, 8]
        assert local_hours(events) == [1, 1, 2, 3]
        spring = first(
            clocks.IntervalClock(timedelta(hours=1), start_date=ny(2018, 3, 1)),
            4,
            after=ny(2018, 3, 11, 0, 30),
        )
        assert local_hours(spring) == [1, 3, 4, 5]

    def test_hourly_start_in_utc_is_the_same_clock(self):
        start = ny(2018, 3, 10, 23)
        clock = clocks.IntervalClock(timedelta(hours=1), start_date=start.astimezone(UTC))
        events = first(clock, 4, after=start)
        assert local_hours(events) == [0, 1, 3, 4]
        assert utc_hours(events) == [5, 6, 7, 8]

    def test_daily_9am_stays_9am_when_the_clocks_go_forward(self):
        start = ny(2018, 3, 8, 9)
        events = first(clocks.IntervalClock(timedelta(days=1), start_date=start), 4, after=start)
        assert local_hours(events) == [9, 9, 9, 9]
        assert utc_hours(events) == [14, 14, 13, 13]

    def test_daily_9am_stays_9am_when_the_clocks_go_back(self):
        start = ny(2018, 11, 1, 9)
        events = first(clocks.IntervalClock(timedelta(days=1), start_date=start), 4, after=start)
        assert local_hours(events) == [9, 9, 9, 9]
        assert utc_hours(events) == [13, 13, 14, 14]

    def test_daily_after_a_25_hour_day_does_not_skip_a_run(self):
        clock = clocks.IntervalClock(timedelta(days=1), start_date=ny(2018, 11, 1, 9))
        assert first(clock, 2, after=ny(2018, 11, 10, 8, 45)) == [
            ny(2018, 11, 10, 9),
            ny(2018, 11, 11, 9),
        ]

    def test_daily_at_a_skipped_time_moves_forward_that_day_only(self):
        clock = clocks.IntervalClock(timedelta(days=1), start_date=ny(2018, 3, 10, 2, 30))
        events = first(clock, 3, after=ny(2018, 3, 10, 3))
        assert [e.start_time.astimezone(NY).strftime("%d %H:%M") for e in events] == [
            "11 03:30",
            "12 02:30",
            "13 02:30",
        ]

    def test_daily_at_a_repeated_time_fires_once(self):
        clock = clocks.IntervalClock(timedelta(days=1), start_date=ny(2018, 11, 3, 1, 30))
        events = first(clock, 3, after=ny(2018, 11, 3, 2))
        assert [e.start_time.day for e in events] == [4, 5, 6]
        assert events[0].start_time.astimezone(UTC) == utc(2018, 11, 4, 6, 30)

    def test_weekly_midnight_stays_midnight(self):
        clock = clocks.IntervalClock(timedelta(weeks=1), start_date=ny(2018, 1, 1))
        events = first(clock, 3, after=ny(2018, 3, 1))
        assert [e.start_time.astimezone(NY).strftime("%m-%d %H:%M") for e in events] == [
            "03-05 00:00",
            "03-12 00:00",
            "03-19 00:00",
        ]


class TestCronClock:
    @pytest.mark.parametrize("cron", ["*", "hello world", "* * 32 1 1", 1, None])
    def test_invalid_cron_strings_are_rejected_by_name(self, cron):
        with pytest.raises(ValueError, match=re.escape(f"Invalid cron string: {cron}.")):
            clocks.CronClock(cron)  # type: ignore[arg-type]

    def test_attributes(self):
        clock = clocks.CronClock("0 9 * * 1-5", start_date=datetime(2020, 1, 1))
        assert clock.cron == "0 9 * * 1-5"
        assert clock.day_or is True
        assert clock.start_date == utc(2020, 1, 1)

    def test_default_after_is_now(self):
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        events = first(clocks.CronClock("0 0 * * *"), 3)
        assert events == [today + timedelta(days=d) for d in (1, 2, 3)]

    def test_events_after_a_date(self):
        events = first(clocks.CronClock("0 0 * * *"), 3, after=utc(2018, 1, 1))
        assert events == [utc(2018, 1, 2), utc(2018, 1, 3), utc(2018, 1, 4)]

    def test_start_date_on_the_schedule_is_the_first_event(self):
        start = utc(2050, 1, 1)
        clock = clocks.CronClock("0 0 * * *", start_date=start)
        assert first(clock, 2) == [start, utc(2050, 1, 2)]

    def test_start_date_off_the_schedule_moves_to_the_next_match(self):
        clock = clocks.CronClock("0 0 * * *", start_date=utc(2050, 1, 1, 6))
        assert first(clock, 1) == [utc(2050, 1, 2)]
        assert first(clock, 1, after=utc(2050, 1, 1, 7)) == [utc(2050, 1, 2)]

    def test_start_date_with_microseconds_is_after_that_second(self):
        clock = clocks.CronClock("0 0 * * *", start_date=utc(2050, 1, 1, 0, 0, 0, 1))
        assert first(clock, 1) == [utc(2050, 1, 2)]

    def test_end_date_is_the_last_possible_event(self):
        clock = clocks.CronClock("0 0 * * *", start_date=utc(2050, 1, 1), end_date=utc(2050, 1, 2))
        assert first(clock, 5) == [utc(2050, 1, 1), utc(2050, 1, 2)]

    def test_events_are_in_the_start_dates_zone(self):
        clock = clocks.CronClock("0 9 * * *", start_date=ny(2020, 1, 1))
        (event,) = first(clock, 1, after=utc(2020, 1, 1))
        assert event.start_time.timezone_name == "America/New_York"
        assert event.start_time == ny(2020, 1, 1, 9)

    def test_without_a_start_date_cron_reads_utc(self):
        (event,) = first(clocks.CronClock("0 9 * * *"), 1, after=ny(2020, 1, 1, 12))
        assert event.start_time == utc(2020, 1, 2, 9)

    def test_day_or_false_needs_both_day_fields(self):
        # the 8th to 14th that is a Friday: the second Friday of each month
        clock = clocks.CronClock("0 9 8-14 * 5", start_date=utc(2024, 1, 1), day_or=False)
        assert [
            e.start_time.date().isoformat() for e in first(clock, 3, after=utc(2024, 1, 1))
        ] == [
            "2024-01-12",
            "2024-02-09",
            "2024-03-08",
        ]

    def test_day_or_default_fires_on_either_day_field(self):
        clock = clocks.CronClock("0 0 13 * 5", start_date=utc(2024, 9, 1))
        # Fridays 6th, 13th (both), 20th; the 13th once
        assert [e.start_time.day for e in first(clock, 3, after=utc(2024, 9, 1))] == [6, 13, 20]

    def test_events_carry_parameter_defaults_and_labels(self):
        clock = clocks.CronClock("* * * * *", parameter_defaults={"x": 1}, labels=["a"])
        (event,) = first(clock, 1)
        assert (event.parameter_defaults, event.labels) == ({"x": 1}, ["a"])


class TestCronClockDST:
    def test_hourly_spring_forward_has_no_2am(self):
        start = ny(2018, 3, 10, 23)
        events = first(clocks.CronClock("0 * * * *", start), 4, after=start)
        assert local_hours(events) == [0, 1, 3, 4]
        assert utc_hours(events) == [5, 6, 7, 8]

    def test_hourly_spring_forward_with_a_utc_start_is_plain_utc(self):
        start = ny(2018, 3, 10, 23)
        events = first(clocks.CronClock("0 * * * *", start.astimezone(UTC)), 4, after=start)
        assert local_hours(events) == [0, 1, 3, 4]
        assert utc_hours(events) == [5, 6, 7, 8]

    def test_hourly_fall_back_fires_the_second_1am_only(self):
        # as Prefect 1 (pendulum reads a repeated wall time as its later occurrence)
        start = ny(2018, 11, 3, 23)
        events = first(clocks.CronClock("0 * * * *", start), 4, after=start)
        assert local_hours(events) == [0, 1, 2, 3]
        assert utc_hours(events) == [4, 6, 7, 8]

    def test_after_inside_the_repeated_hour(self):
        clock = clocks.CronClock("0 * * * *", ny(2018, 11, 1))
        during_first = first(clock, 1, after=ny(2018, 11, 4, 1, 15))
        during_second = first(clock, 1, after=ny(2018, 11, 4, 1, 15, fold=1))
        assert during_first == [utc(2018, 11, 4, 6)]  # 1am, the second time
        assert during_second == [utc(2018, 11, 4, 7)]  # 2am

    def test_half_hourly_fall_back(self):
        clock = clocks.CronClock("*/30 * * * *", ny(2018, 11, 1))
        events = first(clock, 4, after=ny(2018, 11, 4, 0, 45))
        assert [e.start_time.astimezone(UTC).strftime("%H:%M") for e in events] == [
            "06:00",
            "06:30",
            "07:00",
            "07:30",
        ]

    def test_daily_9am_stays_9am_when_the_clocks_go_forward(self):
        start = ny(2018, 3, 8, 9)
        events = first(clocks.CronClock("0 9 * * *", start), 4, after=start)
        assert local_hours(events) == [9, 9, 9, 9]
        assert utc_hours(events) == [14, 14, 13, 13]

    def test_daily_9am_stays_9am_when_the_clocks_go_back(self):
        start = ny(2018, 11, 1, 9)
        events = first(clocks.CronClock("0 9 * * *", start), 4, after=start)
        assert local_hours(events) == [9, 9, 9, 9]
        assert utc_hours(events) == [13, 13, 14, 14]

    def test_daily_at_a_repeated_time_fires_once_that_day(self):
        clock = clocks.CronClock("30 1 * * *", ny(2018, 11, 2))
        events = first(clock, 3, after=ny(2018, 11, 3, 12))
        assert [e.start_time.astimezone(NY).day for e in events] == [4, 5, 6]


class TestDatesClock:
    def test_start_and_end_are_the_earliest_and_latest_dates(self):
        dates = [utc(2030, 1, 2), utc(2030, 1, 3), utc(2030, 1, 1)]
        clock = clocks.DatesClock(dates)
        assert clock.start_date == utc(2030, 1, 1)
        assert clock.end_date == utc(2030, 1, 3)

    def test_needs_at_least_one_date(self):
        with pytest.raises(ValueError, match="DatesClock needs at least one date"):
            clocks.DatesClock([])

    def test_events_are_sorted_and_after_after(self):
        dt = utc(2030, 1, 1)
        clock = clocks.DatesClock([dt + timedelta(days=1), dt + timedelta(days=2), dt])
        assert first(clock, 3, after=utc(2029, 1, 1)) == [
            dt,
            dt + timedelta(days=1),
            dt + timedelta(days=2),
        ]
        assert first(clock, 3, after=dt) == [dt + timedelta(days=1), dt + timedelta(days=2)]
        assert first(clock, 3, after=dt + timedelta(days=2)) == []

    def test_default_after_is_now(self):
        now = datetime.now(UTC)
        clock = clocks.DatesClock([now - timedelta(days=1), now + timedelta(days=1)])
        assert first(clock, 3) == [now + timedelta(days=1)]

    def test_naive_and_zoned_dates_mix_as_instants(self):
        clock = clocks.DatesClock([datetime(2030, 1, 1, 12), ny(2030, 1, 1, 6)])
        events = first(clock, 2, after=datetime(2029, 1, 1))
        assert events == [utc(2030, 1, 1, 11), utc(2030, 1, 1, 12)]
        assert events[1].start_time.timezone_name == "UTC"


class TestRRuleClock:
    def test_rejects_anything_but_an_rrule(self):
        with pytest.raises(TypeError, match="rrule_obj must be an rrule or rruleset, got: 'x'"):
            clocks.RRuleClock("x")  # type: ignore[arg-type]

    def test_naive_rule_times_are_utc_and_after_is_exclusive(self):
        rule = rrule.rrule(rrule.DAILY, dtstart=datetime(2020, 1, 1), count=3)
        clock = clocks.RRuleClock(rule)
        assert first(clock, 5, after=datetime(2019, 1, 1)) == [
            utc(2020, 1, 1),
            utc(2020, 1, 2),
            utc(2020, 1, 3),
        ]
        assert first(clock, 5, after=utc(2020, 1, 1)) == [utc(2020, 1, 2), utc(2020, 1, 3)]
        assert first(clock, 1, after=datetime(2019, 1, 1))[0].start_time.tzinfo is not None
        assert first(clock, 1) == []  # all in the past

    def test_after_in_another_zone_is_the_same_instant(self):
        rule = rrule.rrule(rrule.HOURLY, dtstart=datetime(2020, 1, 1), count=24)
        clock = clocks.RRuleClock(rule)
        # 2020-01-01 00:30 in New York is 05:30 UTC
        assert first(clock, 1, after=ny(2020, 1, 1, 0, 30)) == [utc(2020, 1, 1, 6)]

    def test_start_date_is_included_and_end_date_stops(self):
        rule = rrule.rrule(rrule.DAILY, dtstart=datetime(2020, 1, 1), count=5)
        clock = clocks.RRuleClock(rule, start_date=utc(2020, 1, 2), end_date=utc(2020, 1, 4))
        assert first(clock, 5, after=utc(2019, 1, 1)) == [
            utc(2020, 1, 2),
            utc(2020, 1, 3),
            utc(2020, 1, 4),
        ]

    def test_zoned_rule_keeps_9am_across_dst(self):
        rule = rrule.rrule(rrule.DAILY, dtstart=ny(2018, 3, 9, 9), count=4)
        events = first(clocks.RRuleClock(rule), 4, after=utc(2018, 1, 1))
        assert local_hours(events) == [9, 9, 9, 9]
        assert utc_hours(events) == [14, 14, 13, 13]

    def test_rruleset_excludes_dates(self):
        rules = rrule.rruleset()
        rules.rrule(rrule.rrule(rrule.DAILY, dtstart=datetime(2020, 1, 1), count=3))
        rules.exdate(datetime(2020, 1, 2))
        events = first(clocks.RRuleClock(rules), 5, after=datetime(2019, 1, 1))
        assert events == [utc(2020, 1, 1), utc(2020, 1, 3)]
