"""Flow runs and task runs through the GraphQL API: creating runs (parameters, idempotency,
labels), cancelling, deleting, the agent's queue, task run info, mapped children, heartbeats
and logs."""

from __future__ import annotations

import datetime
import uuid

import pytest

from prefect_jupyter.engine.state import Running, Scheduled, Success
from prefect_jupyter.engine.state_schema import state_from_dict, state_to_dict

PARAMS = [
    {"name": "city", "slug": "city", "default": None, "required": True,
     "type": "prefect_jupyter.core.parameter.Parameter"},
    {"name": "days", "slug": "days", "default": 7, "required": False,
     "type": "prefect_jupyter.core.parameter.Parameter"},
]


def create_run_errors(api, **inputs) -> list[dict]:
    return api.errors(
        "mutation($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }",
        {"input": inputs},
    )


def iso(dt: datetime.datetime) -> str:
    return dt.isoformat()


# -- create_flow_run -------------------------------------------------------------------------------
def test_a_new_run_is_scheduled_with_a_pending_task_run_per_task(api, make_flow):
    flow_id = api.register(make_flow(labels=["east"]))
    start = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    run_id = api.create_flow_run(flow_id, scheduled_start_time=iso(start),
                                 context={"who": "test"}, flow_run_name="nightly")
    run = api.flow_run(run_id, "name state state_message version labels context parameters "
                               "scheduled_start_time serialized_state flow_id start_time")
    assert run["name"] == "nightly"
    assert run["state"] == "Scheduled"
    assert run["state_message"] == "Flow run scheduled."
    assert run["version"] == 1
    assert run["labels"] == ["east"]
    assert run["context"] == {"who": "test"}
    assert run["parameters"] == {}
    assert run["flow_id"] == flow_id
    assert run["start_time"] is None
    assert datetime.datetime.fromisoformat(run["scheduled_start_time"]) == start
    state = state_from_dict(run["serialized_state"])
    assert isinstance(state, Scheduled) and state.start_time == start
    task_runs = api.task_runs(run_id)
    assert [(t["task"]["slug"], t["state"], t["map_index"], t["version"]) for t in task_runs] == [
        ("extract-1", "Pending", -1, 1), ("load-1", "Pending", -1, 1),
        ("transform-1", "Pending", -1, 1),
    ]


def test_a_run_without_a_name_gets_a_generated_one_and_starts_now(api, make_flow):
    before = datetime.datetime.now(datetime.UTC)
    run = api.flow_run(api.create_flow_run(api.register(make_flow())), "name scheduled_start_time")
    assert run["name"] and "-" in run["name"]
    scheduled = datetime.datetime.fromisoformat(run["scheduled_start_time"])
    assert before - datetime.timedelta(seconds=1) <= scheduled <= datetime.datetime.now(datetime.UTC)


def test_given_labels_replace_the_flows_labels(api, make_flow):
    flow_id = api.register(make_flow(labels=["east"]))
    run = api.flow_run(api.create_flow_run(flow_id, labels=["west", "gpu"]), "labels")
    assert run["labels"] == ["gpu", "west"]


def test_parameters_are_checked_against_the_flows_parameters(api, make_flow):
    flow_id = api.register(make_flow(name="weather", parameters=PARAMS))
    run = api.flow_run(api.create_flow_run(flow_id, parameters={"city": "Oslo"}), "parameters")
    assert run["parameters"] == {"city": "Oslo"}

    errors = create_run_errors(api, flow_id=flow_id, parameters={"days": 2})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["message"] == (
        "Flow 'weather' (version 1) cannot run: missing required parameter(s) 'city'. "
        "Its parameters are: 'city', 'days'."
    )
    errors = create_run_errors(api, flow_id=flow_id, parameters={"city": "Oslo", "cty": 1, "x": 2})
    assert "unknown parameter(s) 'cty', 'x'" in errors[0]["message"]
    errors = create_run_errors(api, flow_id=flow_id, parameters={"zzz": 1})
    assert "unknown parameter(s) 'zzz'; missing required parameter(s) 'city'" in errors[0]["message"]
    errors = create_run_errors(api, flow_id=flow_id, parameters=[1, 2])
    assert "parameters must be a JSON object" in errors[0]["message"]


def test_a_rejected_run_writes_nothing(api, make_flow):
    flow_id = api.register(make_flow(parameters=PARAMS))
    create_run_errors(api, flow_id=flow_id)
    assert api.count("flow_run", {"flow_id": {"_eq": flow_id}}) == 0


def test_an_archived_flow_cannot_run(api, make_flow):
    project_id = api.create_project()
    flow = make_flow()
    old = api.register(flow, project_id)
    api.register(flow, project_id)
    errors = create_run_errors(api, flow_id=old)
    assert "is archived and cannot be run" in errors[0]["message"]
    assert "version_group_id" in errors[0]["message"]


