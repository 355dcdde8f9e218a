"""Concurrent writers: registrations, state writes and task-run creation racing each other in
threads, each in its own transaction (as concurrent requests are)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from prefect_jupyter.engine.state import Running
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.api import flows, states, task_runs
from prefect_jupyter.server.database.models import Flow, TaskRun
from prefect_jupyter.server.errors import StaleVersion


def race(n: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` in ``n`` threads released together; (results, exceptions)."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results.append(work(i))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertions
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


def test_concurrent_registrations_get_distinct_versions(app, api, make_flow):
    database = app.state.database
    project_id = api.create_project()
    flow = make_flow()

    def register(i: int) -> str:
        with database.write_session() as session:
            return flows.create_flow(session, flow, project_id, idempotency_key=f"key-{i}")

    ids, errors = race(6, register)
    assert errors == []
    with database.read_session() as session:
        rows = session.execute(
            select(Flow.version, Flow.archived).where(Flow.project_id == project_id)
        ).all()
    assert sorted(v for v, _ in rows) == [1, 2, 3, 4, 5, 6]
    assert [v for v, archived in rows if not archived] == [6]


def test_concurrent_writers_with_the_same_version_one_wins(app, api, make_flow):
    database = app.state.database
    run_id = api.create_flow_run(api.register(make_flow()))
    state = state_to_dict(Running())

    def write(_: int) -> str:
        with database.write_session() as session:
            return states.set_states(session, "flow_run", [
                {"flow_run_id": run_id, "version": 1, "state": state}
            ])[0]["status"]

    results, errors = race(4, write)
    assert results == ["SUCCESS"]
    assert len(errors) == 3 and all(isinstance(e, StaleVersion) for e in errors)
    assert api.flow_run(run_id) == {"state": "Running", "version": 2}


def test_concurrent_requests_for_a_new_mapped_child_get_one_task_run(app, api, make_flow):
    database = app.state.database
    flow_id = api.register(make_flow())
    run_id = api.create_flow_run(flow_id)
    task_id = api.rows("task", {"flow_id": {"_eq": flow_id}}, "id")[0]["id"]

    def child(_: int) -> str:
        with database.write_session() as session:
            return task_runs.get_or_create_task_run_info(session, run_id, task_id, 7)["id"]

    ids, errors = race(5, child)
    assert errors == [] and len(set(ids)) == 1
    with database.read_session() as session:
        count = len(session.execute(
            select(TaskRun.id).where(TaskRun.flow_run_id == run_id, TaskRun.map_index == 7)
        ).all())
    assert count == 1
