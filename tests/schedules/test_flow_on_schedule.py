"""flow.run() with a real Schedule: wait for each time, run with each clock's parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from prefect_jupyter import Flow, Parameter, context, task
from prefect_jupyter.schedules import IntervalSchedule, Schedule
from prefect_jupyter.schedules.clocks import DatesClock
from prefect_jupyter.utilities.configuration import set_temporary_config

runs: list[tuple[str, datetime, datetime]] = []


@pytest.fixture(autouse=True)
def reset_runs():
    runs.clear()


@task
def record(who: str) -> str:
    runs.append((who, context.scheduled_start_time, datetime.now(UTC)))
    return who


def greeting_flow(schedule: Schedule) -> tuple[Flow, object]:
    with Flow("greetings", schedule=schedule) as flow:
        who = Parameter("who", default="nobody")
        result = record(who)
    return flow, result


def test_runs_at_each_time_with_each_clocks_parameters_then_returns():
    now = datetime.now(UTC)
    soon, later = now + timedelta(seconds=0.5), now + timedelta(seconds=1)
    schedule = Schedule(
        clocks=[
            DatesClock([soon], parameter_defaults={"who": "ada"}),
            DatesClock([later], parameter_defaults={"who": "grace"}),
        ]
    )
    flow, result = greeting_flow(schedule)

    state = flow.run()

    assert [who for who, _, _ in runs] == ["ada", "grace"]
    assert [scheduled for _, scheduled, _ in runs] == [soon, later]
    assert all(ran >= scheduled for _, scheduled, ran in runs)
    assert state.is_successful()
    assert state.result[result].result == "grace"  # the last run's state
    assert schedule.next(1) == []


def test_run_on_schedule_false_runs_once_now():
    schedule = IntervalSchedule(interval=timedelta(hours=1))
    flow, result = greeting_flow(schedule)
    before = datetime.now(UTC)

    state = flow.run(run_on_schedule=False)

    assert [who for who, _, _ in runs] == ["nobody"]
    assert runs[0][2] - before < timedelta(seconds=1)
    assert state.result[result].result == "nobody"


def test_config_can_turn_schedules_off():
    flow, _ = greeting_flow(IntervalSchedule(interval=timedelta(hours=1)))
    with set_temporary_config({"flows.run_on_schedule": False}):
        state = flow.run()
    assert state.is_successful()
    assert len(runs) == 1


def test_a_schedule_with_no_future_times_does_not_run():
    past = datetime.now(UTC) - timedelta(days=1)
    flow, _ = greeting_flow(Schedule(clocks=[DatesClock([past])]))
    with pytest.raises(ValueError, match="Flow has no more scheduled runs."):
        flow.run()
    assert runs == []


def test_an_interval_schedule_that_has_ended_does_not_run():
    start = datetime(2020, 1, 1, tzinfo=UTC)
    schedule = IntervalSchedule(start, timedelta(days=1), end_date=start + timedelta(days=3))
    flow, _ = greeting_flow(schedule)
    with pytest.raises(ValueError, match="Flow has no more scheduled runs."):
        flow.run(run_on_schedule=True)
