"""Schedule.next: clocks merged in time order, filtered, adjusted; Prefect 1's shortcuts."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule

import prefect_jupyter.schedules
from prefect_jupyter.schedules import (
    CronSchedule,
    IntervalSchedule,
    RRuleSchedule,
    Schedule,
    adjustments,
    filters,
)
from prefect_jupyter.schedules.clocks import (
    ClockEvent,
    CronClock,
    DatesClock,
    IntervalClock,
)

NY = ZoneInfo("America/New_York")
START = datetime(2020, 1, 1, tzinfo=UTC)  # a Wednesday


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def daily(**kwargs) -> IntervalClock:
    return IntervalClock(timedelta(days=1), start_date=START, **kwargs)


class TestScheduleArguments:
    @pytest.mark.parametrize("clocks", [None, IntervalClock(timedelta(hours=1))])
    def test_clocks_must_be_a_list(self, clocks):
        with pytest.raises(TypeError, match="clocks should be a list of clocks"):
            Schedule(clocks=clocks)

    def test_start_and_end_dates_span_the_clocks(self):
        schedule = Schedule(
            clocks=[
                IntervalClock(timedelta(hours=1), start_date=utc(2020, 1, 2)),
                IntervalClock(
                    timedelta(hours=1), start_date=utc(2020, 1, 1), end_date=utc(2021, 1, 1)
                ),
                IntervalClock(timedelta(hours=1)),
            ]
        )
        assert schedule.start_date == utc(2020, 1, 1)
        assert schedule.end_date == utc(2021, 1, 1)
        assert Schedule(clocks=[IntervalClock(timedelta(hours=1))]).start_date is None

    def test_no_clocks_no_times(self):
        assert Schedule(clocks=[]).next(3) == []


class TestNext:
    def test_next_n_datetimes_after_a_date(self):
        schedule = Schedule(clocks=[daily()])
        assert schedule.next(3, after=START) == [utc(2020, 1, 2), utc(2020, 1, 3), utc(2020, 1, 4)]
        assert all(isinstance(t, datetime) for t in schedule.next(3, after=START))

    def test_default_after_is_now(self):
        now = datetime.now(UTC)
        schedule = Schedule(clocks=[IntervalClock(timedelta(minutes=1))])
        (first,) = schedule.next(1)
        assert now < first <= now + timedelta(minutes=1)

    def test_zero_asks_for_nothing(self):
        assert Schedule(clocks=[daily()]).next(0, after=START) == []

    def test_fewer_when_the_clocks_run_out(self):
        schedule = Schedule(clocks=[daily(end_date=utc(2020, 1, 3))])
        assert schedule.next(10, after=START) == [utc(2020, 1, 2), utc(2020, 1, 3)]

    def test_clocks_merge_in_time_order(self):
        schedule = Schedule(
            clocks=[
                IntervalClock(timedelta(hours=5), start_date=START),
                IntervalClock(timedelta(hours=3), start_date=START),
            ]
        )
        assert [t.hour for t in schedule.next(5, after=START)] == [3, 5, 6, 9, 10]

    def test_clocks_in_different_zones_merge_by_instant(self):
        schedule = Schedule(
            clocks=[
                DatesClock([datetime(2030, 1, 1, 9, tzinfo=NY)]),  # 14:00 UTC
                DatesClock([utc(2030, 1, 1, 12)]),
            ]
        )
        assert schedule.next(2, after=START) == [utc(2030, 1, 1, 12), utc(2030, 1, 1, 14)]

    def test_an_event_two_clocks_share_comes_once(self):
        schedule = Schedule(clocks=[daily(), IntervalClock(timedelta(days=2), start_date=START)])
        assert schedule.next(4, after=START) == [
            utc(2020, 1, 2),
            utc(2020, 1, 3),
            utc(2020, 1, 4),
            utc(2020, 1, 5),
        ]

    def test_the_same_time_with_other_parameters_is_another_run(self):
        schedule = Schedule(
            clocks=[
                daily(parameter_defaults={"x": 1}),
                daily(parameter_defaults={"x": 2}),
                daily(parameter_defaults={"x": 1}),
            ]
        )
        events = schedule.next(4, after=START, return_events=True)
        assert [(e.start_time.day, e.parameter_defaults) for e in events] == [
            (2, {"x": 1}),
            (2, {"x": 2}),
            (3, {"x": 1}),
            (3, {"x": 2}),
        ]
        # as datetimes, both runs at the same time are listed (as in Prefect 1)
        assert schedule.next(2, after=START) == [utc(2020, 1, 2), utc(2020, 1, 2)]

    def test_return_events_gives_each_clocks_defaults_and_labels(self):
        schedule = Schedule(
            clocks=[
                IntervalClock(timedelta(hours=12), start_date=START, parameter_defaults={"x": 1}),
                IntervalClock(timedelta(days=1), start_date=START, labels=["nightly"]),
            ]
        )
        events = schedule.next(3, after=START, return_events=True)
        assert all(isinstance(e, ClockEvent) for e in events)
        assert events == [utc(2020, 1, 1, 12), utc(2020, 1, 2), utc(2020, 1, 2)]
        # events at the same time come in the order of their clocks
        assert [(e.parameter_defaults, e.labels) for e in events] == [
            ({"x": 1}, None),
            ({"x": 1}, None),
            ({}, ["nightly"]),
        ]

    def test_cron_and_interval_clocks_together(self):
        schedule = Schedule(clocks=[CronClock("0 12 * * *", start_date=START), daily()])
        assert [t.hour for t in schedule.next(4, after=START)] == [12, 0, 12, 0]


class TestFilters:
    def test_every_filter_must_pass(self):
        schedule = Schedule(
            clocks=[daily()], filters=[filters.is_weekday, filters.between_dates(1, 3, 12, 31)]
        )
        # Jan 2 is excluded by the dates, Jan 4-5 are a weekend
        assert [t.day for t in schedule.next(3, after=START)] == [3, 6, 7]

    def test_one_or_filter_must_pass(self):
        schedule = Schedule(
            clocks=[IntervalClock(timedelta(hours=1), start_date=START)],
            or_filters=[filters.at_time(time(9)), filters.at_time(time(17))],
        )
        assert [t.hour for t in schedule.next(4, after=START)] == [9, 17, 9, 17]

    def test_no_not_filter_may_pass(self):
        schedule = Schedule(
            clocks=[daily()], not_filters=[filters.is_weekend, filters.on_date(1, 2)]
        )
        assert [t.day for t in schedule.next(3, after=START)] == [3, 6, 7]

    def test_filters_or_filters_and_not_filters_combine(self):
        schedule = Schedule(
            clocks=[IntervalClock(timedelta(hours=1), start_date=START)],
            filters=[filters.is_weekday],
            or_filters=[
                filters.between_times(time(9), time(9)),
                filters.between_times(time(17), time(17)),
            ],
            not_filters=[filters.on_date(1, 2)],
        )
        assert schedule.next(4, after=START) == [
            utc(2020, 1, 1, 9),
            utc(2020, 1, 1, 17),
            utc(2020, 1, 3, 9),
            utc(2020, 1, 3, 17),
        ]

    def test_filters_read_the_clocks_own_zone(self):
        # 9am in New York on weekdays; in UTC that is 14:00 (EST) or 13:00 (EDT)
        schedule = Schedule(
            clocks=[IntervalClock(timedelta(hours=1), start_date=datetime(2018, 3, 1, tzinfo=NY))],
            filters=[filters.is_weekday, filters.at_time(time(9))],
        )
        times = schedule.next(3, after=datetime(2018, 3, 8, tzinfo=NY))
        assert [t.astimezone(NY).strftime("%a %d %H:%M") for t in times] == [
            "Thu 08 09:00",
            "Fri 09 09:00",
            "Mon 12 09:00",
        ]
        assert [t.astimezone(UTC).hour for t in times] == [14, 14, 13]

    def test_gives_up_after_10000_events(self):
        schedule = Schedule(
            clocks=[IntervalClock(timedelta(minutes=1), start_date=START)],
            filters=[filters.on_date(2, 30)],
        )
        assert schedule.next(1, after=START) == []


class TestAdjustments:
    def test_adjustments_apply_in_order_after_filtering(self):
        seen: list[datetime] = []

        def spy(dt: datetime) -> bool:
            seen.append(dt)
            return True

        schedule = Schedule(
            clocks=[daily()],
            filters=[spy],
            adjustments=[adjustments.add(timedelta(hours=1)), adjustments.next_weekday],
        )
        # Sat Jan 4 00:00 → 01:00 → Mon Jan 6 01:00; the filter saw the clock's own time
        assert schedule.next(4, after=START)[2:] == [utc(2020, 1, 6, 1), utc(2020, 1, 6, 1)]
        assert seen[2] == utc(2020, 1, 4)

    def test_adjusted_events_keep_their_parameters(self):
        schedule = Schedule(
            clocks=[daily(parameter_defaults={"x": 1})],
            adjustments=[adjustments.add(timedelta(minutes=30))],
        )
        (event,) = schedule.next(1, after=START, return_events=True)
        assert event.start_time == utc(2020, 1, 2, 0, 30)
        assert event.parameter_defaults == {"x": 1}


class TestShortcuts:
    def test_interval_schedule_takes_start_date_first(self):
        schedule = IntervalSchedule(START, timedelta(days=1))
        assert isinstance(schedule, Schedule)
        assert schedule.next(2, after=START) == [utc(2020, 1, 2), utc(2020, 1, 3)]

    def test_interval_schedule_checks_the_interval(self):
        with pytest.raises(ValueError, match="Interval must be greater than 0."):
            IntervalSchedule(interval=timedelta(0))
        with pytest.raises(TypeError, match="Interval must be a timedelta."):
            IntervalSchedule(start_date=START)

    def test_interval_schedule_end_date(self):
        schedule = IntervalSchedule(START, timedelta(days=1), end_date=utc(2020, 1, 2))
        assert schedule.next(5, after=START) == [utc(2020, 1, 2)]

    def test_cron_schedule(self):
        schedule = CronSchedule("0 9 * * 1-5", start_date=START)
        assert [t.day for t in schedule.next(3, after=START)] == [1, 2, 3]
        with pytest.raises(ValueError, match="Invalid cron string: nope"):
            CronSchedule("nope")

    def test_cron_schedule_day_or(self):
        schedule = CronSchedule("0 0 13 * 5", start_date=START, day_or=False)
        assert schedule.next(1, after=START) == [utc(2020, 3, 13)]

    def test_rrule_schedule(self):
        rule = rrule.rrule(rrule.MONTHLY, dtstart=datetime(2020, 1, 31), count=3)
        assert RRuleSchedule(rule).next(5, after=START) == [
            utc(2020, 1, 31),
            utc(2020, 3, 31),
            utc(2020, 5, 31),
        ]


class TestPackage:
    def test_prefect_1_names(self):
        assert set(prefect_jupyter.schedules.__all__) >= {
            "Schedule",
            "IntervalSchedule",
            "CronSchedule",
            "RRuleSchedule",
        }
        from prefect_jupyter.schedules import clocks, schedules

        assert schedules.Schedule is Schedule
        assert clocks.IntervalClock is IntervalClock

    def test_importing_prefect_jupyter_does_not_load_schedules(self):
        code = (
            "import sys, prefect_jupyter\n"
            "loaded = [m for m in ('croniter', 'dateutil.rrule', 'prefect_jupyter.schedules')"
            " if m in sys.modules]\n"
            "print(loaded)\n"
            "import prefect_jupyter.schedules\n"
            "print('croniter' in sys.modules)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
        assert out == ["[]", "False"]
