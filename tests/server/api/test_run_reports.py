"""write_run_report: a batch of one flow run's task-run states and log records, one transaction.

Parametrized over SQLite and PostgreSQL by the ``database_url`` fixture (tests/server/conftest.py).
"""

from __future__ import annotations

import uuid

import pytest

REPORT = """mutation($input: write_run_report_input!) {
  write_run_report(input: $input) { task_run_states logs } }"""
REPORT_CHILDREN = """mutation($input: write_run_report_input!) {
  write_run_report(input: $input) { task_run_states logs new_task_runs } }"""
CREATE = """mutation($input: create_mapped_task_runs_input!) {
  create_mapped_task_runs(input: $input) { task_runs { map_index id version } } }"""


def _running_run_with_children(api, make_flow, count: int = 3) -> tuple[str, list[dict]]:
    flow_id = api.register(make_flow())
    run_id = api.create_flow_run(flow_id)
    task_id = api.rows("task", {"flow_id": {"_eq": flow_id}, "slug": {"_eq": "load-1"}},
                       "id")[0]["id"]
    assert "errors" not in api.set_flow_run_state(run_id, {"type": "Running"}).json()
    children = api.query(CREATE, {"input": {"flow_run_id": run_id, "task_id": task_id,
                                            "count": count}})
    return run_id, children["create_mapped_task_runs"]["task_runs"]


def _states(child: dict) -> list[dict]:
    return [
        {"task_run_id": child["id"], "version": child["version"],
         "state": {"type": "Running", "message": "Starting task run"}},
        {"task_run_id": child["id"], "version": child["version"] + 1,
         "state": {"type": "Success", "message": "Task run succeeded"}},
    ]


def _log(child: dict | None, message: str, **extra) -> dict:
    return {"task_run_id": child["id"] if child else None, "name": "prefect_jupyter.TaskRunner",
            "level": "INFO", "message": message, "timestamp": "2026-01-31T12:00:00+00:00",
            **extra}


def test_states_and_logs_are_stored_in_order_with_their_history(api, make_flow):
    run_id, children = _running_run_with_children(api, make_flow)
    states = [item for child in children for item in _states(child)]
    logs = [_log(child, f"child {child['map_index']}") for child in children]
    logs.append(_log(None, "the flow run's own line"))
    answer = api.query(REPORT, {"input": {"flow_run_id": run_id, "task_run_states": states,
                                          "logs": logs}})
    assert answer["write_run_report"] == {"task_run_states": 6, "logs": 4}
    stored = api.rows("task_run", {"flow_run_id": {"_eq": run_id}, "map_index": {"_gte": 0}},
                      "state version start_time end_time states(order_by: {version: asc}) "
                      "{ state }", order_by={"map_index": "asc"})
    for run in stored:
        assert run["state"] == "Success" and run["version"] == 3
        assert run["start_time"] and run["end_time"]
        assert [s["state"] for s in run["states"]] == ["Pending", "Running", "Success"]
    lines = api.rows("log", {"flow_run_id": {"_eq": run_id}}, "message task_run_id timestamp",
                     order_by={"message": "asc"})
    assert [line["message"] for line in lines] == [
        "child 0", "child 1", "child 2", "the flow run's own line"]
    assert lines[0]["task_run_id"] == children[0]["id"] and lines[3]["task_run_id"] is None
    assert lines[0]["timestamp"].startswith("2026-01-31T12:00:00")


def test_a_refused_state_stores_nothing_of_the_report(api, make_flow):
    run_id, children = _running_run_with_children(api, make_flow)
    states = _states(children[0]) + [{**_states(children[1])[0], "version": 7}]  # stale
    errors = api.errors(REPORT, {"input": {"flow_run_id": run_id, "task_run_states": states,
                                           "logs": [_log(children[0], "not stored")]}})
    assert "version" in errors[0]["message"]
    assert api.count("task_run_state", {"task_run_id": {"_eq": children[0]["id"]}}) == 1
    assert api.count("log", {"flow_run_id": {"_eq": run_id}}) == 0


