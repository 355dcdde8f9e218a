"""Nothing lost: a run's states and logs reach the server through a database that is briefly
unwritable, a server down longer than the retry budget (spooled, then delivered by the agent),
and a run process killed mid-task (Lazarus's rerun runs the killed task again).

Real server, agent and run processes on a real SQLite file; every wait is for an event."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import agent_flows
import pytest
from agent_support import (
    AgentProcess,
    RunProcess,
    flow_run,
    history,
    task_run,
    wait_finished,
    wait_for,
)

from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

WIDTH = 15  # tasks that log two lines each: 30 lines
SERVICES = "PREFECT_JUPYTER__SERVER__SERVICES__"


def gated_run(client: Client, tmp_path: Path, labels: list[str]) -> tuple[str, Path]:
    """A run of ``gated_flow``; the test opens its gate by creating the returned file."""
    project = f"delivery-{uuid.uuid4().hex[:6]}"
    client.create_project(project)
    flow_id = client.register(agent_flows.gated_flow(width=WIDTH), project_name=project,
                              labels=labels, no_url=True)
    gate = tmp_path / "gate"
    return client.create_flow_run(flow_id, parameters={"gate": str(gate)}), gate


def gate_is_waiting(client: Client, run_id: str) -> bool:
    return task_run(flow_run(client, run_id), "wait_for_gate")["state"] == "Running"


def assert_complete(run: dict[str, Any]) -> None:
    """Every task's whole history and every log line, in order, with the run's true state."""
    assert run["state"] == "Success", run
    says = [t for t in run["task_runs"] if t["task"]["name"] == "say_twice"]
    assert len(says) == WIDTH
    for task_run_row in [*says, task_run(run, "wait_for_gate")]:
        assert history(task_run_row) == ["Pending", "Running", "Success"], task_run_row
    lines = [log["message"] for log in run["logs"] if log["message"].startswith("line ")]
    assert sorted(lines) == sorted(f"line {i} {half}" for i in range(WIDTH) for half in "ab")
    for i in range(WIDTH):  # each task's two lines, in the order they were logged
        assert lines.index(f"line {i} a") < lines.index(f"line {i} b")


def test_a_database_briefly_unwritable_loses_no_state_or_log(tmp_path):
    database = tmp_path / "server.db"
    with ServerProcess(database_url=f"sqlite:///{database}", services=False) as server:
        client = Client(api_server=server.graphql_url, backoff=0.05)
        run_id, gate = gated_run(client, tmp_path, ["db-locked"])
        # the client waits longer than SQLite's busy timeout: the server's answer is the error;
        # no heartbeat gets in the way of the reporter's first write
        env = {"PREFECT_JUPYTER__CLOUD__REQUEST_TIMEOUT": "120",
               "PREFECT_JUPYTER__CLOUD__HEARTBEAT_INTERVAL": "600"}
        with RunProcess(server.graphql_url, run_id, env=env) as process:
            wait_for(lambda: gate_is_waiting(client, run_id), 60, "the gate task to run")
            # another process holds SQLite's write lock: every write fails "database is locked"
            holder = sqlite3.connect(database, isolation_level=None, timeout=60)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                gate.touch()
                # the server answers the run's first write: the database is unavailable
                wait_for(lambda: "database is locked" in server.output(), 300,
                         "the server to meet the locked database", every=0.5)
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            assert process.wait(300) == 0, process.output()
        # the first look at the finished run already shows every state and log line
        run = wait_finished(client, run_id, timeout=60)
    assert history(run) == ["Scheduled", "Running", "Success"]
    assert_complete(run)


def test_reports_beyond_the_retry_budget_are_spooled_then_delivered_by_the_agent(tmp_path):
    spool = tmp_path / "spool"
    env = {"PREFECT_JUPYTER__CLOUD__AGENT__RETRY_BUDGET": "1",
           "PREFECT_JUPYTER__CLOUD__AGENT__SPOOL_DIR": str(spool)}
    labels = ["spool"]
    with ServerProcess(database_url=f"sqlite:///{tmp_path / 'server.db'}", services=False) as server:
        client = Client(api_server=server.graphql_url, backoff=0.05)
        run_id, gate = gated_run(client, tmp_path, labels)
        with AgentProcess(server.url, labels, env=env) as agent:
            wait_for(lambda: gate_is_waiting(client, run_id), 60, "the gate task to run",
                     agents=[agent])
            server.stop()
            gate.touch()
            path = spool / f"{run_id}.json"
            wait_for(path.exists, 300, "the run process to spool its reports", agents=[agent])
            spooled = json.loads(path.read_text())
            flow_states = [w["state"]["type"] for w in spooled["writes"]
                           if w["kind"] == "state" and w["key"] is None]
            assert flow_states == ["Success"]  # Running was stored before the server stopped
            assert sum(w["kind"] == "log" and w["record"]["message"].startswith("line ")
                       for w in spooled["writes"]) == 2 * WIDTH
            server.start()
            run = wait_finished(client, run_id, timeout=300, agents=[agent])
            assert_complete(run)  # already at the first look at the finished run
            wait_for(lambda: not path.exists(), 60, "the spool file to be deleted", agents=[agent])
            run = wait_for(lambda: (r := flow_run(client, run_id)) and any(
                "arrived late" in log["message"] for log in r["logs"]) and r, 60,
                "the run's log to say what arrived late", agents=[agent])
            output = agent.output()
    assert history(run) == ["Scheduled", "Submitted", "Running", "Success"]
    assert f"spooled reports of flow run {run_id}" in output, output


def test_a_spool_of_a_deleted_run_is_dropped_with_a_clear_message(tmp_path):
    spool = tmp_path / "spool"
    env = {"PREFECT_JUPYTER__CLOUD__AGENT__RETRY_BUDGET": "1",
           "PREFECT_JUPYTER__CLOUD__AGENT__SPOOL_DIR": str(spool)}
    with ServerProcess(database_url=f"sqlite:///{tmp_path / 'server.db'}", services=False) as server:
        client = Client(api_server=server.graphql_url, backoff=0.05)
        run_id, gate = gated_run(client, tmp_path, ["deleted"])
        with RunProcess(server.graphql_url, run_id, env=env) as process:
            wait_for(lambda: gate_is_waiting(client, run_id), 60, "the gate task to run")
            server.stop()
            gate.touch()
            assert process.wait(300) == 75, process.output()
            output = process.output()
        assert f"spooled to {spool / (run_id + '.json')}" in output
        server.start()
        client.delete_flow_run(run_id)
        with AgentProcess(server.url, ["deleted"], env=env) as agent:
            wait_for(lambda: "no longer exists on the server" in agent.output(), 60,
                     "the agent to drop the spool", agents=[agent])
        assert not (spool / f"{run_id}.json").exists()


REAPERS = {f"{SERVICES}HEARTBEAT_WINDOW": "10", f"{SERVICES}ZOMBIE_KILLER__LOOP_SECONDS": "0.2",
           f"{SERVICES}LAZARUS__LOOP_SECONDS": "0.2", f"{SERVICES}SCHEDULER__ENABLED": "false"}


def test_lazarus_rerun_runs_the_zombie_killed_task_again_and_the_run_succeeds(tmp_path):
    labels = ["lazarus"]
    marker = tmp_path / "first-pid"
    with ServerProcess(database_url=f"sqlite:///{tmp_path / 'server.db'}", env=REAPERS) as server:
        client = Client(api_server=server.graphql_url, backoff=0.05)
        client.create_project("lazarus")
        flow_id = client.register(agent_flows.hanging_flow(), project_name="lazarus",
                                  labels=labels, no_url=True)
        run_id = client.create_flow_run(flow_id, parameters={"marker": str(marker)})
        with AgentProcess(server.url, labels) as first:
            wait_for(lambda: marker.exists() and marker.read_text(), 60,
                     "the task to hang", agents=[first])
            wait_for(lambda: task_run(flow_run(client, run_id), "hang_the_first_time")["state"]
                     == "Running", 60, "the task to be Running", agents=[first])
            # the machine is lost: agent and run process die at once
            first.popen.kill()
            first.popen.wait()
            os.kill(int(marker.read_text()), signal.SIGKILL)

        def rescheduled() -> dict[str, Any] | None:
            run = flow_run(client, run_id)
            last = run["states"][-1]
            return run if last["message"] == "Rescheduled by a Lazarus process." else None

        run = wait_for(rescheduled, 120, "the zombie killer and Lazarus to act")
        killed = task_run(run, "hang_the_first_time")
        assert killed["state"] == "Failed"
        assert killed["state_message"].startswith("No heartbeat detected")
        with AgentProcess(server.url, labels) as second:
            run = wait_finished(client, run_id, timeout=120, agents=[second])
    assert run["state"] == "Success", run
    assert history(task_run(run, "hang_the_first_time")) == [
        "Pending", "Running", "Failed", "Pending", "Running", "Success"]
    assert history(task_run(run, "say")) == ["Pending", "Running", "Success"]
    assert any("died (no heartbeat)" in log["message"] for log in run["logs"])