def test_a_version_group_runs_its_latest_unarchived_version(api, make_flow):
    project_id = api.create_project()
    flow = make_flow()
    api.register(flow, project_id)
    latest = api.register(flow, project_id)
    group = api.query(f'{{ flow_by_pk(id: "{latest}") {{ version_group_id }} }}')
    group_id = group["flow_by_pk"]["version_group_id"]
    data = api.query(
        "mutation($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }",
        {"input": {"version_group_id": group_id}},
    )
    assert api.flow_run(data["create_flow_run"]["id"], "flow_id")["flow_id"] == latest


def test_unknown_flow_and_version_group_are_named(api):
    missing = str(uuid.uuid4())
    assert create_run_errors(api, flow_id=missing)[0]["message"].startswith(
        f"Flow {missing} not found")
    errors = create_run_errors(api, version_group_id="no-such-group")
    assert "no-such-group" in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    errors = create_run_errors(api)
    assert "needs a flow_id or a version_group_id" in errors[0]["message"]


def test_the_same_idempotency_key_returns_the_same_run(api, make_flow):
    flow_id = api.register(make_flow())
    first = api.create_flow_run(flow_id, idempotency_key="k1")
    assert api.create_flow_run(flow_id, idempotency_key="k1") == first
    assert api.create_flow_run(flow_id, idempotency_key="k2") != first


# -- cancel and delete -------------------------------------------------------------------------
def cancel(api, run_id: str) -> str:
    return api.mutate("cancel_flow_run", {"flow_run_id": run_id}, "state")["state"]


def test_cancelling_a_scheduled_run_cancels_it_and_its_task_runs(api, make_flow):
    run_id = api.create_flow_run(api.register(make_flow()))
    assert cancel(api, run_id) == "Cancelled"
    run = api.flow_run(run_id, "state end_time")
    assert run["state"] == "Cancelled" and run["end_time"] is not None
    assert {t["state"] for t in api.task_runs(run_id)} == {"Cancelled"}


def test_cancelling_a_running_run_asks_it_to_stop(api, make_flow):
    run_id = api.create_flow_run(api.register(make_flow()))
    api.set_flow_run_state(run_id, state_to_dict(Running()))
    assert cancel(api, run_id) == "Cancelling"
    assert {t["state"] for t in api.task_runs(run_id)} == {"Pending"}
    api.set_flow_run_state(run_id, state_to_dict(Success()))
    assert cancel(api, run_id) == "Success"


def test_delete_flow_run(api, make_flow):
    run_id = api.create_flow_run(api.register(make_flow()))
    assert api.mutate("delete_flow_run", {"flow_run_id": run_id}) == {"success": True}
    assert api.by_pk("flow_run", run_id) is None
    errors = api.mutation_errors("delete_flow_run", {"flow_run_id": run_id})
    assert errors[0]["message"].startswith(f"Flow run {run_id} not found")


# -- the agent's queue -----------------------------------------------------------------------
def queue(api, labels, before: datetime.datetime | None = None) -> list[str]:
    inputs = {"labels": labels, "tenant_id": str(uuid.uuid4())}
    if before is not None:
        inputs["before"] = iso(before)
    data = api.query(
        "mutation($input: get_runs_in_queue_input!) { get_runs_in_queue(input: $input) "
        "{ flow_run_ids } }",
        {"input": inputs},
    )
    return data["get_runs_in_queue"]["flow_run_ids"]


@pytest.fixture(scope="module")
def queued(api, make_flow):
    """Runs with distinct labels scheduled in the far past, one in the future, one running.

    The labels are unique to this fixture so other tests' runs do not match them.
    """
    tag = uuid.uuid4().hex[:6]
    a, b, c = (f"{x}-{tag}" for x in "abc")
    flow_id = api.register(make_flow())
    t0 = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
    runs = {
        "ab": api.create_flow_run(flow_id, labels=[a, b], scheduled_start_time=iso(t0)),
        "a": api.create_flow_run(flow_id, labels=[a],
                                 scheduled_start_time=iso(t0 - datetime.timedelta(hours=1))),
        "abc": api.create_flow_run(flow_id, labels=[a, b, c], scheduled_start_time=iso(t0)),
        "later": api.create_flow_run(flow_id, labels=[a],
                                     scheduled_start_time=iso(t0 + datetime.timedelta(days=1))),
        "running": api.create_flow_run(flow_id, labels=[a], scheduled_start_time=iso(t0)),
    }
    api.set_flow_run_state(runs["running"], state_to_dict(Running()))
    return runs, (a, b, c), t0