@pytest.mark.parametrize(("states", "logs", "expected"), [
    ({"not": "a list"}, None, "task_run_states must be a JSON list of objects"),
    ([{"task_run_id": "x", "state": {"type": "Running"}, "colour": 1}], None, "unknown keys"),
    ([{"state": {"type": "Running"}}], None, "needs a task_run_id"),
    ([{"task_run_id": "CHILD", "version": "2", "state": {"type": "Running"}}], None,
     "version must be a whole number"),
    ([{"task_run_id": "CHILD", "version": 1, "state": "Running"}], None,
     "state must be a state object"),
    (None, [{"message": "x", "timestamp": "yesterday"}], "timestamp must be an ISO 8601"),
    (None, [{"message": 3}], "logs[1].message must be a string"),
    (None, [{"message": "x", "flow_run_id": "00000000-0000-0000-0000-000000000001"}],
     "send it in that run's report"),
    (None, [{"message": "x", "level": "LOUD"}], "Unknown log level"),
])
def test_bad_input_is_refused_with_the_item_named_and_nothing_stored(
    api, make_flow, states, logs, expected
):
    run_id, children = _running_run_with_children(api, make_flow, count=1)
    if isinstance(states, list):
        states = [{**item, "task_run_id": children[0]["id"]}
                  if item.get("task_run_id") == "CHILD" else item for item in states]
    good_log = _log(children[0], "before the bad item")
    errors = api.errors(REPORT, {"input": {"flow_run_id": run_id, "task_run_states": states,
                                           "logs": [good_log, *(logs or [])]}})
    assert expected in errors[0]["message"], errors
    assert api.count("log", {"flow_run_id": {"_eq": run_id}}) == 0
    assert api.count("task_run_state", {"task_run_id": {"_eq": children[0]["id"]}}) == 1


def test_a_task_run_of_another_flow_run_is_refused(api, make_flow):
    run_id, _ = _running_run_with_children(api, make_flow, count=1)
    _, others = _running_run_with_children(api, make_flow, count=1)
    errors = api.errors(REPORT, {"input": {"flow_run_id": run_id,
                                           "task_run_states": _states(others[0])}})
    assert "report its states with its own flow run" in errors[0]["message"]
    assert api.count("task_run_state", {"task_run_id": {"_eq": others[0]["id"]}}) == 1


def _running_run(api, make_flow) -> tuple[str, str]:
    """A running flow run and the id of its mapped task (no children yet)."""
    flow_id = api.register(make_flow())
    run_id = api.create_flow_run(flow_id)
    task_id = api.rows("task", {"flow_id": {"_eq": flow_id}, "slug": {"_eq": "load-1"}},
                       "id")[0]["id"]
    assert "errors" not in api.set_flow_run_state(run_id, {"type": "Running"}).json()
    return run_id, task_id


def _new_children(task_id: str, count: int) -> list[dict]:
    return [{"id": str(uuid.uuid4()), "task_id": task_id, "map_index": i} for i in range(count)]


