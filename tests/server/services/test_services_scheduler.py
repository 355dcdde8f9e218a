"""The scheduler service: the next ten runs of each active schedule exist, exactly once each."""

from __future__ import annotations

import datetime
import logging
import threading

import pytest

from prefect_jupyter.schedules import Schedule
from prefect_jupyter.schedules.clocks import IntervalClock
from prefect_jupyter.serialization.schedule import schedule_to_dict
from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.services import Scheduler

START = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
NOW = datetime.datetime(2030, 6, 1, 12, 30, tzinfo=datetime.UTC)
HOURLY = schedule_to_dict(Schedule(clocks=[IntervalClock(datetime.timedelta(hours=1),
                                                         start_date=START)]))
RUN_FIELDS = "scheduled_start_time auto_scheduled state parameters labels idempotency_key"


def scheduled_flow(api, make_flow, schedule=HOURLY, **kwargs) -> str:
    return api.register(make_flow(schedule=schedule, **kwargs))


def runs_of(api, flow_id: str) -> list[dict]:
    return api.rows("flow_run", {"flow_id": {"_eq": flow_id}}, RUN_FIELDS,
                    order_by=[{"scheduled_start_time": "asc"}])


def hours_after_now(n: int) -> list[str]:
    first = NOW.replace(minute=0) + datetime.timedelta(hours=1)
    return [(first + datetime.timedelta(hours=i)).isoformat() for i in range(n)]


@pytest.fixture
def scheduler(app) -> Scheduler:
    return Scheduler(app.state.database, loop_seconds=1.0)


def test_the_next_ten_runs_are_created_once(api, make_flow, scheduler):
    flow_id = scheduled_flow(api, make_flow)
    assert scheduler.run_once(now=NOW) >= 10
    runs = runs_of(api, flow_id)
    assert [r["scheduled_start_time"] for r in runs] == hours_after_now(10)
    assert all(r["auto_scheduled"] and r["state"] == "Scheduled" for r in runs)
    assert runs[0]["idempotency_key"] == f"auto-scheduled:{flow_id}:{hours_after_now(1)[0]}"
    scheduler.run_once(now=NOW)
    assert len(runs_of(api, flow_id)) == 10
    # an hour later one more is due to be kept ten ahead
    scheduler.run_once(now=NOW + datetime.timedelta(hours=1))
    assert [r["scheduled_start_time"] for r in runs_of(api, flow_id)] == hours_after_now(11)


def test_clock_parameters_and_labels_reach_the_runs(api, make_flow, scheduler):
    clock = IntervalClock(datetime.timedelta(days=1), start_date=START,
                          parameter_defaults={"x": 7}, labels=["nightly"])
    flow_id = scheduled_flow(
        api, make_flow, schedule=schedule_to_dict(Schedule(clocks=[clock])), labels=["etl"],
        parameters=[{"name": "x", "slug": "x", "default": 1, "required": True, "type": "P"}],
    )
    scheduler.run_once(now=NOW)
    runs = runs_of(api, flow_id)
    assert len(runs) == 10
    assert all(r["parameters"] == {"x": 7} and r["labels"] == ["etl", "nightly"] for r in runs)


def test_inactive_archived_and_unscheduled_flows_get_no_runs(api, make_flow, scheduler):
    inactive = api.register(make_flow(schedule=HOURLY), set_schedule_active=False)
    archived = scheduled_flow(api, make_flow)
    api.mutate("archive_flow", {"flow_id": archived})
    plain = api.register(make_flow())
    scheduler.run_once(now=NOW)
    assert [runs_of(api, f) for f in (inactive, archived, plain)] == [[], [], []]


def test_turning_a_schedule_off_or_archiving_deletes_its_future_runs(api, make_flow, scheduler):
    off, archived = scheduled_flow(api, make_flow), scheduled_flow(api, make_flow)
    scheduler.run_once(now=NOW)
    manual = api.create_flow_run(off)
    started = runs_of(api, archived)[0]
    started_id = api.rows("flow_run", {"flow_id": {"_eq": archived}}, "id",
                          order_by=[{"scheduled_start_time": "asc"}])[0]["id"]
    api.set_flow_run_state(started_id, {"type": "Running", "message": "go"})
    api.mutate("set_schedule_inactive", {"flow_id": off})
    api.mutate("archive_flow", {"flow_id": archived})
    assert [r["auto_scheduled"] for r in runs_of(api, off)] == [False]  # the manual run stays
    assert api.flow_run(manual)["state"] == "Scheduled"
    left = runs_of(api, archived)
    assert len(left) == 1 and left[0]["scheduled_start_time"] == started["scheduled_start_time"]
    # turned on again: the runs come back, and only once
    api.mutate("set_schedule_active", {"flow_id": off})
    scheduler.run_once(now=NOW)
    assert len([r for r in runs_of(api, off) if r["auto_scheduled"]]) == 10


def test_a_new_version_replaces_the_old_version_s_runs(api, make_flow, scheduler):
    project = api.create_project()
    flow = make_flow(schedule=HOURLY)
    old = api.register(flow, project_id=project)
    scheduler.run_once(now=NOW)
    new = api.register({**flow, "structure_hash": "changed"}, project_id=project)
    assert runs_of(api, old) == []  # archived with the registration: its runs went with it
    scheduler.run_once(now=NOW)
    assert len(runs_of(api, new)) == 10


def test_a_schedule_that_cannot_make_runs_is_reported_once(api, make_flow, scheduler, caplog):
    needs_x = [{"name": "x", "slug": "x", "default": None, "required": True, "type": "P"}]
    flow_id = scheduled_flow(api, make_flow, parameters=needs_x)
    with caplog.at_level(logging.ERROR, logger="prefect_jupyter.server.services.scheduler"):
        scheduler.run_once(now=NOW)
        scheduler.run_once(now=NOW)
    messages = [r.getMessage() for r in caplog.records if flow_id in r.getMessage()]
    assert len(messages) == 1
    assert "has an active schedule, but its runs can't be created" in messages[0]
    assert "missing required parameter(s) 'x'" in messages[0]
    assert runs_of(api, flow_id) == []


def test_two_schedulers_on_one_database_never_duplicate(database_url, api, make_flow):
    """Two servers on one database, each with its own connections, scheduling at once."""
    flow_ids = [scheduled_flow(api, make_flow) for _ in range(3)]
    databases = [Database(database_url) for _ in range(2)]
    barrier = threading.Barrier(len(databases))
    errors: list[BaseException] = []

    def schedule(database: Database) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                Scheduler(database, loop_seconds=1.0).run_once(now=NOW)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=schedule, args=(db,)) for db in databases]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        for database in databases:
            database.dispose()
    assert errors == []
    for flow_id in flow_ids:
        assert [r["scheduled_start_time"] for r in runs_of(api, flow_id)] == hours_after_now(10)
