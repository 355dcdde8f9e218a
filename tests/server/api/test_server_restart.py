"""restart_flow_run: what a restart resets, what it keeps, and which runs it refuses."""

from __future__ import annotations

import uuid

from prefect_jupyter.engine import state as s
from prefect_jupyter.engine.state_schema import state_to_dict

RESTART_FIELDS = "id state reset_task_run_ids"


def failed_run(api, make_flow, task_states: dict[str, s.State], edges) -> tuple[str, dict]:
    """A flow run that ran and failed, its task runs in ``task_states``; task run ids by name."""
    flow = make_flow(tasks=list(task_states), edges=edges)
    run_id = api.create_flow_run(api.register(flow))
    ids = {t["task"]["slug"].removesuffix("-1"): t["id"] for t in api.task_runs(run_id)}
    api.set_flow_run_state(run_id, state_to_dict(s.Running()))
    for name, state in task_states.items():
        if not isinstance(state, s.Pending) or type(state) is not s.Pending:
            body = api.set_task_run_state(ids[name], state_to_dict(state)).json()
            assert "errors" not in body, body
    api.set_flow_run_state(run_id, state_to_dict(s.Failed("Some reference tasks failed.")))
    return run_id, ids


def states_of(api, run_id: str) -> dict[str, str]:
    return {t["task"]["slug"].removesuffix("-1"): t["state"] for t in api.task_runs(run_id)}


def restart(api, run_id: str) -> dict:
    return api.mutate("restart_flow_run", {"flow_run_id": run_id}, RESTART_FIELDS)


def success_with_result(location: str) -> s.Success:
    from prefect_jupyter.engine.results import LocalResult

    state = s.Success("Task run succeeded.")
    state._result = LocalResult(dir="/tmp", validate_dir=False, location=location)
    return state


def test_failed_tasks_and_their_downstream_run_again_the_rest_is_kept(api, make_flow):
    run_id, ids = failed_run(
        api, make_flow,
        {"extract": success_with_result("/tmp/extract.prefect"), "transform": s.Failed("boom"),
         "load": s.TriggerFailed("upstream failed"), "report": s.Success("fine")},
        edges=[("extract", "transform"), ("transform", "load"), ("extract", "report")],
    )
    payload = restart(api, run_id)
    assert payload["id"] == run_id and payload["state"] == "Scheduled"
    assert sorted(payload["reset_task_run_ids"]) == sorted([ids["transform"], ids["load"]])
    assert states_of(api, run_id) == {
        "extract": "Success", "transform": "Pending", "load": "Pending", "report": "Success"}
    run = api.flow_run(run_id, "state state_message end_time serialized_state")
    assert run["state_message"] == "Restarted from failure: 2 task run(s) will run again."
    assert run["end_time"] is None and run["serialized_state"]["start_time"]
    kept = api.by_pk("task_run", ids["extract"], "serialized_state")
    assert kept["serialized_state"]["_result"] == {
        "type": "LocalResult", "location": "/tmp/extract.prefect"}
    reset = api.by_pk("task_run", ids["transform"], "state_message states(order_by: {version: asc}) { state }")
    assert reset["state_message"] == "Reset to run again by a restart of its flow run."
    assert [row["state"] for row in reset["states"]][-2:] == ["Failed", "Pending"]
    # an agent finds it again
    queue = api.mutate("get_runs_in_queue", {"labels": []}, "flow_run_ids")["flow_run_ids"]
    assert run_id in queue


def test_a_task_downstream_of_a_failure_runs_again_even_if_it_succeeded(api, make_flow):
    run_id, ids = failed_run(
        api, make_flow, {"work": s.Failed("boom"), "cleanup": s.Success("ran on failure")},
        edges=[("work", "cleanup")],
    )
    restart(api, run_id)
    assert states_of(api, run_id) == {"work": "Pending", "cleanup": "Pending"}


