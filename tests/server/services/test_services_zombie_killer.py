"""The zombie killer: running task runs whose heartbeat stopped are failed, or retried."""

from __future__ import annotations

import datetime
import time

import pytest
from services_support import go_silent, logs_of, must, started_run

from prefect_jupyter.engine import state as s
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.services import ZombieKiller

FAILED = "No heartbeat detected from the remote task; marking the run as failed."


@pytest.fixture
def killer(app) -> ZombieKiller:
    return ZombieKiller(app.state.database, loop_seconds=1.0, heartbeat_window=60.0)


def task_run(api, task_run_id: str) -> dict:
    return api.by_pk("task_run", task_run_id,
                     "state state_message serialized_state states(order_by: {version: asc}) { state }")


def test_a_silent_running_task_run_is_failed_and_logged(api, app, make_flow, killer):
    run_id, ids = started_run(api, make_flow, {"work": s.Running(), "next": s.Pending()})
    go_silent(app, run_id)
    assert killer.run_once() >= 1
    work = task_run(api, ids["work"])
    assert (work["state"], work["state_message"]) == ("Failed", FAILED)
    # marked as a lost process, not a task failure: a rerun runs it again (backend/restore.py)
    assert work["serialized_state"]["context"] == {"lost_heartbeat": True}
    assert [row["state"] for row in work["states"]] == ["Pending", "Running", "Failed"]
    assert task_run(api, ids["next"])["state"] == "Pending"
    assert api.flow_run(run_id)["state"] == "Running"  # the flow run is Lazarus's business
    assert logs_of(api, run_id) == [{
        "name": "prefect_jupyter.server.services.zombie_killer", "level": "ERROR",
        "message": FAILED, "task_run_id": ids["work"],
    }]


def test_a_task_with_retries_left_is_retried_until_they_run_out(api, app, make_flow, killer):
    run_id, ids = started_run(api, make_flow, {"work": s.Running()}, max_retries=2,
                              retry_delay=30.0)
    before = datetime.datetime.now(datetime.UTC)
    for attempt in (1, 2):
        go_silent(app, run_id)
        killer.run_once()
        work = task_run(api, ids["work"])
        assert work["state"] == "Retrying"
        assert work["state_message"] == (
            "No heartbeat detected from the remote task; retrying the run. This will be retry "
            f"{attempt} of 2.")
        assert work["serialized_state"]["run_count"] == attempt
        start = datetime.datetime.fromisoformat(work["serialized_state"]["start_time"])
        assert before + datetime.timedelta(seconds=29) < start
        must(api.set_task_run_state(ids["work"], state_to_dict(s.Running())))  # the retry starts
    go_silent(app, run_id)
    killer.run_once()
    assert task_run(api, ids["work"])["state_message"] == FAILED


def test_no_retry_when_the_flow_run_is_not_running(api, app, make_flow, killer):
    run_id, ids = started_run(api, make_flow, {"work": s.Running()},
                              flow_state=s.Failed("agent gone"), max_retries=3)
    go_silent(app, run_id)
    killer.run_once()
    assert task_run(api, ids["work"])["state_message"] == FAILED


def test_runs_that_still_beat_are_left_alone(api, app, make_flow, killer):
    alive_flow, ids_a = started_run(api, make_flow, {"work": s.Running()})
    go_silent(app, alive_flow, seconds_ago=10)  # within the window
    alive_task, ids_b = started_run(api, make_flow, {"work": s.Running()})
    go_silent(app, alive_task, task_runs_too=False)  # only the flow run went quiet
    killer.run_once()
    assert task_run(api, ids_a["work"])["state"] == "Running"
    assert task_run(api, ids_b["work"])["state"] == "Running"


def test_a_silent_cancelling_flow_run_is_failed(api, app, make_flow, killer):
    run_id, _ids = started_run(api, make_flow, {"work": s.Running()},
                               flow_state=s.Cancelling("cancel requested"))
    go_silent(app, run_id)
    killer.run_once()
    run = api.flow_run(run_id, "state state_message")
    assert run == {"state": "Failed",
                   "state_message": "No heartbeat detected from the flow run; marking the run as failed."}


def test_a_loop_service_logs_a_failing_pass_once_and_carries_on(app, caplog):
    class Broken(ZombieKiller):
        calls = 0

        def run_once(self, now=None) -> int:
            Broken.calls += 1
            raise RuntimeError("database on fire")

    killer = Broken(app.state.database, loop_seconds=0.01, heartbeat_window=60.0)
    with caplog.at_level("ERROR", logger="prefect_jupyter.server.services.zombie_killer"):
        with killer:
            while Broken.calls < 3:
                time.sleep(0.005)
    errors = [r for r in caplog.records if "database on fire" in r.getMessage()]
    assert len(errors) == 1
    assert "The zombie_killer pass failed (RuntimeError: database on fire); trying again every" in (
        errors[0].getMessage())
    assert not killer.running


def test_a_service_needs_a_positive_interval(app):
    with pytest.raises(ValueError, match="server.services.zombie_killer.loop_seconds"):
        ZombieKiller(app.state.database, loop_seconds=0, heartbeat_window=60.0)