def test_the_queue_holds_due_runs_whose_labels_the_agent_has_oldest_first(api, queued):
    runs, (a, b, c), t0 = queued
    noon = t0 + datetime.timedelta(hours=12)
    assert queue(api, [a], noon) == [runs["a"]]
    assert queue(api, [b, a], noon) == [runs["a"], runs["ab"]]
    assert set(queue(api, [a, b, c, "other"], noon)) == {runs["a"], runs["ab"], runs["abc"]}
    assert queue(api, [a, b, c], noon)[0] == runs["a"]
    assert runs["later"] in queue(api, [a], t0 + datetime.timedelta(days=2))
    assert runs["running"] not in queue(api, [a, b, c], t0 + datetime.timedelta(days=2))


def test_an_unlabelled_run_suits_every_agent(api, make_flow):
    t0 = datetime.datetime(2000, 6, 1, tzinfo=datetime.UTC)
    run_id = api.create_flow_run(api.register(make_flow()), scheduled_start_time=iso(t0))
    assert run_id in queue(api, [], t0)
    assert run_id in queue(api, ["anything"], t0)
    assert run_id not in queue(api, [], t0 - datetime.timedelta(seconds=1))


def test_a_rescheduled_run_is_due_at_its_new_start_time(api, make_flow):
    t0 = datetime.datetime(2000, 6, 1, tzinfo=datetime.UTC)
    run_id = api.create_flow_run(api.register(make_flow()), scheduled_start_time=iso(t0))
    later = t0 + datetime.timedelta(hours=5)
    api.set_flow_run_state(run_id, state_to_dict(Scheduled(start_time=later)))
    assert run_id not in queue(api, [], t0 + datetime.timedelta(hours=1))
    assert run_id in queue(api, [], later)


def test_a_running_run_with_a_resumed_task_is_in_the_queue(api, make_flow):
    from prefect_jupyter.engine.state import Paused, Resume

    t0 = datetime.datetime(2000, 7, 1, tzinfo=datetime.UTC)
    run_id = api.create_flow_run(api.register(make_flow()), scheduled_start_time=iso(t0))
    api.set_flow_run_state(run_id, state_to_dict(Running()))
    task_run = api.task_runs(run_id)[0]["id"]
    api.set_task_run_state(task_run, state_to_dict(Paused(start_time=t0)))
    assert run_id not in queue(api, [], t0)
    api.set_task_run_state(task_run, state_to_dict(Resume(start_time=t0)))
    assert run_id in queue(api, [], t0)


# -- task runs -------------------------------------------------------------------------------
INFO = """mutation($input: get_or_create_task_run_info_input!) {
  get_or_create_task_run_info(input: $input) { id version state serialized_state } }"""


def test_get_or_create_task_run_info_returns_existing_and_creates_mapped_children(api, make_flow):
    flow_id = api.register(make_flow())
    run_id = api.create_flow_run(flow_id)
    task_id = api.rows("task", {"flow_id": {"_eq": flow_id}, "slug": {"_eq": "load-1"}}, "id")[0]["id"]
    parent = api.query(INFO, {"input": {"flow_run_id": run_id, "task_id": task_id}})
    parent = parent["get_or_create_task_run_info"]
    assert parent["state"] == "Pending" and parent["version"] == 1
    assert state_from_dict(parent["serialized_state"]).message == "Task run created"
    assert parent["id"] == next(t["id"] for t in api.task_runs(run_id) if t["task"]["slug"] == "load-1")

    child = api.query(INFO, {"input": {"flow_run_id": run_id, "task_id": task_id, "map_index": 2}})
    child = child["get_or_create_task_run_info"]
    again = api.query(INFO, {"input": {"flow_run_id": run_id, "task_id": task_id, "map_index": 2}})
    assert again["get_or_create_task_run_info"]["id"] == child["id"] != parent["id"]
    info = api.query("query($id: UUID!) { get_task_run_info(task_run_id: $id) { id version state } }",
                     {"id": child["id"]})
    assert info["get_task_run_info"] == {"id": child["id"], "version": 1, "state": "Pending"}


def test_get_or_create_task_run_info_refuses_a_task_of_another_flow(api, make_flow):
    run_id = api.create_flow_run(api.register(make_flow()))
    other_flow = api.register(make_flow())
    task_id = api.rows("task", {"flow_id": {"_eq": other_flow}}, "id")[0]["id"]
    body = api.post_graphql(INFO, {"input": {"flow_run_id": run_id, "task_id": task_id,
                                             "map_index": 0}}).json()
    assert "belongs to flow" in body["errors"][0]["message"]
    missing = str(uuid.uuid4())
    body = api.post_graphql(INFO, {"input": {"flow_run_id": missing, "task_id": task_id}}).json()
    assert body["errors"][0]["message"].startswith(f"Flow run {missing} not found")


def mapped_children(api, task_run_id: str) -> dict:
    query = """query($id: UUID!) { mapped_children(task_run_id: $id) {
                 min_start_time max_end_time state_counts } }"""
    return api.query(query, {"id": task_run_id})["mapped_children"]


