"""create_mapped_task_runs: a mapped task's children found or created in one request.

Parametrized over SQLite and PostgreSQL by the ``database_url`` fixture (tests/server/conftest.py).
"""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from prefect_jupyter.server.api import task_runs
from prefect_jupyter.server.database.models import TaskRun, TaskRunState
from prefect_jupyter.utilities.configuration import set_temporary_config

CREATE = """mutation($input: create_mapped_task_runs_input!) {
  create_mapped_task_runs(input: $input) { task_runs { map_index id version } } }"""


def _run_and_task(api, make_flow) -> tuple[str, str]:
    flow_id = api.register(make_flow())
    run_id = api.create_flow_run(flow_id)
    task_id = api.rows("task", {"flow_id": {"_eq": flow_id}, "slug": {"_eq": "load-1"}}, "id")[0]["id"]
    return run_id, task_id


def _create(api, **inputs) -> list[dict]:
    return api.query(CREATE, {"input": inputs})["create_mapped_task_runs"]["task_runs"]


def test_children_are_created_pending_with_one_history_row_each(api, make_flow):
    run_id, task_id = _run_and_task(api, make_flow)
    runs = _create(api, flow_run_id=run_id, task_id=task_id, count=300)
    assert [r["map_index"] for r in runs] == list(range(300))
    assert {r["version"] for r in runs} == {1} and len({r["id"] for r in runs}) == 300
    stored = api.rows("task_run", {"flow_run_id": {"_eq": run_id}, "map_index": {"_gte": 0}},
                      "id map_index state version states { state version }",
                      order_by={"map_index": "asc"})
    assert [(s["id"], s["map_index"]) for s in stored] == [(r["id"], r["map_index"]) for r in runs]
    assert all(s["state"] == "Pending" and s["states"] == [{"state": "Pending", "version": 1}]
               for s in stored)


def test_existing_children_are_returned_as_they_are_and_only_missing_ones_created(api, make_flow):
    run_id, task_id = _run_and_task(api, make_flow)
    first = _create(api, flow_run_id=run_id, task_id=task_id, map_indices=[4, 2])
    child_2 = first[1]["id"]
    api.set_task_run_state(child_2, {"type": "Scheduled", "message": "moved on"}, version=1)
    again = _create(api, flow_run_id=run_id, task_id=task_id, map_indices=[1, 2, 3, 4])
    assert [r["map_index"] for r in again] == [1, 2, 3, 4]
    assert again[1] == {"map_index": 2, "id": child_2, "version": 2}
    assert again[3]["id"] == first[0]["id"]
    assert api.count("task_run", {"flow_run_id": {"_eq": run_id}, "map_index": {"_gte": 0}}) == 4
    assert api.count("task_run_state", {"task_run_id": {"_eq": child_2}}) == 2


def test_bad_input_is_refused_before_anything_is_written(api, make_flow):
    run_id, task_id = _run_and_task(api, make_flow)
    cases = [
        ({"map_indices": [0, -1]}, "map_indices must all be 0 or more"),
        ({"map_indices": []}, "map_indices is empty"),
        ({}, "Give either map_indices"),
        ({"map_indices": [1], "count": 1}, "not both"),
        ({"count": 0}, "count must be 1 or more"),
    ]
    for extra, message in cases:
        errors = api.errors(CREATE, {"input": {"flow_run_id": run_id, "task_id": task_id, **extra}})
        assert message in errors[0]["message"], (extra, errors)
    other_task = api.rows("task", {"flow_id": {"_eq": api.register(make_flow())}}, "id")[0]["id"]
    errors = api.errors(CREATE, {"input": {"flow_run_id": run_id, "task_id": other_task, "count": 2}})
    assert "belongs to flow" in errors[0]["message"]
    missing = str(uuid.uuid4())
    errors = api.errors(CREATE, {"input": {"flow_run_id": missing, "task_id": task_id, "count": 2}})
    assert errors[0]["message"].startswith(f"Flow run {missing} not found")
    assert api.count("task_run", {"flow_run_id": {"_eq": run_id}, "map_index": {"_gte": 0}}) == 0


