"""Faults the agent and its flow runs survive: a server restart mid-run, many agents racing for
the same runs (SQLite and PostgreSQL). Real server, agent and flow-run processes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import agent_flows
import pytest
from agent_support import AgentProcess, flow_run, history, task_run, wait_finished, wait_for

from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess

PG_ENV = "PREFECT_JUPYTER_TEST_DATABASE_URL"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:51039/prefect_jupyter_test"


@pytest.mark.slow
def test_a_server_restart_mid_run_loses_nothing(tmp_path):
    labels = ["restart"]
    with ServerProcess(database_url=f"sqlite:///{tmp_path / 'server.db'}") as server:
        client = Client(api_server=server.graphql_url, backoff=0.05)
        client.create_project("faults")
        flow_id = client.register(agent_flows.napping_flow(), project_name="faults",
                                  labels=labels, no_url=True)
        run_id = client.create_flow_run(flow_id, parameters={"seconds": 3.0})
        with AgentProcess(server.url, labels) as agent:
            wait_for(lambda: task_run(flow_run(client, run_id), "nap")["state"] == "Running",
                     30, "the nap task to be Running", agents=[agent])
            server.restart()  # the nap goes on meanwhile; its end is reported to the new server
            run = wait_finished(client, run_id, timeout=60, agents=[agent])
            output = agent.output()
    assert run["state"] == "Success", output
    assert history(run) == ["Scheduled", "Submitted", "Running", "Success"]
    assert all(history(t) == ["Pending", "Running", "Success"] for t in run["task_runs"]), run
    assert any(log["message"] == "saying goodbye" for log in run["logs"])


CHILDREN = """query($id: uuid!) {
  children: task_run_aggregate(where: {flow_run_id: {_eq: $id}, map_index: {_gte: 0}}) {
    aggregate { count } }
  succeeded: task_run_aggregate(where: {flow_run_id: {_eq: $id}, map_index: {_gte: 0},
                                        state: {_eq: "Success"}}) { aggregate { count } }
  states: task_run_state_aggregate(where: {task_run: {flow_run_id: {_eq: $id},
                                                      map_index: {_gte: 0}}}) {
    aggregate { count } }
  logs: log_aggregate(where: {flow_run_id: {_eq: $id}, message: {_like: "Task 'tick[%"}}) {
    aggregate { count } }
  flow_run_by_pk(id: $id) { state }
}"""


@pytest.mark.slow
def test_a_server_restart_while_a_map_is_reported_stores_every_child_once(tmp_path):
    """Reports in flight (two at once) when the server goes away: each is sent again, or
    found stored, and nothing is lost or stored twice."""
    n = 3000
    with ServerProcess(database_url=f"sqlite:///{tmp_path / 'server.db'}") as server:
        client = Client(api_server=server.graphql_url, backoff=0.05)
        client.create_project("faults")
        flow_id = client.register(agent_flows.ticking_map_flow(), project_name="faults",
                                  labels=["map-restart"], no_url=True)
        run_id = client.create_flow_run(flow_id, parameters={"n": n})

        def counts() -> dict[str, Any]:
            data = client.graphql(CHILDREN, {"id": run_id})["data"]
            return {k: v["aggregate"]["count"] for k, v in data.items() if k != "flow_run_by_pk"} \
                | {"state": data["flow_run_by_pk"]["state"]}

        with AgentProcess(server.url, ["map-restart"]) as agent:
            wait_for(lambda: counts()["children"] > 0, 60, "the first mapped children",
                     agents=[agent])
            server.restart()  # the children go on; their reports wait for the new server
            assert counts()["children"] < n  # (3,000 children sleep 3 s: the map is not done)
            final = wait_for(lambda: (c := counts())["state"] in ("Success", "Failed") and c,
                             120, "the map to finish", every=0.5, agents=[agent])
            output = agent.output()
    assert final == {"children": n, "succeeded": n, "states": 3 * n, "logs": 2 * n,
                     "state": "Success"}, output


def run_many(server_url: str, graphql_url: str, out_dir: Path, n_runs: int, n_agents: int,
             concurrency: int) -> None:
    """Queue ``n_runs`` runs, let ``n_agents`` agents race for them, check each ran once."""
    labels = [f"race-{uuid.uuid4().hex[:6]}"]
    client = Client(api_server=graphql_url, backoff=0.05)
    project = f"race-{uuid.uuid4().hex[:6]}"
    client.create_project(project)
    flow_id = client.register(agent_flows.marking_flow(), project_name=project, labels=labels,
                              no_url=True)
    run_ids = [client.create_flow_run(flow_id, parameters={"out_dir": str(out_dir)})
               for _ in range(n_runs)]
    # every other agent forks its runs from a warm process: both kinds race for the same runs
    agents = [AgentProcess(server_url, labels, concurrency=concurrency, poll_interval=0.1,
                           name=f"agent-{i}", extra_args=["--warm-start"] if i % 2 else [])
              for i in range(n_agents)]
    try:
        for agent in agents:
            agent.start()

        def all_finished() -> bool:
            data = client.graphql(
                "query($ids: [uuid!]) { flow_run(where: {id: {_in: $ids}}) { state } }",
                {"ids": run_ids},
            )["data"]["flow_run"]
            return all(r["state"] in ("Success", "Failed") for r in data)

        wait_for(all_finished, 240 + 2 * n_runs, f"{n_runs} runs to finish", every=0.5, agents=agents)
    finally:
        for agent in agents:
            agent.stop()
    outputs = [agent.output() for agent in agents]
    for run_id in run_ids:
        run = flow_run(client, run_id)
        assert run["state"] == "Success", run
        assert history(run).count("Submitted") == 1 and history(run).count("Running") == 1, run
        assert len((out_dir / run_id).read_text().splitlines()) == 1, run_id
    deployed = sum(out.count("Deploying flow run") for out in outputs)
    assert deployed == n_runs
    assert sum(1 for out in outputs if "Deploying flow run" in out) >= 2  # the work was shared


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_several_agents_on_one_sqlite_server_run_every_run_exactly_once(agent_server, tmp_path):
    run_many(agent_server.url, agent_server.graphql_url, tmp_path, n_runs=500, n_agents=4,
             concurrency=2)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database of its own (dropped afterwards)."""
    base = os.environ.get(PG_ENV) or PG_DEFAULT
    psycopg = pytest.importorskip("psycopg")
    libpq = base.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"pj_agents_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(libpq, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"No PostgreSQL at {base} (set {PG_ENV}): {exc}")
    yield base.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(1500)
def test_several_agents_on_one_postgres_server_run_every_run_exactly_once(
    postgres_database, tmp_path
):
    with ServerProcess(database_url=postgres_database) as server:
        run_many(server.url, server.graphql_url, tmp_path, n_runs=500, n_agents=4, concurrency=2)
