"""Lazarus: submitted or running flow runs whose process is gone are rescheduled, then failed."""

from __future__ import annotations

import threading

import pytest
from services_support import go_silent, logs_of, must, started_run

from prefect_jupyter.engine import state as s
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.services import Lazarus

RESCHEDULED = "Rescheduled by a Lazarus process."


@pytest.fixture
def lazarus(app) -> Lazarus:
    return Lazarus(app.state.database, loop_seconds=1.0, heartbeat_window=60.0,
                   resurrection_attempt_limit=2)


def flow_run(api, run_id: str) -> dict:
    return api.flow_run(run_id, "state state_message times_resurrected")


def test_a_dead_run_is_rescheduled_then_given_up(api, app, make_flow, lazarus):
    run_id, ids = started_run(api, make_flow, {"done": s.Success(), "todo": s.Pending()})
    for attempt in (1, 2):
        go_silent(app, run_id)
        lazarus.run_once()
        assert flow_run(api, run_id) == {
            "state": "Scheduled", "state_message": RESCHEDULED, "times_resurrected": attempt}
        queue = api.mutate("get_runs_in_queue", {"labels": []}, "flow_run_ids")["flow_run_ids"]
        assert run_id in queue  # an agent picks it up again
        must(api.set_flow_run_state(run_id, state_to_dict(s.Running())))  # ...and dies again
    go_silent(app, run_id)
    lazarus.run_once()
    message = ("A Lazarus process attempted to reschedule this run 2 times without success. "
               "Marking as failed.")
    assert flow_run(api, run_id) == {"state": "Failed", "state_message": message,
                                     "times_resurrected": 2}
    assert [(log["level"], log["message"]) for log in logs_of(api, run_id)] == [
        ("INFO", f"{RESCHEDULED} This is attempt 1."),
        ("INFO", f"{RESCHEDULED} This is attempt 2."),
        ("ERROR", message),
    ]
    # the task runs keep their states: the next process reuses what finished
    assert [t["state"] for t in api.task_runs(run_id)] == ["Success", "Pending"]


def test_a_submitted_run_whose_agent_died_is_rescheduled(api, app, make_flow, lazarus):
    run_id = api.create_flow_run(api.register(make_flow()))
    must(api.set_flow_run_state(run_id, state_to_dict(s.Submitted("claimed"))))
    go_silent(app, run_id)
    lazarus.run_once()
    assert flow_run(api, run_id)["state"] == "Scheduled"


def test_with_no_attempts_allowed_a_dead_run_fails_at_once(api, app, make_flow):
    run_id, _ids = started_run(api, make_flow, {"a": s.Pending()})
    go_silent(app, run_id)
    Lazarus(app.state.database, 1.0, 60.0, resurrection_attempt_limit=0).run_once()
    assert flow_run(api, run_id) == {
        "state": "Failed", "times_resurrected": 0,
        "state_message": "No heartbeat detected from the flow run; marking the run as failed."}


@pytest.mark.parametrize("task_state", [s.Running(), s.Paused("waiting for approval")])
def test_a_run_with_a_running_or_paused_task_is_left_alone(api, app, make_flow, lazarus,
                                                            task_state):
    run_id, _ids = started_run(api, make_flow, {"a": task_state, "b": s.Pending()})
    go_silent(app, run_id)
    lazarus.run_once()
    assert flow_run(api, run_id)["state"] == "Running"


def test_a_run_that_still_beats_or_has_finished_is_left_alone(api, app, make_flow, lazarus):
    beating, _ = started_run(api, make_flow, {"a": s.Success()})
    go_silent(app, beating, seconds_ago=5)
    finished, _ = started_run(api, make_flow, {"a": s.Success()}, flow_state=s.Success())
    go_silent(app, finished)
    lazarus.run_once()
    assert flow_run(api, beating)["state"] == "Running"
    assert flow_run(api, finished)["state"] == "Success"


def test_two_lazarus_processes_revive_a_run_once(database_url, api, app, make_flow):
    run_id, _ids = started_run(api, make_flow, {"a": s.Pending()})
    go_silent(app, run_id)
    databases = [Database(database_url) for _ in range(2)]
    barrier = threading.Barrier(2)

    def revive(database: Database) -> None:
        barrier.wait()
        Lazarus(database, 1.0, 60.0, resurrection_attempt_limit=3).run_once()

    threads = [threading.Thread(target=revive, args=(db,)) for db in databases]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        for database in databases:
            database.dispose()
    assert flow_run(api, run_id)["times_resurrected"] == 1
    history = api.by_pk("flow_run", run_id, "states(order_by: {version: asc}) { state }")
    assert [row["state"] for row in history["states"]] == ["Scheduled", "Running", "Scheduled"]


def test_a_flow_with_lazarus_turned_off_is_left_alone_until_turned_on(api, app, make_flow, lazarus):
    # Prefect Server's disable_flow_lazarus_process / enable_flow_lazarus_process
    run_id, _ = started_run(api, make_flow, {"todo": s.Pending()})
    flow_id = api.flow_run(run_id, "flow_id")["flow_id"]
    api.mutate("disable_flow_lazarus_process", {"flow_id": flow_id})
    go_silent(app, run_id)
    assert lazarus.run_once() == 0
    assert flow_run(api, run_id)["state"] == "Running"
    api.mutate("enable_flow_lazarus_process", {"flow_id": flow_id})
    assert lazarus.run_once() == 1
    assert flow_run(api, run_id)["state"] == "Scheduled"
