"""Schedule filters: which candidate times each one keeps."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from prefect_jupyter.schedules import filters

NY = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_on_datetime_matches_the_instant():
    keep = filters.on_datetime(utc(2020, 1, 1, 14))
    assert keep(utc(2020, 1, 1, 14))
    assert keep(datetime(2020, 1, 1, 9, tzinfo=NY))
    assert keep(datetime(2020, 1, 1, 14))  # naive is UTC
    assert not keep(utc(2020, 1, 1, 14, 0, 1))


def test_on_datetime_tells_the_two_1ams_apart():
    keep = filters.on_datetime(datetime(2018, 11, 4, 1, tzinfo=NY))  # the first, EDT
    assert keep(utc(2018, 11, 4, 5))
    assert not keep(datetime(2018, 11, 4, 1, tzinfo=NY, fold=1))


def test_between_datetimes_includes_both_ends():
    keep = filters.between_datetimes(utc(2020, 1, 1), utc(2020, 1, 2))
    assert keep(utc(2020, 1, 1))
    assert keep(utc(2020, 1, 1, 12))
    assert keep(utc(2020, 1, 2))
    assert not keep(utc(2020, 1, 2, 0, 0, 1))
    assert not keep(utc(2019, 12, 31, 23, 59))


def test_on_date_any_year():
    keep = filters.on_date(3, 15)
    assert keep(utc(2020, 3, 15, 23))
    assert keep(utc(1999, 3, 15))
    assert not keep(utc(2020, 3, 16))
    assert not keep(utc(2020, 4, 15))


@pytest.mark.parametrize(
    "day, kept",
    [((1, 1), False), ((2, 10), True), ((2, 9), False), ((6, 30), True), ((7, 1), False)],
)
def test_between_dates_in_one_year(day, kept):
    keep = filters.between_dates(2, 10, 6, 30)
    assert keep(utc(2021, *day)) is kept


@pytest.mark.parametrize(
    "day, kept",
    [
        ((10, 15), True),
        ((12, 31), True),
        ((1, 1), True),
        ((3, 31), True),
        ((4, 1), False),
        ((10, 14), False),
    ],
)
def test_between_dates_across_the_new_year(day, kept):
    keep = filters.between_dates(10, 15, 3, 31)
    assert keep(utc(2021, *day)) is kept


def test_at_time_matches_the_local_time_of_day():
    keep = filters.at_time(time(4, 30))
    assert keep(utc(2020, 5, 5, 4, 30))
    assert keep(datetime(2020, 5, 5, 4, 30, tzinfo=NY))
    assert not keep(utc(2020, 5, 5, 4, 30, 1))


def test_between_times_within_a_day():
    keep = filters.between_times(time(14), time(16))
    assert keep(utc(2020, 1, 1, 14))
    assert keep(utc(2020, 1, 1, 16))
    assert not keep(utc(2020, 1, 1, 16, 0, 1))
    assert not keep(utc(2020, 1, 1, 13, 59))


def test_between_times_across_midnight():
    keep = filters.between_times(time(22), time(2))
    assert keep(utc(2020, 1, 1, 23))
    assert keep(utc(2020, 1, 1, 1))
    assert not keep(utc(2020, 1, 1, 12))


def test_weekday_and_weekend():
    monday = utc(2020, 1, 6)
    week = [monday + timedelta(days=d) for d in range(7)]
    assert [filters.is_weekday(d) for d in week] == [True] * 5 + [False] * 2
    assert [filters.is_weekend(d) for d in week] == [False] * 5 + [True] * 2


def test_weekday_is_the_local_day():
    friday_night_in_new_york = datetime(2020, 1, 10, 22, tzinfo=NY)  # Saturday 03:00 UTC
    assert filters.is_weekday(friday_night_in_new_york)
    assert filters.is_weekend(friday_night_in_new_york.astimezone(UTC))


@pytest.mark.parametrize(
    "day, is_end",
    [
        ((2020, 2, 29), True),
        ((2021, 2, 28), True),
        ((2020, 2, 28), False),
        ((2020, 12, 31), True),
        ((2020, 4, 30), True),
        ((2020, 1, 30), False),
    ],
)
def test_is_month_end(day, is_end):
    assert filters.is_month_end(utc(*day, 23, 59)) is is_end


def test_is_month_start():
    assert filters.is_month_start(utc(2020, 3, 1, 12))
    assert not filters.is_month_start(utc(2020, 2, 29))
    assert not filters.is_month_start(utc(2020, 3, 2))


def test_is_day_of_week_counts_from_monday():
    monday = utc(2020, 1, 6)
    assert [filters.is_day_of_week(0)(monday + timedelta(days=d)) for d in range(7)] == [
        True,
        False,
        False,
        False,
        False,
        False,
        False,
    ]
    assert filters.is_day_of_week(6)(utc(2020, 1, 12))  # a Sunday
