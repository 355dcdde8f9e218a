"""The CLI side of issue 6 against real server processes: why a run is late in
``get flow-runs``, and ``server start --with-agent`` running registered flows by itself."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import restart_flows
from click.testing import CliRunner

from prefect_jupyter.cli import cli
from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess, free_port
from prefect_jupyter.utilities.configuration import set_temporary_config

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("agents-cli") / "server.db"
    with ServerProcess(database_url=f"sqlite:///{database}", services=False) as running:
        yield running


def invoke(server: ServerProcess, *args: str) -> str:
    with set_temporary_config({"cloud.graphql": server.graphql_url}):
        result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_get_flow_runs_says_why_a_run_is_late(server, tmp_path):
    client = Client(api_server=server.graphql_url, backoff=0.05)
    project = f"late-{uuid.uuid4().hex[:6]}"
    client.create_project(project)
    flow = restart_flows.restartable_flow(None)
    flow.name = f"late-{uuid.uuid4().hex[:6]}"
    flow_id = client.register(flow, project_name=project, labels=["gpu"], no_url=True)
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=3)
    client.create_flow_run(flow_id, parameters={"out_dir": str(tmp_path)},
                           scheduled_start_time=past)
    output = invoke(server, "get", "flow-runs", "--flow", flow.name)
    message = " ".join(output.split())  # the table wraps long cells
    assert "Late by 3 min: no agent has registered with this server." in message
    assert "prefect-jupyter agent local start --label gpu" in message

    client.graphql(
        'mutation { register_agent(input: {type: "LocalAgent", name: "cpu-box", labels: ["cpu"]})'
        " { id } }"
    )
    message = " ".join(invoke(server, "get", "flow-runs", "--flow", flow.name).split())
    assert "no running agent has all of its labels [gpu] (agent 'cpu-box' with labels [cpu])" in (
        message)


@pytest.mark.slow
def test_server_start_with_agent_runs_registered_flows(tmp_path):
    port = free_port()
    label = f"with-agent-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "PREFECT_JUPYTER__CLOUD__AGENT__POLL_INTERVAL": "0.2",
        "PREFECT_JUPYTER__CLOUD__AGENT__NAME": "built-in",
    }
    command = [
        sys.executable, "-c", "from prefect_jupyter.cli import main; main()", "server", "start",
        "--port", str(port), "--ui-port", "0", "--database-url", f"sqlite:///{tmp_path / 'db'}",
        "--with-agent", "--agent-label", label,
    ]
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    graphql = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, (
                (tmp_path / "server.log").read_text())
            time.sleep(0.1)
        client = Client(api_server=graphql, backoff=0.05)
        client.create_project("with-agent")
        (tmp_path / "second-failed-once").touch()  # this time every task succeeds
        flow_id = client.register(restart_flows.restartable_flow(None), project_name="with-agent",
                                  labels=[label], no_url=True)
        run_id = client.create_flow_run(flow_id, parameters={"out_dir": str(tmp_path)})
        query = "query($id: uuid!) { flow_run_by_pk(id: $id) { state } }"
        while client.graphql(query, {"id": run_id})["data"]["flow_run_by_pk"]["state"] not in (
            "Success", "Failed"
        ):
            assert time.monotonic() < deadline + 60, (tmp_path / "server.log").read_text()
            time.sleep(0.1)
        assert client.graphql(query, {"id": run_id})["data"]["flow_run_by_pk"]["state"] == "Success"
        agents = client.graphql("{ agent { name type labels } }")["data"]["agent"]
        assert agents == [{"name": "built-in", "type": "LocalAgent", "labels": [label]}]
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        log.close()
    output = (tmp_path / "server.log").read_text()
    assert code == 143, output  # stopped by SIGTERM, after stopping its agent
    assert "Agent 'built-in' stopped." in output