def test_a_report_creates_new_children_with_their_states_and_logs(api, make_flow):
    run_id, task_id = _running_run(api, make_flow)
    children = _new_children(task_id, 3)
    report = {"flow_run_id": run_id, "new_task_runs": children,
              "task_run_states": [item for child in children
                                  for item in _states({**child, "version": 1})],
              "logs": [_log(child, f"child {child['map_index']}") for child in children]}
    answer = api.query(REPORT_CHILDREN, {"input": report})
    assert answer["write_run_report"] == {"task_run_states": 6, "logs": 3, "new_task_runs": 3}
    stored = api.rows("task_run", {"flow_run_id": {"_eq": run_id}, "map_index": {"_gte": 0}},
                      "id map_index state version start_time end_time task { id } "
                      "states(order_by: {version: asc}) { state message version }",
                      order_by={"map_index": "asc"})
    assert [(r["id"], r["map_index"]) for r in stored] == [(c["id"], c["map_index"])
                                                          for c in children]
    for run in stored:
        assert run["task"]["id"] == task_id
        assert run["state"] == "Success" and run["version"] == 3
        assert run["start_time"] and run["end_time"]
        assert [(s["state"], s["version"]) for s in run["states"]] == [
            ("Pending", 1), ("Running", 2), ("Success", 3)]
        assert run["states"][0]["message"] == "Task run created"
    lines = api.rows("log", {"flow_run_id": {"_eq": run_id}}, "message task_run_id",
                     order_by={"message": "asc"})
    assert [line["task_run_id"] for line in lines] == [c["id"] for c in children]

    # the same report again (its answer was lost): the children are not created twice, and
    # the states, now stale, are refused
    errors = api.errors(REPORT_CHILDREN, {"input": report})
    assert "version" in errors[0]["message"]
    assert api.count("task_run", {"flow_run_id": {"_eq": run_id},
                                  "map_index": {"_gte": 0}}) == 3
    # a later report names them by id, as any task run
    again = {"flow_run_id": run_id, "new_task_runs": children[:1], "task_run_states": [],
             "logs": [_log(children[0], "later")]}
    assert api.query(REPORT_CHILDREN, {"input": again})["write_run_report"]["new_task_runs"] == 0


def test_children_without_states_are_created_pending(api, make_flow):
    run_id, task_id = _running_run(api, make_flow)
    children = _new_children(task_id, 2)
    answer = api.query(REPORT_CHILDREN, {"input": {"flow_run_id": run_id,
                                                   "new_task_runs": children}})
    assert answer["write_run_report"]["new_task_runs"] == 2
    stored = api.rows("task_run", {"flow_run_id": {"_eq": run_id}, "map_index": {"_gte": 0}},
                      "state version")
    assert stored == [{"state": "Pending", "version": 1}] * 2


def test_a_child_that_exists_under_another_id_is_refused_and_nothing_stored(api, make_flow):
    run_id, existing = _running_run_with_children(api, make_flow, count=2)
    task_id = api.rows("task_run", {"id": {"_eq": existing[0]["id"]}}, "task_id")[0]["task_id"]
    children = _new_children(task_id, 3)  # indices 0 and 1 exist already
    errors = api.errors(REPORT_CHILDREN, {"input": {
        "flow_run_id": run_id, "new_task_runs": children,
        "logs": [_log(None, "not stored")]}})
    assert "exists already" in errors[0]["message"]
    assert existing[0]["id"] in errors[0]["message"]
    assert api.count("task_run", {"flow_run_id": {"_eq": run_id},
                                  "map_index": {"_gte": 0}}) == 2
    assert api.count("log", {"flow_run_id": {"_eq": run_id}}) == 0


@pytest.mark.parametrize(("child", "expected"), [
    ({"id": "not-a-uuid"}, "must be a new UUID"),
    ({"id": "ABCDEF00-0000-4000-8000-000000000000"}, "must be a new UUID"),
    ({"map_index": -1}, "map_index must be a mapped child's index"),
    ({"map_index": True}, "map_index must be a mapped child's index"),
    ({"task_id": 7}, "task_id must be a task's id"),
    ({"colour": "red"}, "must have exactly the keys"),
])
def test_bad_new_children_are_refused_with_the_item_named(api, make_flow, child, expected):
    run_id, task_id = _running_run(api, make_flow)
    item = {**_new_children(task_id, 1)[0], **child}
    errors = api.errors(REPORT_CHILDREN, {"input": {"flow_run_id": run_id,
                                                    "new_task_runs": [item]}})
    assert expected in errors[0]["message"], errors
    assert "new_task_runs[0]" in errors[0]["message"]
    assert api.count("task_run", {"flow_run_id": {"_eq": run_id},
                                  "map_index": {"_gte": 0}}) == 0