def test_cancelled_and_unfinished_task_runs_run_again(api, make_flow):
    run_id, ids = failed_run(
        api, make_flow,
        {"a": s.Success(), "b": s.Running(), "c": s.Cancelled("agent stopped"), "d": s.Retrying()},
        edges=[],
    )
    payload = restart(api, run_id)
    assert sorted(payload["reset_task_run_ids"]) == sorted([ids["b"], ids["c"], ids["d"]])
    assert states_of(api, run_id) == {"a": "Success", "b": "Pending", "c": "Pending", "d": "Pending"}
    was_running = api.by_pk("task_run", ids["b"], "states(order_by: {version: asc}) { state message }")
    assert [row["state"] for row in was_running["states"]] == ["Pending", "Running", "Failed", "Pending"]
    assert was_running["states"][2]["message"] == (
        "Task run was still Running when its flow run ended; it runs again after the restart.")


def test_a_mapped_task_with_a_failed_child_runs_again_whole(api, make_flow):
    run_id, ids = failed_run(api, make_flow, {"numbers": s.Success(), "square": s.Mapped()},
                             edges=[("numbers", "square")])
    flow_task = api.query(
        'query($id: uuid!) { task_run_by_pk(id: $id) { task_id } }', {"id": ids["square"]}
    )["task_run_by_pk"]["task_id"]
    children = [
        api.mutate("get_or_create_task_run_info",
                   {"flow_run_id": run_id, "task_id": flow_task, "map_index": i}, "id")["id"]
        for i in range(2)
    ]
    api.set_task_run_state(children[0], state_to_dict(s.Success()))
    api.set_task_run_state(children[1], state_to_dict(s.Failed("bad element")))
    payload = restart(api, run_id)
    assert sorted(payload["reset_task_run_ids"]) == sorted([ids["square"], *children])
    rows = api.rows("task_run", {"flow_run_id": {"_eq": run_id}}, "map_index state",
                    order_by=[{"task": {"slug": "asc"}}, {"map_index": "asc"}])
    assert rows == [{"map_index": -1, "state": "Success"}, {"map_index": -1, "state": "Pending"},
                    {"map_index": 0, "state": "Pending"}, {"map_index": 1, "state": "Pending"}]


def test_a_failed_run_without_failed_tasks_is_rescheduled(api, make_flow):
    run_id, _ids = failed_run(api, make_flow, {"a": s.Pending(), "b": s.Pending()}, edges=[])
    payload = restart(api, run_id)
    assert payload == {"id": run_id, "state": "Scheduled", "reset_task_run_ids": []}


def test_only_a_failed_run_can_be_restarted(api, make_flow):
    def run_in(*states: s.State) -> str:
        run_id = api.create_flow_run(api.register(make_flow()))
        for state in states:
            api.set_flow_run_state(run_id, state_to_dict(state))
        return run_id

    cases = {
        run_in(s.Running(), s.Success()): "is Success and cannot be restarted: it succeeded",
        run_in(s.Cancelled()): "is Cancelled and cannot be restarted: it was cancelled",
        run_in(s.Running()): "is Running and cannot be restarted: it has not finished",
        run_in(): "is Scheduled and cannot be restarted: it has not finished",
    }
    for run_id, why in cases.items():
        error = api.mutation_errors("restart_flow_run", {"flow_run_id": run_id}, RESTART_FIELDS)[0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"].startswith(f"Flow run {run_id} {why}"), error["message"]
        assert "`prefect-jupyter run --id FLOW_ID`" in error["message"]
    missing = str(uuid.uuid4())
    error = api.mutation_errors("restart_flow_run", {"flow_run_id": missing}, RESTART_FIELDS)[0]
    assert error["extensions"]["code"] == "NOT_FOUND"


def test_a_timed_out_run_can_be_restarted(api, make_flow):
    run_id, ids = failed_run(api, make_flow, {"slow": s.TimedOut("too slow")}, edges=[])
    api.set_flow_run_state(run_id, state_to_dict(s.Pending()))  # Failed -> Pending is allowed
    api.set_flow_run_state(run_id, state_to_dict(s.Running()))
    api.set_flow_run_state(run_id, state_to_dict(s.TimedOut("flow too slow")))
    assert restart(api, run_id)["reset_task_run_ids"] == [ids["slow"]]
