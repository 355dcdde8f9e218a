"""Spooled reports: what a reporter could not send is written to disk in order, and delivered
to the right server later, once, with a log line with the run — against a real server."""

from __future__ import annotations

import fcntl
import json
import logging
import os
from typing import Any

from prefect_jupyter import Flow, task
from prefect_jupyter.backend.api import BackendAPI
from prefect_jupyter.backend.execution import execute_flow_run
from prefect_jupyter.backend.logs import shipping_logs
from prefect_jupyter.backend.reporter import RunReporter, TaskRunRef
from prefect_jupyter.backend.spool import deliver_spools, write_spool
from prefect_jupyter.client import Client
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.engine.state import Running
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.executors import LocalExecutor
from prefect_jupyter.server.process import free_port
from prefect_jupyter.utilities.configuration import set_temporary_config

RUN = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    state states(order_by: {version: asc}) { state }
    task_runs(order_by: [{task: {slug: asc}}, {map_index: asc}]) {
      map_index task { name } states(order_by: {version: asc}) { state }
    }
    logs(order_by: {timestamp: asc}) { message level }
  }
}
"""


@task
def numbers() -> list[int]:
    return [1, 2, 3]


@task
def triple(x: int) -> int:
    logging.getLogger("prefect_jupyter.triple").info("tripling %s", x)
    return 3 * x


def spooled_run(client: Client, project_name: str, directory: Any) -> tuple[str, Any]:
    """A run whose reporter could not reach any server: its reports spooled for ``client``'s."""
    with Flow("spooled") as flow:
        triple.map(numbers())
    flow_id = client.register(flow, project_name=project_name, no_url=True)
    run_id = client.create_flow_run(flow_id)
    api = BackendAPI(client)
    run = api.flow_run(run_id)
    api.set_flow_run_state(run_id, state_to_dict(Running()), run["version"])
    nowhere = Client(api_server=f"http://127.0.0.1:{free_port()}/graphql", max_attempts=1)
    reporter = RunReporter(
        BackendAPI(nowhere), run_id, flow,
        {(tr["task"]["slug"], -1): TaskRunRef(tr["id"], tr["version"]) for tr in run["task_runs"]},
        {t["slug"]: t["id"] for t in run["flow"]["tasks"]}, run["version"] + 1,
        flush_interval=0.05, heartbeat_interval=0, retry_budget=0.3, max_backoff=0.05,
    )
    with reporter, shipping_logs(reporter):
        FlowRunner(flow, observers=[reporter]).run(
            executor=LocalExecutor(), task_contexts=reporter.task_contexts())
    assert not reporter.close(0)
    return run_id, write_spool(reporter, client.api_server, directory)


def read(client: Client, run_id: str) -> dict[str, Any]:
    return client.graphql(RUN, {"id": run_id})["data"]["flow_run_by_pk"]


def test_a_spool_keeps_the_writes_in_order_with_the_final_state_last(server_client, project_name,
                                                                     tmp_path):
    run_id, path = spooled_run(server_client, project_name, tmp_path)
    data = json.loads(path.read_text())
    assert path.name == f"{run_id}.json" and data["api_server"] == server_client.api_server
    seqs = [w["seq"] for w in data["writes"]]
    assert seqs == sorted(seqs)
    states = [w for w in data["writes"] if w["kind"] == "state"]
    assert states[-1]["key"] is None and states[-1]["state"]["type"] == "Success"
    assert sum(w["kind"] == "log" and "tripling" in w["record"]["message"]
               for w in data["writes"]) == 3


def test_delivery_stores_everything_once_and_says_so_in_the_runs_log(server_client, project_name,
                                                                     tmp_path):
    run_id, path = spooled_run(server_client, project_name, tmp_path)
    api = BackendAPI(server_client)
    [delivery] = deliver_spools(api, server_client.api_server, directory=tmp_path)
    assert delivery.delivered and delivery.refusals == [] and not path.exists()
    assert deliver_spools(api, server_client.api_server, directory=tmp_path) == []
    run = read(server_client, run_id)
    assert run["state"] == "Success"
    assert [s["state"] for s in run["states"]][-2:] == ["Running", "Success"]
    for task_run in run["task_runs"]:
        mapped = task_run["task"]["name"] == "triple" and task_run["map_index"] == -1
        final = "Mapped" if mapped else "Success"
        assert [s["state"] for s in task_run["states"]][-1] == final, task_run
    assert len(run["task_runs"]) == 2 + 3  # numbers, triple and its three children
    messages = [log["message"] for log in run["logs"]]
    assert sorted(m for m in messages if m.startswith("tripling")) == [
        "tripling 1", "tripling 2", "tripling 3"]
    assert any("arrived late" in m for m in messages)


def test_spools_of_another_server_or_held_by_another_process_are_left_alone(
    server_client, project_name, tmp_path
):
    run_id, path = spooled_run(server_client, project_name, tmp_path)
    api = BackendAPI(server_client)
    assert deliver_spools(api, "http://127.0.0.1:1/graphql", directory=tmp_path) == []
    fd = os.open(tmp_path / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another agent is delivering
        assert deliver_spools(api, server_client.api_server, directory=tmp_path) == []
    finally:
        os.close(fd)
    assert path.exists() and read(server_client, run_id)["state"] == "Running"


def test_a_run_cancelled_meanwhile_gets_its_history_and_a_warning_not_a_final_state(
    server_client, project_name, tmp_path
):
    run_id, path = spooled_run(server_client, project_name, tmp_path)
    server_client.cancel_flow_run(run_id)
    [delivery] = deliver_spools(BackendAPI(server_client), server_client.api_server,
                                directory=tmp_path)
    assert delivery.delivered and not path.exists()
    run = read(server_client, run_id)
    assert run["state"] == "Cancelling"
    assert any("cancelled meanwhile" in r for r in delivery.refusals)
    warnings = [log["message"] for log in run["logs"] if log["level"] == "WARNING"]
    assert any("cancelled meanwhile" in w and "Success" in w for w in warnings), warnings


def test_the_next_run_process_of_the_run_delivers_its_spool_first(server_client, project_name,
                                                                  tmp_path, caplog):
    run_id, path = spooled_run(server_client, project_name, tmp_path)
    with set_temporary_config({"cloud.agent.spool_dir": str(tmp_path)}):
        assert execute_flow_run(run_id, client=server_client) is None  # nothing left to run
    assert not path.exists()
    run = read(server_client, run_id)
    assert [s["state"] for s in run["states"]][-2:] == ["Running", "Success"]
    assert sum(m["message"].startswith("tripling") for m in run["logs"]) == 3
    assert "is Success already; not running it again" in caplog.text


def test_a_file_that_is_not_a_spool_is_set_aside_not_retried_forever(server_client, tmp_path,
                                                                     caplog):
    (tmp_path / "not-a-run.json").write_text("{ half a file")
    assert deliver_spools(BackendAPI(server_client), server_client.api_server,
                          directory=tmp_path) == []
    assert (tmp_path / "not-a-run.unreadable").exists()
    assert "can't be read" in caplog.text and "set aside" in caplog.text
