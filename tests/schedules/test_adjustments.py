"""Schedule adjustments: how each one moves a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from prefect_jupyter.schedules import adjustments

NY = ZoneInfo("America/New_York")


def test_add_moves_by_the_interval():
    assert adjustments.add(timedelta(hours=3))(datetime(2020, 1, 1, 22, tzinfo=UTC)) == datetime(
        2020, 1, 2, 1, tzinfo=UTC
    )
    assert adjustments.add(timedelta(minutes=-30))(datetime(2020, 1, 1, tzinfo=UTC)) == datetime(
        2019, 12, 31, 23, 30, tzinfo=UTC
    )


def test_add_to_a_naive_time_gives_utc():
    moved = adjustments.add(timedelta(days=1))(datetime(2020, 1, 1))
    assert moved == datetime(2020, 1, 2, tzinfo=UTC)
    assert moved.utcoffset() == timedelta(0)


def test_add_a_day_keeps_the_local_time_across_dst():
    moved = adjustments.add(timedelta(days=1))(datetime(2018, 3, 10, 9, tzinfo=NY))
    assert moved == datetime(2018, 3, 11, 9, tzinfo=NY)
    assert moved.astimezone(UTC).hour == 13  # a 23-hour day


def test_add_hours_counts_elapsed_time_across_dst():
    moved = adjustments.add(timedelta(hours=1))(datetime(2018, 11, 4, 1, tzinfo=NY))
    assert moved.astimezone(UTC) == datetime(2018, 11, 4, 6, tzinfo=UTC)
    assert (moved.hour, moved.utcoffset()) == (1, timedelta(hours=-5))  # the second 1am


@pytest.mark.parametrize(
    "day, expected",
    [(4, 6), (5, 6), (6, 6), (7, 7), (10, 10)],  # Sat, Sun → Mon; weekdays stay
)
def test_next_weekday(day, expected):
    moved = adjustments.next_weekday(datetime(2020, 1, day, 8, 15, tzinfo=UTC))
    assert moved == datetime(2020, 1, expected, 8, 15, tzinfo=UTC)


def test_next_weekday_keeps_the_local_time_and_zone():
    saturday = datetime(2018, 11, 3, 9, tzinfo=NY)  # the clocks go back on Sunday
    moved = adjustments.next_weekday(saturday)
    assert moved == datetime(2018, 11, 5, 9, tzinfo=NY)
    assert moved.tzinfo is NY
    assert adjustments.next_weekday(datetime(2020, 1, 4)) == datetime(2020, 1, 6, tzinfo=UTC)