def test_mapped_children_counts_states_and_spans_times(api, make_flow):
    flow_id = api.register(make_flow())
    run_id = api.create_flow_run(flow_id)
    api.set_flow_run_state(run_id, state_to_dict(Running()))
    task_id = api.rows("task", {"flow_id": {"_eq": flow_id}, "slug": {"_eq": "extract-1"}}, "id")[0]["id"]
    children = [
        api.query(INFO, {"input": {"flow_run_id": run_id, "task_id": task_id, "map_index": i}})
        ["get_or_create_task_run_info"]["id"]
        for i in range(3)
    ]
    for child in children[:2]:
        api.set_task_run_state(child, state_to_dict(Running()))
    api.set_task_run_state(children[0], state_to_dict(Success()))
    parent = next(t["id"] for t in api.task_runs(run_id) if t["task"]["slug"] == "extract-1")
    data = mapped_children(api, parent)
    assert data["state_counts"] == {"Success": 1, "Running": 1, "Pending": 1}
    times = api.rows("task_run", {"id": {"_in": children[:2]}}, "start_time end_time")
    assert data["min_start_time"] == min(t["start_time"] for t in times)
    assert data["max_end_time"] == next(t["end_time"] for t in times if t["end_time"])


def test_mapped_children_of_a_task_run_without_children(api, make_flow):
    run_id = api.create_flow_run(api.register(make_flow()))
    parent = api.task_runs(run_id)[0]["id"]
    assert mapped_children(api, parent) == {"min_start_time": None, "max_end_time": None,
                                            "state_counts": {}}


# -- heartbeats and logs -----------------------------------------------------------------------
def test_heartbeats_record_the_time(api, make_flow):
    run_id = api.create_flow_run(api.register(make_flow()))
    task_run = api.task_runs(run_id)[0]["id"]
    api.mutate("update_flow_run_heartbeat", {"flow_run_id": run_id})
    api.mutate("update_task_run_heartbeat", {"task_run_id": task_run})
    assert api.flow_run(run_id, "heartbeat")["heartbeat"] is not None
    assert api.by_pk("task_run", task_run, "heartbeat")["heartbeat"] is not None
    missing = str(uuid.uuid4())
    errors = api.mutation_errors("update_flow_run_heartbeat", {"flow_run_id": missing})
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


WRITE_LOGS = """mutation($input: write_run_logs_input!) { write_run_logs(input: $input) { success } }"""


def test_logs_are_written_and_read_back_in_order(api, make_flow):
    run_id = api.create_flow_run(api.register(make_flow()))
    task_run = api.task_runs(run_id)[0]["id"]
    t0 = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC)
    logs = [
        {"flow_run_id": run_id, "timestamp": iso(t0 + datetime.timedelta(seconds=2)),
         "name": "prefect_jupyter.FlowRunner", "level": "INFO", "message": "second"},
        {"flow_run_id": run_id, "task_run_id": task_run, "timestamp": iso(t0),
         "name": "prefect_jupyter.TaskRunner", "level": "WARNING", "message": "first",
         "info": {"lineno": 3}},
    ]
    assert api.query(WRITE_LOGS, {"input": {"logs": logs}})["write_run_logs"]["success"] is True
    rows = api.rows("log", {"flow_run_id": {"_eq": run_id}},
                    "message level name info task_run_id timestamp", {"timestamp": "asc"})
    assert [r["message"] for r in rows] == ["first", "second"]
    assert rows[0]["level"] == "WARNING" and rows[0]["info"] == {"lineno": 3}
    assert rows[0]["task_run_id"] == task_run and rows[1]["task_run_id"] is None
    nested = api.by_pk("flow_run", run_id, 'logs(where: {level: {_eq: "WARNING"}}) { message }')
    assert nested["logs"] == [{"message": "first"}]


def test_logs_for_an_unknown_run_write_nothing(api, make_flow):
    run_id = api.create_flow_run(api.register(make_flow()))
    missing = str(uuid.uuid4())
    logs = [{"flow_run_id": run_id, "message": "ok"}, {"flow_run_id": missing, "message": "x"}]
    errors = api.errors(WRITE_LOGS, {"input": {"logs": logs}})
    assert errors[0]["message"].startswith(f"Flow run {missing} not found")
    assert api.count("log", {"flow_run_id": {"_eq": run_id}}) == 0


def test_a_log_level_outside_the_enum_is_a_graphql_error(api, make_flow):
    run_id = api.create_flow_run(api.register(make_flow()))
    errors = api.errors(WRITE_LOGS, {"input": {"logs": [{"flow_run_id": run_id, "level": "LOUD"}]}})
    assert "LOUD" in errors[0]["message"]
