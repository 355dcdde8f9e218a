"""Run states on the server: the transition table, stale-writer rejection, history rows,
start/end times, and batches that are written all or nothing."""

from __future__ import annotations

import uuid

import pytest

from prefect_jupyter.engine import state as s
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.api.states import check_transition
from prefect_jupyter.server.errors import InvalidTransition

# One example state per kind, and what each kind may become (the documented policy).
EXAMPLES = {
    "Pending": s.Pending(), "Scheduled": s.Retrying(), "Submitted": s.Submitted(),
    "Queued": s.Queued(), "Running": s.Running(), "Cancelling": s.Cancelling(),
    "Looped": s.Looped(loop_count=1), "Finished": s.TriggerFailed(), "Cancelled": s.Cancelled(),
}
NOT_STARTED = {"Pending", "Scheduled", "Submitted", "Queued", "Running", "Finished", "Cancelled"}
ALLOWED = {
    "Pending": NOT_STARTED | {"Looped"},
    "Scheduled": NOT_STARTED | {"Looped"},
    "Submitted": NOT_STARTED,
    "Queued": NOT_STARTED,
    "Running": {"Scheduled", "Queued", "Running", "Cancelling", "Looped", "Finished", "Cancelled"},
    "Cancelling": {"Cancelling", "Finished", "Cancelled"},
    "Looped": {"Scheduled", "Running", "Looped", "Finished", "Cancelled"},
    "Finished": {"Pending", "Scheduled"},
    "Cancelled": {"Pending"},  # only for restart_flow_run (see api/restart.py)
}


@pytest.mark.parametrize("current", list(EXAMPLES))
@pytest.mark.parametrize("new", list(EXAMPLES))
def test_transition_table(current, new):
    from_state = type(EXAMPLES[current]).__name__
    if new in ALLOWED[current]:
        check_transition("Flow run x", from_state, EXAMPLES[new])
    else:
        with pytest.raises(InvalidTransition, match="is not an allowed transition"):
            check_transition("Flow run x", from_state, EXAMPLES[new])


def test_a_success_may_become_cached_and_nothing_else_finished_may_move():
    # a task with cache_for reports Success, then Cached (as flow.run's states go)
    check_transition("Task run x", "Success", s.Cached())
    for current, new in [("Failed", s.Cached()), ("Cached", s.Success()), ("Success", s.Failed()),
                         ("Cached", s.Cached()), ("TriggerFailed", s.Success())]:
        with pytest.raises(InvalidTransition, match="is not an allowed transition"):
            check_transition("Task run x", current, new)


def test_a_first_state_can_be_anything():
    check_transition("Task run x", None, s.Success())


# -- through the API --------------------------------------------------------------------------
def flow_run_in(api, make_flow, *states: s.State) -> str:
    run_id = api.create_flow_run(api.register(make_flow()))
    for state in states:
        body = api.set_flow_run_state(run_id, state_to_dict(state)).json()
        assert "errors" not in body, body
    return run_id


def history(api, run_id: str) -> list[tuple[int, str]]:
    rows = api.by_pk("flow_run", run_id, "states(order_by: {version: asc}) { version state }")
    return [(row["version"], row["state"]) for row in rows["states"]]


def test_each_accepted_state_bumps_the_version_and_adds_a_history_row(api, make_flow):
    run_id = flow_run_in(api, make_flow)
    body = api.set_flow_run_state(run_id, state_to_dict(s.Running("go")), version=1).json()
    assert body["data"]["set_flow_run_states"]["states"] == [
        {"id": run_id, "status": "SUCCESS", "message": None}
    ]
    api.set_flow_run_state(run_id, state_to_dict(s.Success("done")), version=2)
    run = api.flow_run(run_id, "state state_message version serialized_state")
    assert (run["state"], run["state_message"], run["version"]) == ("Success", "done", 3)
    assert run["serialized_state"]["type"] == "Success"
    assert history(api, run_id) == [(1, "Scheduled"), (2, "Running"), (3, "Success")]


def test_a_stale_version_is_refused_and_nothing_is_written(api, make_flow):
    run_id = flow_run_in(api, make_flow)
    api.set_flow_run_state(run_id, state_to_dict(s.Running()), version=1)
    body = api.set_flow_run_state(run_id, state_to_dict(s.Failed("late")), version=1).json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "VERSION_CONFLICT"
    assert f"Flow run {run_id} is at version 2, but this write was based on version 1" in (
        error["message"])
    assert body["data"] is None
    assert api.flow_run(run_id) == {"state": "Running", "version": 2}
    assert len(history(api, run_id)) == 2


def test_a_forbidden_transition_names_both_states_and_the_way_out(api, make_flow):
    run_id = flow_run_in(api, make_flow, s.Running(), s.Success())
    error = api.set_flow_run_state(run_id, state_to_dict(s.Running())).json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_TRANSITION"
    assert error["message"] == (
        f"Flow run {run_id} is Success; it cannot become Running (Finished → Running is not an "
        "allowed transition: it can only become Pending, Scheduled)."
    )


def test_a_cancelled_run_stays_cancelled(api, make_flow):
    run_id = flow_run_in(api, make_flow, s.Cancelled())
    error = api.set_flow_run_state(run_id, state_to_dict(s.Scheduled())).json()["errors"][0]
    assert "it can only become Pending" in error["message"]


