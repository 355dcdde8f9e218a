"""Schedules to JSON and back: the same next times, zones, parameter defaults and labels."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule, tz

from prefect_jupyter.schedules import (
    CronSchedule,
    IntervalSchedule,
    RRuleSchedule,
    Schedule,
    adjustments,
    filters,
)
from prefect_jupyter.schedules.clocks import CronClock, DatesClock, IntervalClock, RRuleClock
from prefect_jupyter.serialization.schedule import (
    datetime_from_dict,
    datetime_to_dict,
    schedule_from_dict,
    schedule_to_dict,
)

NY = ZoneInfo("America/New_York")
AFTER = datetime(2024, 3, 1, tzinfo=UTC)  # DST starts in New York on March 10


def round_trip(schedule: Schedule) -> Schedule:
    # through real JSON text, as it travels to the server
    loaded = schedule_from_dict(json.loads(json.dumps(schedule_to_dict(schedule))))
    assert isinstance(loaded, Schedule)
    return loaded


def assert_same_next(schedule: Schedule, n: int = 5, after: datetime = AFTER) -> None:
    before = schedule.next(n, after=after, return_events=True)
    again = round_trip(schedule).next(n, after=after, return_events=True)
    assert len(before) == n
    assert again == before  # instants, parameter defaults and labels
    assert [e.start_time.utcoffset() for e in again] == [e.start_time.utcoffset() for e in before]
    assert [e.start_time.tzname() for e in again] == [e.start_time.tzname() for e in before]


class TestClocks:
    def test_interval_schedule(self):
        assert_same_next(IntervalSchedule(start_date=datetime(2024, 1, 1), interval=timedelta(hours=1)))

    def test_daily_interval_in_a_zone_keeps_local_time_across_dst(self):
        schedule = IntervalSchedule(
            start_date=datetime(2024, 3, 1, 9, tzinfo=NY), interval=timedelta(days=1)
        )
        loaded = round_trip(schedule)
        times = loaded.next(15, after=AFTER)
        assert {t.hour for t in times} == {9}
        assert times == schedule.next(15, after=AFTER)
        assert {t.utcoffset() for t in times} == {timedelta(hours=-5), timedelta(hours=-4)}

    def test_sub_second_interval_survives(self):
        schedule = Schedule(clocks=[IntervalClock(timedelta(milliseconds=1500), start_date=AFTER)])
        assert_same_next(schedule)

    def test_cron_schedule_with_zone_and_day_or(self):
        assert_same_next(CronSchedule("0 9 8-14 * 5", start_date=datetime(2024, 1, 1, tzinfo=NY), day_or=False))

    def test_cron_without_start_date(self):
        schedule = CronSchedule("*/15 * * * *")
        data = schedule_to_dict(schedule)
        assert data["clocks"][0]["start_date"] is None
        assert_same_next(schedule)

    def test_dates_clock(self):
        dates = [datetime(2024, 5, 1, 8, tzinfo=NY), datetime(2024, 4, 1), datetime(2024, 6, 1, tzinfo=UTC)]
        schedule = Schedule(clocks=[DatesClock(dates)])
        assert_same_next(schedule, n=3)

    def test_rrule_clock_with_zone_and_until(self):
        rule = rrule.rrule(
            rrule.WEEKLY, byweekday=(rrule.MO, rrule.FR),
            dtstart=datetime(2024, 1, 1, 9, tzinfo=NY), until=datetime(2024, 12, 1, tzinfo=NY),
        )
        assert_same_next(RRuleSchedule(rule))

    def test_naive_rrule_with_count(self):
        rule = rrule.rrule(rrule.HOURLY, interval=7, count=40, dtstart=datetime(2024, 2, 28))
        assert_same_next(RRuleSchedule(rule))

    def test_rruleset_with_exdates_and_rdates(self):
        rules = rrule.rruleset()
        rules.rrule(rrule.rrule(rrule.DAILY, dtstart=datetime(2024, 3, 1, 12)))
        rules.exdate(datetime(2024, 3, 2, 12))
        rules.exrule(rrule.rrule(rrule.WEEKLY, byweekday=rrule.SU, dtstart=datetime(2024, 3, 1, 12)))
        rules.rdate(datetime(2024, 3, 2, 18))
        schedule = Schedule(clocks=[RRuleClock(rules)])
        assert_same_next(schedule, n=6)
        times = round_trip(schedule).next(4, after=AFTER)
        assert times == [datetime(2024, 3, d, h, tzinfo=UTC) for d, h in ((1, 12), (2, 18), (4, 12), (5, 12))]

    def test_parameter_defaults_and_labels_per_clock(self):
        schedule = Schedule(
            clocks=[
                IntervalClock(timedelta(hours=1), start_date=AFTER, parameter_defaults={"x": 1}, labels=["a"]),
                CronClock("30 * * * *", parameter_defaults={"x": [2, {"y": None}]}, labels=["b", "c"]),
            ]
        )
        assert_same_next(schedule, n=6)
        events = round_trip(schedule).next(2, after=AFTER, return_events=True)
        assert [(e.parameter_defaults, e.labels) for e in events] == [
            ({"x": [2, {"y": None}]}, ["b", "c"]), ({"x": 1}, ["a"])  # 00:30, then 01:00
        ]

    def test_a_custom_clock_cannot_be_saved(self):
        class EveryTuesday(IntervalClock):
            pass

        schedule = Schedule(clocks=[CronClock("0 0 * * 2"), object()])  # type: ignore[list-item]
        with pytest.raises(ValueError, match="only IntervalClock, CronClock, DatesClock and RRuleClock"):
            schedule_to_dict(schedule)
        # a subclass of a known clock is saved as that clock
        assert schedule_to_dict(Schedule(clocks=[EveryTuesday(timedelta(days=7))]))["clocks"][0]["type"] == "EveryTuesday"

    def test_unknown_clock_type_is_a_clear_error(self):
        with pytest.raises(ValueError, match="Unknown clock type 'SundialClock'"):
            schedule_from_dict({"clocks": [{"type": "SundialClock"}]})


class TestFiltersAndAdjustments:
    @pytest.mark.parametrize(
        "kind, fn",
        [
            ("filters", filters.is_weekday),
            ("filters", filters.is_weekend),
            ("filters", filters.is_month_end),
            ("filters", filters.is_month_start),
            ("filters", filters.is_day_of_week(2)),
            ("filters", filters.at_time(time(13))),
            ("filters", filters.between_times(time(22), time(2))),
            ("filters", filters.on_date(3, 5)),
            ("filters", filters.between_dates(3, 3, 3, 9)),
            ("filters", filters.on_datetime(datetime(2024, 3, 4, 10, tzinfo=NY))),
            ("filters", filters.between_datetimes(datetime(2024, 3, 3), datetime(2024, 3, 6, 12))),
            ("not_filters", filters.is_weekend),
            ("or_filters", filters.at_time(time(1))),
            ("adjustments", adjustments.next_weekday),
            ("adjustments", adjustments.add(timedelta(minutes=90))),
        ],
    )
    def test_each_filter_and_adjustment_round_trips(self, kind, fn):
        schedule = Schedule(clocks=[IntervalClock(timedelta(hours=1), start_date=AFTER)], **{kind: [fn]})
        assert_same_next(schedule, n=1 if fn.__name__ == "_on_datetime" else 3)

    def test_filters_are_saved_by_import_path_with_their_arguments(self):
        schedule = Schedule(
            clocks=[IntervalClock(timedelta(hours=1))],
            filters=[filters.is_weekday, filters.between_times(time(9), time(17, 30))],
            adjustments=[adjustments.add(timedelta(hours=1))],
        )
        data = schedule_to_dict(schedule)
        assert data["filters"] == [
            {"fn": "prefect_jupyter.schedules.filters.is_weekday"},
            {"fn": "prefect_jupyter.schedules.filters.between_times",
             "kwargs": {"start": "09:00:00", "end": "17:30:00"}},
        ]
        assert data["adjustments"] == [
            {"fn": "prefect_jupyter.schedules.adjustments.add", "kwargs": {"interval": 3600.0}}
        ]

    def test_combined_filters_and_adjustments(self):
        schedule = Schedule(
            clocks=[IntervalClock(timedelta(minutes=30), start_date=datetime(2024, 1, 1, tzinfo=NY))],
            filters=[filters.is_weekday],
            or_filters=[filters.at_time(time(9)), filters.at_time(time(17))],
            not_filters=[filters.on_date(3, 4)],
            adjustments=[adjustments.add(timedelta(days=1)), adjustments.next_weekday],
        )
        assert_same_next(schedule, n=8)

    def test_a_custom_filter_is_refused_with_the_fix(self):
        schedule = Schedule(clocks=[IntervalClock(timedelta(hours=1))], filters=[lambda dt: dt.hour > 3])
        with pytest.raises(ValueError, match="only the filters in prefect_jupyter.schedules.filters"):
            schedule_to_dict(schedule)

    def test_unknown_function_reference_is_a_clear_error(self):
        data = schedule_to_dict(Schedule(clocks=[IntervalClock(timedelta(hours=1))]))
        data["filters"] = [{"fn": "os.system", "kwargs": {"command": "true"}}]
        with pytest.raises(ValueError, match="Unknown schedule function 'os.system'"):
            schedule_from_dict(data)


class TestDatetimes:
    @pytest.mark.parametrize(
        "dt",
        [
            datetime(2024, 11, 3, 1, 30, tzinfo=NY),  # the first 1:30am of the DST fall-back
            datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NY),  # the second one
            datetime(2024, 7, 1, 12, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            datetime(2024, 7, 1, 12, tzinfo=tz.gettz("Europe/Berlin")),
            datetime(2024, 7, 1, 12, tzinfo=UTC),
        ],
    )
    def test_instant_and_zone_survive(self, dt):
        back = datetime_from_dict(json.loads(json.dumps(datetime_to_dict(dt))))
        assert back == dt
        assert back.utcoffset() == dt.utcoffset()
        # a day later the zone still applies its own DST rules
        later = (back + timedelta(days=200)).utcoffset()
        assert later == (dt.astimezone(back.tzinfo) + timedelta(days=200)).utcoffset()

    def test_named_zone_is_stored_by_name(self):
        assert datetime_to_dict(datetime(2024, 1, 1, tzinfo=NY)) == {
            "dt": "2024-01-01T00:00:00-05:00", "tz": "America/New_York"
        }
        assert datetime_to_dict(datetime(2024, 1, 1))["tz"] == "UTC"  # naive means UTC

    def test_none_schedule(self):
        assert schedule_to_dict(None) is None
        assert schedule_from_dict(None) is None