def test_more_children_than_a_list_may_hold_is_a_query_limit(api, make_flow):
    run_id, task_id = _run_and_task(api, make_flow)
    with set_temporary_config({"server.graphql.max_list_rows": 50}):
        errors = api.errors(CREATE, {"input": {"flow_run_id": run_id, "task_id": task_id,
                                               "count": 51}})
        assert errors[0]["extensions"]["limit"] == "server.graphql.max_list_rows"
        assert api.count("task_run", {"flow_run_id": {"_eq": run_id}, "map_index": {"_gte": 0}}) == 0
        assert len(_create(api, flow_run_id=run_id, task_id=task_id, count=50)) == 50


def test_concurrent_bulk_creations_of_overlapping_children_make_each_child_once(app, api, make_flow):
    database = app.state.database
    run_id, task_id = _run_and_task(api, make_flow)
    barrier = threading.Barrier(4)
    answers: list[list[dict]] = []
    errors: list[BaseException] = []

    def create(i: int) -> None:
        barrier.wait()
        try:
            with database.write_session() as session:
                answers.append(task_runs.create_mapped_task_runs(
                    session, run_id, task_id, list(range(i * 50, i * 50 + 200))))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids_by_index: dict[int, set[str]] = {}
    for answer in answers:
        for row in answer:
            ids_by_index.setdefault(row["map_index"], set()).add(row["id"])
    assert sorted(ids_by_index) == list(range(350))
    assert all(len(ids) == 1 for ids in ids_by_index.values())
    with database.read_session() as session:
        runs = session.execute(select(func.count()).select_from(TaskRun).where(
            TaskRun.flow_run_id == run_id, TaskRun.map_index >= 0)).scalar_one()
        history = session.execute(select(func.count()).select_from(TaskRunState).join(
            TaskRun, TaskRun.id == TaskRunState.task_run_id).where(
            TaskRun.flow_run_id == run_id, TaskRun.map_index >= 0)).scalar_one()
    assert runs == 350 and history == 350


def test_a_batch_of_states_for_many_children_is_written_in_order_with_its_history(api, make_flow):
    run_id, task_id = _run_and_task(api, make_flow)
    api.set_flow_run_state(run_id, {"type": "Running"})
    runs = _create(api, flow_run_id=run_id, task_id=task_id, count=200)
    states = []
    for run in runs:
        states.append({"task_run_id": run["id"], "version": 1, "state": {"type": "Running"}})
        states.append({"task_run_id": run["id"], "version": 2,
                       "state": {"type": "Success", "message": f"child {run['map_index']}"}})
    body = api.post_graphql(
        """mutation($input: set_task_run_states_input!) {
             set_task_run_states(input: $input) { states { id status } } }""",
        {"input": {"states": states}},
    ).json()
    assert "errors" not in body, body
    assert len(body["data"]["set_task_run_states"]["states"]) == 400
    stored = api.rows("task_run", {"flow_run_id": {"_eq": run_id}, "map_index": {"_gte": 0}},
                      "map_index state state_message version start_time end_time "
                      "states(order_by: {version: asc}) { state version }",
                      order_by={"map_index": "asc"})
    assert all(s["state"] == "Success" and s["version"] == 3 for s in stored)
    assert [s["state_message"] for s in stored] == [f"child {i}" for i in range(200)]
    assert all(s["start_time"] and s["end_time"] for s in stored)
    assert all([(h["state"], h["version"]) for h in s["states"]]
               == [("Pending", 1), ("Running", 2), ("Success", 3)] for s in stored)


def test_a_stale_state_in_a_batch_writes_nothing_of_the_batch(api, make_flow):
    run_id, task_id = _run_and_task(api, make_flow)
    api.set_flow_run_state(run_id, {"type": "Running"})
    first, second = _create(api, flow_run_id=run_id, task_id=task_id, count=2)
    errors = api.errors(
        """mutation($input: set_task_run_states_input!) {
             set_task_run_states(input: $input) { states { id status } } }""",
        {"input": {"states": [
            {"task_run_id": first["id"], "version": 1, "state": {"type": "Running"}},
            {"task_run_id": second["id"], "version": 5, "state": {"type": "Running"}},
        ]}},
    )
    assert "version" in errors[0]["message"]
    assert {r["version"] for r in api.rows(
        "task_run", {"flow_run_id": {"_eq": run_id}, "map_index": {"_gte": 0}}, "version")} == {1}