def test_a_finished_run_can_be_restarted(api, make_flow):
    run_id = flow_run_in(api, make_flow, s.Running(), s.Failed(), s.Scheduled(), s.Running())
    run = api.flow_run(run_id, "state end_time start_time")
    assert run["state"] == "Running" and run["end_time"] is None and run["start_time"]


def test_start_and_end_times_follow_the_states(api, make_flow):
    run_id = flow_run_in(api, make_flow)
    assert api.flow_run(run_id, "start_time end_time") == {"start_time": None, "end_time": None}
    api.set_flow_run_state(run_id, state_to_dict(s.Running()))
    started = api.flow_run(run_id, "start_time end_time heartbeat")
    assert started["start_time"] and started["end_time"] is None and started["heartbeat"]
    api.set_flow_run_state(run_id, state_to_dict(s.Success()))
    ended = api.flow_run(run_id, "start_time end_time")
    assert ended["start_time"] == started["start_time"]
    assert ended["end_time"] >= ended["start_time"]


def test_a_task_run_retries_after_failing(api, make_flow):
    run_id = flow_run_in(api, make_flow, s.Running())
    task_run = api.task_runs(run_id)[0]["id"]
    for state in (s.Running(), s.Failed("boom"), s.Retrying(run_count=1), s.Running(),
                  s.Looped(loop_count=1), s.Running(), s.Success("ok")):
        body = api.set_task_run_state(task_run, state_to_dict(state)).json()
        assert "errors" not in body, (state, body)
    rows = api.by_pk("task_run", task_run,
                     "version state end_time states(order_by: {version: asc}) { state }")
    assert [r["state"] for r in rows["states"]] == [
        "Pending", "Running", "Failed", "Retrying", "Running", "Looped", "Running", "Success"]
    assert rows["version"] == 8 and rows["end_time"]


def test_a_task_run_cannot_start_unless_its_flow_run_is_running(api, make_flow):
    run_id = flow_run_in(api, make_flow)
    task_run = api.task_runs(run_id)[0]["id"]
    error = api.set_task_run_state(task_run, state_to_dict(s.Running())).json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_TRANSITION"
    assert f"its flow run {run_id} is Scheduled, not Running" in error["message"]
    api.set_flow_run_state(run_id, state_to_dict(s.Running()))
    assert "errors" not in api.set_task_run_state(task_run, state_to_dict(s.Running())).json()


def test_a_batch_is_written_all_or_nothing(api, make_flow):
    run_a = flow_run_in(api, make_flow)
    run_b = flow_run_in(api, make_flow, s.Cancelled())
    body = api.post_graphql(
        """mutation($input: set_flow_run_states_input!) {
             set_flow_run_states(input: $input) { states { id status } } }""",
        {"input": {"states": [
            {"flow_run_id": run_a, "version": 1, "state": state_to_dict(s.Running())},
            {"flow_run_id": run_b, "state": state_to_dict(s.Running())},
        ]}},
    ).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
    assert api.flow_run(run_a) == {"state": "Scheduled", "version": 1}


def test_two_states_for_one_run_in_a_batch_apply_in_order(api, make_flow):
    run_id = flow_run_in(api, make_flow)
    api.query(
        """mutation($input: set_flow_run_states_input!) {
             set_flow_run_states(input: $input) { states { id } } }""",
        {"input": {"states": [
            {"flow_run_id": run_id, "version": 1, "state": state_to_dict(s.Running())},
            {"flow_run_id": run_id, "version": 2, "state": state_to_dict(s.Success())},
        ]}},
    )
    assert api.flow_run(run_id) == {"state": "Success", "version": 3}


def test_setting_a_flow_run_cancelled_cancels_its_unfinished_task_runs(api, make_flow):
    run_id = flow_run_in(api, make_flow, s.Running())
    first, second, _ = (t["id"] for t in api.task_runs(run_id))
    api.set_task_run_state(first, state_to_dict(s.Running()))
    api.set_task_run_state(first, state_to_dict(s.Success()))
    api.set_task_run_state(second, state_to_dict(s.Running()))
    api.set_flow_run_state(run_id, state_to_dict(s.Cancelled("stop")))
    assert [t["state"] for t in api.task_runs(run_id)] == ["Success", "Cancelled", "Cancelled"]


@pytest.mark.parametrize(
    "state, message",
    [
        ({"type": "Exploded"}, "Unknown state type 'Exploded'"),
        ({"type": "ClientFailed"}, "Unknown state type 'ClientFailed'"),
        ({"message": "no type"}, "Unknown state type None"),
        ("Running", "A state must be a JSON object"),
    ],
)
def test_a_state_that_is_not_a_state_is_refused(api, make_flow, state, message):
    run_id = flow_run_in(api, make_flow)
    error = api.set_flow_run_state(run_id, state).json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


def test_states_for_unknown_runs_name_the_id(api):
    missing = str(uuid.uuid4())
    error = api.set_task_run_state(missing, state_to_dict(s.Running())).json()["errors"][0]
    assert error["message"].startswith(f"Task run {missing} not found")
    assert error["extensions"]["code"] == "NOT_FOUND"
