"""The local agent end to end: a real server, a real agent process, real flow-run processes.

Each test registers a flow from ``agent_flows.py`` (pickled by reference: the agent gives its
flow runs this directory with ``--import-path``), creates runs with labels of its own, starts an
agent for those labels and checks what the server stores.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import agent_flows
import psutil
from agent_support import AgentProcess, flow_run, history, task_run, wait_finished, wait_for

from prefect_jupyter.serialization.storage import Module


def register(client, project, flow, labels) -> str:
    return client.register(flow, project_name=project, labels=labels, no_url=True)


def test_a_registered_flow_runs_to_success_with_its_history_and_logs(
    client, agent_server, project, labels, tmp_path
):
    flow_id = register(client, project, agent_flows.marking_flow(), labels)
    run_id = client.create_flow_run(flow_id, parameters={"out_dir": str(tmp_path)})
    with AgentProcess(agent_server.url, labels) as agent:
        run = wait_finished(client, run_id, agents=[agent])
        output = agent.output()
    assert run["state"] == "Success", run
    assert run["state_message"] == "All reference tasks succeeded."
    assert history(run) == ["Scheduled", "Submitted", "Running", "Success"]
    for name in ("out_dir", "mark", "say"):
        assert history(task_run(run, name)) == ["Pending", "Running", "Success"], name
    say = task_run(run, "say")
    said = [log for log in run["logs"] if log["message"] == "saying done"]
    assert len(said) == 1 and said[0]["task_run_id"] == say["id"]
    assert any(log["message"] == "Flow run SUCCESS: all reference tasks succeeded"
               for log in run["logs"])
    assert (tmp_path / run_id).read_text().count("\n") == 1  # executed once
    assert f"Agent 'test-agent' started, labels {labels}" in output
    assert f"Deploying flow run {run_id}" in output


def test_a_failing_task_fails_the_run_with_its_message(client, agent_server, project, labels):
    flow_id = register(client, project, agent_flows.failing_flow(), labels)
    run_id = client.create_flow_run(flow_id)
    with AgentProcess(agent_server.url, labels) as agent:
        run = wait_finished(client, run_id, agents=[agent])
    assert run["state"] == "Failed"
    assert run["state_message"] == "Some reference tasks failed."
    failed = task_run(run, "fail")
    assert history(failed) == ["Pending", "Running", "Failed"]
    assert "no luck here" in failed["state_message"]
    assert task_run(run, "say")["state"] == "Success"
    assert any("no luck here" in log["message"] and log["level"] == "ERROR" for log in run["logs"])


def test_states_are_visible_on_the_server_while_the_run_goes_on(
    client, agent_server, project, labels
):
    flow_id = register(client, project, agent_flows.napping_flow(), labels)
    run_id = client.create_flow_run(flow_id, parameters={"seconds": 3})
    with AgentProcess(agent_server.url, labels) as agent:
        def napping() -> dict | None:
            run = flow_run(client, run_id)
            said = any(log["message"] == "saying hello" for log in run["logs"])
            return run if said and task_run(run, "nap")["state"] == "Running" else None

        # the nap's Running state and the log of the task before it, while the run goes on
        during = wait_for(napping, 20, "the nap task to be Running", agents=[agent])
        assert during["state"] == "Running"
        hello, = [t for t in during["task_runs"] if t["task"]["name"] == "say"
                  and t["state"] == "Success"]

        # heartbeats every second (FAST_ENV) for the flow run and its running task run
        def beaten() -> dict | None:
            run = flow_run(client, run_id)
            nap = task_run(run, "nap")
            later = (run["heartbeat"] > during["heartbeat"]
                     and nap["heartbeat"] > task_run(during, "nap")["heartbeat"])
            return run if later and nap["state"] == "Running" else None

        wait_for(beaten, 3.5, "heartbeats while the nap runs", agents=[agent])
        run = wait_finished(client, run_id, agents=[agent])
    assert run["state"] == "Success"
    assert history(task_run(run, "nap")) == ["Pending", "Running", "Success"]


def test_parameters_that_do_not_fit_the_flow_fail_the_run_before_any_task_runs(
    client, agent_server, project, labels
):
    # registered with parameter "who"; the code the agent loads (agent_flows.renamed_greeting)
    # was changed since and expects "whom"
    flow = agent_flows.greeting_flow()
    flow.storage = Module("agent_flows", "renamed_greeting")
    flow_id = register(client, project, flow, labels)
    run_id = client.create_flow_run(flow_id, parameters={"who": "world"})
    with AgentProcess(agent_server.url, labels) as agent:
        run = wait_finished(client, run_id, agents=[agent])
    assert run["state"] == "Failed"
    assert history(run) == ["Scheduled", "Submitted", "Failed"]
    assert "'who'" in run["state_message"]
    assert "Flow run parameters don't match flow 'greeting'" in run["state_message"]
    assert all(history(t) == ["Pending"] for t in run["task_runs"])
    assert any("'who'" in log["message"] for log in run["logs"])


def test_a_crashed_flow_run_process_fails_the_run_with_its_exit_code(
    client, agent_server, project, labels
):
    flow_id = register(client, project, agent_flows.crashing_flow(), labels)
    run_id = client.create_flow_run(flow_id)
    with AgentProcess(agent_server.url, labels) as agent:
        run = wait_finished(client, run_id, agents=[agent])
        output = agent.output()
    assert run["state"] == "Failed"
    assert run["state_message"] == "Flow run process exited with code 3"
    assert f"Flow run {run_id} failed: Flow run process exited with code 3" in output


def test_a_cancelled_run_stops_its_process_and_ends_cancelled(
    client, agent_server, project, labels
):
    flow_id = register(client, project, agent_flows.napping_flow(), labels)
    run_id = client.create_flow_run(flow_id, parameters={"seconds": 60})
    with AgentProcess(agent_server.url, labels) as agent:
        wait_for(lambda: task_run(flow_run(client, run_id), "nap")["state"] == "Running", 20,
                 "the nap task to be Running", agents=[agent])
        children = psutil.Process(agent.pid).children()
        assert len(children) == 1
        child = children[0]
        assert client.cancel_flow_run(run_id) == "Cancelling"
        run = wait_finished(client, run_id, timeout=15, agents=[agent])
        assert run["state"] == "Cancelled"
        assert run["state_message"] == "Flow run was cancelled."
        gone, _ = psutil.wait_procs([child], timeout=5)
        assert gone, "the flow run's process is still there"
        output = agent.output()
    assert history(run)[-2:] == ["Cancelling", "Cancelled"]
    nap = task_run(run, "nap")
    assert nap["state"] == "Cancelled"
    says = sorted(t["state"] for t in run["task_runs"] if t["task"]["name"] == "say")
    assert says == ["Cancelled", "Success"]  # hello ran; goodbye never did
    assert f"Flow run {run_id} was cancelled; stopping its process" in output


def test_a_run_whose_labels_the_agent_lacks_waits(client, agent_server, project, labels):
    flow_id = register(client, project, agent_flows.marking_flow(), [*labels, "gpu"])
    run_id = client.create_flow_run(flow_id, parameters={"out_dir": "/nonexistent"})
    with AgentProcess(agent_server.url, labels, poll_interval=0.1) as agent:
        wait_for(lambda: "started" in agent.output(), 20, "the agent to start", agents=[agent])
        time.sleep(1.0)  # ten polls
        assert flow_run(client, run_id)["state"] == "Scheduled"
    client.delete_flow_run(run_id)


def test_flow_run_agent_runs_the_flows_runs(client, agent_server, project, labels, tmp_path):
    flow = agent_flows.marking_flow("run-agent")
    flow_id = register(client, project, flow, labels)
    run_id = client.create_flow_run(flow_id, parameters={"out_dir": str(tmp_path)})
    # two polls: the run is claimed in the first; then the agent waits for it to finish
    flow.run_agent(labels=labels, api=agent_server.url, max_polls=2, poll_interval=0.1,
                   import_paths=[str(Path(agent_flows.__file__).parent)])
    run = flow_run(client, run_id)
    assert run["state"] == "Success"
    assert (tmp_path / run_id).exists()


def test_stopping_the_agent_lets_its_runs_finish(client, agent_server, project, labels):
    flow_id = register(client, project, agent_flows.napping_flow(), labels)
    run_id = client.create_flow_run(flow_id, parameters={"seconds": 2.0})
    with AgentProcess(agent_server.url, labels) as agent:
        wait_for(lambda: task_run(flow_run(client, run_id), "nap")["state"] == "Running", 20,
                 "the nap task to be Running", agents=[agent])
        os.kill(agent.pid, signal.SIGTERM)
        assert agent.popen.wait(30) == 0
        output = agent.output()
    assert flow_run(client, run_id)["state"] == "Success"
    assert "waiting for 1 running flow run(s) to finish; press Ctrl-C again to stop them" in output
    assert "Agent 'test-agent' stopped." in output


def test_a_second_stop_signal_stops_the_runs_too(client, agent_server, project, labels):
    flow_id = register(client, project, agent_flows.napping_flow(), labels)
    run_id = client.create_flow_run(flow_id, parameters={"seconds": 60})
    with AgentProcess(agent_server.url, labels) as agent:
        wait_for(lambda: task_run(flow_run(client, run_id), "nap")["state"] == "Running", 20,
                 "the nap task to be Running", agents=[agent])
        child = psutil.Process(agent.pid).children()[0]
        os.kill(agent.pid, signal.SIGTERM)
        wait_for(lambda: "waiting for 1 running" in agent.output(), 10, "the agent to wait")
        os.kill(agent.pid, signal.SIGTERM)
        assert agent.popen.wait(30) == 0
        gone, _ = psutil.wait_procs([child], timeout=5)
        assert gone
    run = flow_run(client, run_id)
    assert run["state"] == "Failed"
    assert run["state_message"] == "Flow run was stopped because agent 'test-agent' shut down."
    assert task_run(run, "nap")["state"] == "Cancelled"
