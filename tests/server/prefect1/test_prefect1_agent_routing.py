"""Our agent and a Prefect 1 run: label routing as Prefect Server's, and a run of a Prefect 1
flow is left for a Prefect 1 agent instead of being claimed and failed. Real server process;
the agent runs here with a ``deploy_flow`` that only records (no flow-run processes)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.agent import Agent
from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess
from prefect_jupyter.utilities.graphql import compress

PREFECT1_FLOW = json.loads((Path(__file__).parent / "data" / "mapped_flow.json").read_text())

pytestmark = pytest.mark.slow


class Done:
    stopping = False
    returncode = 0

    def __init__(self, flow_run_id: str) -> None:
        self.flow_run_id = flow_run_id

    def terminate(self, grace: float) -> int:
        return 0

    def describe_exit(self) -> str:
        return "exited with code 0"

    def stderr_tail(self, lines: int = 20) -> str:
        return ""

    def close(self) -> None:
        pass


class RecordingAgent(Agent):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deployed: list[str] = []

    def deploy_flow(self, flow_run: dict[str, Any]) -> Done:
        self.deployed.append(flow_run["id"])
        return Done(flow_run["id"])


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess(services=False) as running:
        yield running


def graphql(server: ServerProcess, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = httpx.post(server.graphql_url, json={"query": query, "variables": variables},
                      timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


def test_our_agent_leaves_prefect1_runs_and_takes_its_own(server, caplog):
    project = f"routing-{uuid.uuid4().hex[:6]}"
    project_id = graphql(server, "mutation($n: String!) { create_project(input: {name: $n}) { id } }",
                         {"n": project})["create_project"]["id"]
    p1_flow_id = graphql(server, """mutation($f: String!, $p: UUID!) {
        create_flow_from_compressed_string(input: {serialized_flow: $f, project_id: $p}) { id } }""",
        {"f": compress(PREFECT1_FLOW), "p": project_id})["create_flow_from_compressed_string"]["id"]
    p1_run = graphql(server, "mutation($f: UUID!) { create_flow_run(input: {flow_id: $f}) { id } }",
                     {"f": p1_flow_id})["create_flow_run"]["id"]

    @task
    def hello() -> str:
        return "hi"

    with Flow("ours-routing") as ours:
        hello()
    client = Client(api_server=server.graphql_url)
    our_flow_id = client.register(ours, project_name=project, labels=["p1"], no_url=True)
    our_run = client.create_flow_run(our_flow_id)

    agent = RecordingAgent(name="ours", labels=["p1"], api=server.url, poll_interval=0.01)
    with caplog.at_level(logging.INFO, logger="prefect_jupyter.agent"):
        agent.run_once()
        agent.run_once()
    assert agent.deployed == [our_run]
    state = graphql(server, "query($id: uuid!) { flow_run_by_pk(id: $id) { state labels } }",
                    {"id": p1_run})["flow_run_by_pk"]
    assert state == {"state": "Scheduled", "labels": ["p1"]}  # run_config labels, untouched
    leaving = [r.getMessage() for r in caplog.records if p1_run in r.getMessage()]
    assert len(leaving) == 1 and "'prefect'" in leaving[0]  # said once, not every pass