def test_new_children_repeating_an_index_an_id_or_taking_another_runs_id_are_refused(
    api, make_flow
):
    run_id, task_id = _running_run(api, make_flow)
    child = _new_children(task_id, 1)[0]
    twice = [child, {**child, "id": str(uuid.uuid4())}]
    errors = api.errors(REPORT_CHILDREN, {"input": {"flow_run_id": run_id,
                                                    "new_task_runs": twice}})
    assert "list each new child once" in errors[0]["message"]
    other_run, others = _running_run_with_children(api, make_flow, count=1)
    taken = {**child, "id": others[0]["id"]}
    errors = api.errors(REPORT_CHILDREN, {"input": {"flow_run_id": run_id,
                                                    "new_task_runs": [taken]}})
    assert "is taken by another task run" in errors[0]["message"]
    assert api.count("task_run", {"flow_run_id": {"_eq": run_id},
                                  "map_index": {"_gte": 0}}) == 0


def test_a_child_of_a_task_of_another_flow_is_refused(api, make_flow):
    run_id, _ = _running_run(api, make_flow)
    _, other_task = _running_run(api, make_flow)
    other_flow_task = api.rows("task", {"id": {"_eq": other_task}}, "flow_id")[0]
    assert other_flow_task
    errors = api.errors(REPORT_CHILDREN, {"input": {
        "flow_run_id": run_id, "new_task_runs": _new_children(other_task, 1)}})
    assert "belongs to flow" in errors[0]["message"]


def test_log_records_keep_the_ids_a_report_gives_them(api, make_flow):
    from prefect_jupyter.client.queries import STORED_LOG_IDS

    run_id, children = _running_run_with_children(api, make_flow, count=1)
    ids = [str(uuid.uuid4()) for _ in range(2)]
    logs = [{**_log(children[0], f"line {n}"), "id": log_id} for n, log_id in enumerate(ids)]
    api.query(REPORT, {"input": {"flow_run_id": run_id, "logs": logs}})
    # what a runner asks after a lost answer: which of its records are stored
    found = api.query(STORED_LOG_IDS, {"ids": [*ids, str(uuid.uuid4())]})["log"]
    assert sorted(row["id"] for row in found) == sorted(ids)
    errors = api.errors(REPORT, {"input": {"flow_run_id": run_id,
                                           "logs": [{**_log(None, "x"), "id": "not-a-uuid"}]}})
    assert "logs[0].id must be a new UUID" in errors[0]["message"]
    twice = str(uuid.uuid4())
    errors = api.errors(REPORT, {"input": {"flow_run_id": run_id, "logs": [
        {**_log(None, "a"), "id": twice}, {**_log(None, "b"), "id": twice}]}})
    assert "logs[1].id repeats an earlier record's" in errors[0]["message"]
    # an id stored already (a report sent again without asking first): refused, nothing stored
    errors = api.errors(REPORT, {"input": {"flow_run_id": run_id, "logs": [
        {**_log(None, "new line"), "id": str(uuid.uuid4())}, {**_log(None, "again"), "id": ids[0]}]}})
    assert "A log record's id is taken" in errors[0]["message"]
    assert api.count("log", {"flow_run_id": {"_eq": run_id}}) == 2


def test_a_scheduled_state_without_a_time_is_due_when_written_each_time(api, make_flow):
    # plain states are parsed once per type and message; one whose time is "now" is not
    import time

    run_id, children = _running_run_with_children(api, make_flow, count=2)
    starts = []
    for child in children:
        item = {"task_run_id": child["id"], "version": child["version"],
                "state": {"type": "Scheduled", "message": "later"}}
        api.query(REPORT, {"input": {"flow_run_id": run_id, "task_run_states": [item]}})
        starts.append(api.rows("task_run", {"id": {"_eq": child["id"]}},
                               "state_start_time")[0]["state_start_time"])
        time.sleep(0.01)
    assert starts[0] and starts[1] and starts[0] != starts[1]
