"""The services inside real server processes: started by ``serve()``, configured through the
environment, surviving restarts, shared by two servers on one PostgreSQL database."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from prefect_jupyter.client import Client
from prefect_jupyter.engine import state as s
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.schedules import IntervalSchedule
from prefect_jupyter.serialization.schedule import schedule_to_dict
from prefect_jupyter.server.process import ServerProcess
from prefect_jupyter.utilities.graphql import compress

# each test starts a server process or two (seconds each on a busy machine)
pytestmark = pytest.mark.slow

ENV = "PREFECT_JUPYTER__SERVER__SERVICES__"
FAST_SCHEDULER = {f"{ENV}SCHEDULER__LOOP_SECONDS": "0.1", f"{ENV}ZOMBIE_KILLER__ENABLED": "false",
                  f"{ENV}LAZARUS__ENABLED": "false"}
FAST_REAPERS = {f"{ENV}HEARTBEAT_WINDOW": "1.0", f"{ENV}ZOMBIE_KILLER__LOOP_SECONDS": "0.1",
                f"{ENV}LAZARUS__LOOP_SECONDS": "0.1", f"{ENV}LAZARUS__RESURRECTION_ATTEMPT_LIMIT": "1",
                f"{ENV}SCHEDULER__ENABLED": "false"}
# every minute: the next ten runs all lie in the future
EVERY_MINUTE = schedule_to_dict(IntervalSchedule(interval=datetime.timedelta(minutes=1)))


def mutate(client: Client, name: str, payload: dict[str, Any], fields: str = "success") -> Any:
    query = f"mutation($input: {name}_input!) {{ {name}(input: $input) {{ {fields} }} }}"
    return client.graphql(query, {"input": payload})["data"][name]


def register(client: Client, flow: dict[str, Any]) -> str:
    project = mutate(client, "create_project", {"name": f"p-{uuid.uuid4().hex[:8]}"}, "id")["id"]
    return mutate(client, "create_flow_from_compressed_string",
                  {"serialized_flow": compress(flow), "project_id": project}, "id")["id"]


def auto_runs(client: Client, flow_id: str) -> list[str]:
    rows = client.graphql(
        "query($id: uuid!) { flow_run(where: {flow_id: {_eq: $id}, auto_scheduled: {_eq: true}})"
        " { scheduled_start_time } }", {"id": flow_id},
    )["data"]["flow_run"]
    return sorted(r["scheduled_start_time"] for r in rows)


def wait_for(what: Callable[[], Any], timeout: float = 15.0, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {message}"
        time.sleep(0.05)


def test_a_restarted_server_keeps_ten_runs_ahead_without_duplicates(tmp_path, make_flow):
    database = f"sqlite:///{tmp_path / 'server.db'}"
    with ServerProcess(database_url=database, env=FAST_SCHEDULER) as server:
        client = Client(api_server=server.graphql_url, backoff=0.05)
        flow_id = register(client, make_flow(schedule=EVERY_MINUTE))
        first = wait_for(lambda: len(auto_runs(client, flow_id)) == 10 and auto_runs(client, flow_id),
                         message="ten scheduled runs")
        server.restart()
        time.sleep(0.5)  # several passes of the new process's scheduler
        after = auto_runs(client, flow_id)
    assert len(set(after)) == len(after)
    assert after[: len(first)] == first or after[0] > first[0]  # a minute may have passed
    assert len(after) in (10, 11)


def test_services_off_schedule_nothing(tmp_path, make_flow):
    database = f"sqlite:///{tmp_path / 'server.db'}"
    with ServerProcess(database_url=database, env=FAST_SCHEDULER, services=False) as server:
        client = Client(api_server=server.graphql_url, backoff=0.05)
        flow_id = register(client, make_flow(schedule=EVERY_MINUTE))
        time.sleep(0.5)
        assert auto_runs(client, flow_id) == []


def test_a_dead_run_is_failed_or_rescheduled_by_the_server_itself(tmp_path, make_flow):
    database = f"sqlite:///{tmp_path / 'server.db'}"
    with ServerProcess(database_url=database, env=FAST_REAPERS) as server:
        client = Client(api_server=server.graphql_url, backoff=0.05)
        run_id = mutate(client, "create_flow_run",
                        {"flow_id": register(client, make_flow(tasks=["work", "more"]))}, "id")["id"]

        def set_state(table: str, run: str, state: s.State) -> None:
            mutate(client, f"set_{table}_states",
                   {"states": [{f"{table}_id": run, "state": state_to_dict(state)}]},
                   "states { status }")

        def run_row() -> dict[str, Any]:
            return client.graphql(
                "query($id: uuid!) { flow_run_by_pk(id: $id) { state state_message "
                "times_resurrected task_runs(order_by: {task: {slug: asc}}) { state state_message } } }",
                {"id": run_id},
            )["data"]["flow_run_by_pk"]

        set_state("flow_run", run_id, s.Running())
        work = client.graphql(
            'query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}, task: {name: {_eq: "work"}}})'
            " { id } }", {"id": run_id})["data"]["task_run"][0]["id"]
        set_state("task_run", work, s.Running())
        # nobody beats: within the window the task is failed, then the flow run rescheduled
        run = wait_for(lambda: run_row()["state"] == "Scheduled" and run_row(),
                       message="the run to be rescheduled")
        assert run["times_resurrected"] == 1
        assert run["task_runs"][1] == {
            "state": "Failed",
            "state_message": "No heartbeat detected from the remote task; marking the run as failed."}
        assert run["task_runs"][0]["state"] == "Pending"
        set_state("flow_run", run_id, s.Running())  # an agent takes it, and dies too
        run = wait_for(lambda: run_row()["state"] == "Failed" and run_row(),
                       message="Lazarus to give up")
    assert run["state_message"] == (
        "A Lazarus process attempted to reschedule this run 1 times without success. "
        "Marking as failed.")


@pytest.mark.postgres
def test_two_servers_on_one_postgres_database_schedule_each_run_once(postgres_url, make_flow):
    with ServerProcess(database_url=postgres_url, env=FAST_SCHEDULER) as one:
        client = Client(api_server=one.graphql_url, backoff=0.05)
        flow_ids = [register(client, make_flow(schedule=EVERY_MINUTE)) for _ in range(5)]
        with ServerProcess(database_url=postgres_url, env=FAST_SCHEDULER):
            time.sleep(1.5)  # both schedulers pass over the same flows many times
        for flow_id in flow_ids:
            runs = auto_runs(client, flow_id)
            assert len(runs) in (10, 11) and len(set(runs)) == len(runs), runs
