"""write_run_report: a batch of one flow run's task-run states and log records, one transaction.

Parametrized over SQLite and PostgreSQL by the ``database_url`` fixture (tests/server/conftest.py).
"""

from __future__ import annotations

import pytest

REPORT = """mutation($input: write_run_report_input!) {
  write_run_report(input: $input) { task_run_states logs } }"""
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
