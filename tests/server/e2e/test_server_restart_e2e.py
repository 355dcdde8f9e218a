"""End to end with real server, agent and flow-run processes: restart from failure reruns only
the failed part; an agent killed mid-run (with its flow run) is recovered by the services."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import restart_flows
from click.testing import CliRunner

from prefect_jupyter.cli import cli
from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess
from prefect_jupyter.utilities.configuration import set_temporary_config

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
SERVICES = "PREFECT_JUPYTER__SERVER__SERVICES__"
AGENT_ENV = {
    "PREFECT_JUPYTER__CLOUD__AGENT__FLUSH_INTERVAL": "0.1",
    "PREFECT_JUPYTER__CLOUD__HEARTBEAT_INTERVAL": "0.5",
    "PREFECT_JUPYTER__CLOUD__AGENT__HEARTBEAT_INTERVAL": "1.0",
}
RUN_QUERY = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    state state_message times_resurrected
    states(order_by: {version: asc}) { state message }
    task_runs { state state_message task { name } states(order_by: {version: asc}) { state message } }
    logs(order_by: {timestamp: asc}) { name level message }
  }
}
"""


class Agent:
    """``prefect-jupyter agent local start`` in a subprocess (stopped by its PID)."""

    def __init__(self, api: str, labels: Iterable[str]) -> None:
        self.command = [
            sys.executable, "-c", "from prefect_jupyter.cli import main; main()",
            "agent", "local", "start", "--api", api, "--poll-interval", "0.2",
            "--import-path", str(HERE), "--name", f"e2e-{uuid.uuid4().hex[:6]}",
        ]
        for label in labels:
            self.command += ["--label", label]
        self._log = tempfile.TemporaryFile()
        self.popen = subprocess.Popen(
            self.command, env={**os.environ, **AGENT_ENV}, stdout=self._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()

    def stop(self) -> None:
        if self._log.closed:
            return
        for _ in range(2):
            if self.popen.poll() is None:
                self.popen.send_signal(signal.SIGTERM)
                try:
                    self.popen.wait(10)
                except subprocess.TimeoutExpired:
                    continue
        self.kill()
        self._log.close()


@pytest.fixture
def agents() -> Iterator[list[Agent]]:
    """Agents a test starts; stopped at its end."""
    started: list[Agent] = []
    yield started
    for agent in started:
        agent.stop()


def run_info(client: Client, run_id: str) -> dict[str, Any]:
    return client.graphql(RUN_QUERY, {"id": run_id})["data"]["flow_run_by_pk"]


def task_named(run: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in run["task_runs"] if t["task"]["name"] == name)


def wait_for(what: Callable[[], Any], timeout: float, message: str, agents: Iterable[Agent] = ()
             ) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > deadline:
            output = "\n".join(a.output() for a in agents)
            raise AssertionError(f"Timed out after {timeout} s waiting for {message}.\n{output}")
        time.sleep(0.1)


def wait_state(client: Client, run_id: str, states: set[str], agents: Iterable[Agent],
               timeout: float = 60.0) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        run = run_info(client, run_id)
        return run if run["state"] in states else None

    return wait_for(reached, timeout, f"flow run {run_id} to be {states}", agents)


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def restart_with_cli(server: ServerProcess, run_id: str) -> str:
    with set_temporary_config({"cloud.graphql": server.graphql_url}):
        result = CliRunner().invoke(cli, ["run", "restart", run_id])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(database_url=f"sqlite:///{tmp_path / 'server.db'}",
                       env={f"{SERVICES}SCHEDULER__ENABLED": "false"}) as running:
        yield running


def start_run(server: ServerProcess, flow: Any, out_dir: Path, labels: list[str]) -> tuple[Client, str]:
    client = Client(api_server=server.graphql_url, backoff=0.05)
    project = f"e2e-{uuid.uuid4().hex[:6]}"
    client.create_project(project)
    flow_id = client.register(flow, project_name=project, labels=labels, no_url=True)
    return client, client.create_flow_run(flow_id, parameters={"out_dir": str(out_dir)})


def test_restart_reruns_only_the_failed_part_reusing_persisted_results(server, agents, tmp_path):
    labels = [f"restart-{uuid.uuid4().hex[:6]}"]
    flow = restart_flows.restartable_flow(str(tmp_path / "results"))
    client, run_id = start_run(server, flow, tmp_path, labels)
    agents.append(Agent(server.url, labels))
    failed = wait_state(client, run_id, {"Failed", "Success"}, agents)
    assert failed["state"] == "Failed", failed
    assert task_named(failed, "second")["state"] == "Failed"
    assert task_named(failed, "third")["state"] == "TriggerFailed"

    output = restart_with_cli(server, run_id)
    assert f"Flow run {run_id} restarted: it is Scheduled again." in output
    assert "Task runs that run again (2): second, third" in output

    run = wait_state(client, run_id, {"Failed", "Success"}, agents)
    assert run["state"] == "Success", run
    assert lines(tmp_path / "first.txt") == 1  # not run again: its persisted result was reused
    assert lines(tmp_path / "second.txt") == 2
    assert [s["state"] for s in task_named(run, "first")["states"]] == ["Pending", "Running", "Success"]
    assert [s["state"] for s in task_named(run, "second")["states"]][-4:] == [
        "Failed", "Pending", "Running", "Success"]
    assert [s["state"] for s in run["states"]] == [
        "Scheduled", "Submitted", "Running", "Failed", "Scheduled", "Submitted", "Running", "Success"]
    reused = [log["message"] for log in run["logs"] if log["name"] == "prefect_jupyter.cloud.restore"]
    assert reused == ["Reusing the states task runs reached before this run started again: "
                      "first (Success), out_dir (Success)."]


def test_a_result_that_was_not_persisted_is_computed_again(server, agents, tmp_path):
    labels = [f"restart-{uuid.uuid4().hex[:6]}"]
    client, run_id = start_run(server, restart_flows.restartable_flow(None), tmp_path, labels)
    agents.append(Agent(server.url, labels))
    assert wait_state(client, run_id, {"Failed", "Success"}, agents)["state"] == "Failed"
    restart_with_cli(server, run_id)
    run = wait_state(client, run_id, {"Failed", "Success"}, agents)
    assert run["state"] == "Success", run
    assert lines(tmp_path / "first.txt") == 2  # second needs its value, which was not kept
    warnings = [log["message"] for log in run["logs"] if log["level"] == "WARNING"
                and log["name"] == "prefect_jupyter.cloud.restore"]
    assert any(m.startswith("Task 'first' finished before (Success), but it runs again: a task "
                            "that runs needs its value, and its result was not persisted")
               for m in warnings), warnings


def test_an_agent_killed_mid_run_is_recovered_by_the_services(tmp_path, agents):
    """The agent and its flow-run process die (a lost machine); the zombie killer retries the
    running task, Lazarus reschedules the run, another agent finishes it."""
    # a window well above the heartbeat interval (0.5 s) and a flow-run process's start-up
    env = {f"{SERVICES}SCHEDULER__ENABLED": "false", f"{SERVICES}HEARTBEAT_WINDOW": "4.0",
           f"{SERVICES}ZOMBIE_KILLER__LOOP_SECONDS": "0.2", f"{SERVICES}LAZARUS__LOOP_SECONDS": "0.2"}
    labels = [f"kill-{uuid.uuid4().hex[:6]}"]
    with ServerProcess(database_url=f"sqlite:///{tmp_path / 'server.db'}", env=env) as server:
        flow = restart_flows.hanging_flow(str(tmp_path / "results"))
        client, run_id = start_run(server, flow, tmp_path, labels)
        doomed = Agent(server.url, labels)
        agents.append(doomed)
        pid_file = tmp_path / "hang.pid"
        wait_for(lambda: pid_file.exists() and task_named(run_info(client, run_id), "hang")[
            "state"] == "Running", 60, "the hang task to run", agents)
        flow_run_pid = int(pid_file.read_text())
        doomed.kill()
        os.killpg(flow_run_pid, signal.SIGKILL)

        rescheduled = wait_state(client, run_id, {"Scheduled"}, agents, timeout=30)
        # (a very slow machine may also have rescheduled it while its process started up)
        attempts = rescheduled["times_resurrected"]
        assert attempts >= 1
        hang = task_named(rescheduled, "hang")
        assert hang["state"] == "Retrying"
        assert hang["state_message"].startswith("No heartbeat detected from the remote task; "
                                                "retrying the run.")
        agents.append(Agent(server.url, labels))
        run = wait_state(client, run_id, {"Success", "Failed"}, agents)
        agents[-1].stop()  # while its server still answers
    assert run["state"] == "Success", run
    assert lines(tmp_path / "mark.txt") == 1  # finished before the kill: not run again
    assert lines(tmp_path / "hang.txt") == 2
    messages = [log["message"] for log in run["logs"]]
    assert f"Rescheduled by a Lazarus process. This is attempt {attempts}." in messages
    assert ("Reusing the states task runs reached before this run started again: hang (Retrying), "
            "mark (Success), out_dir (Success).") in messages
