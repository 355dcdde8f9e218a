"""``--warm-start``: flow runs forked from a process that imported prefect_jupyter once behave
like plain subprocesses — same states and logs, exit codes, cancellation."""

from __future__ import annotations

import agent_flows
import psutil
from agent_support import AgentProcess, flow_run, history, task_run, wait_finished, wait_for

WARM = ["--warm-start"]


def register(client, project, flow, labels) -> str:
    return client.register(flow, project_name=project, labels=labels, no_url=True)


def test_warm_started_runs_succeed_each_once_in_a_process_of_their_own(
    client, agent_server, project, labels, tmp_path
):
    flow_id = register(client, project, agent_flows.marking_flow(), labels)
    run_ids = [client.create_flow_run(flow_id, parameters={"out_dir": str(tmp_path)})
               for _ in range(3)]
    with AgentProcess(agent_server.url, labels, concurrency=2, extra_args=WARM) as agent:
        runs = [wait_finished(client, run_id, agents=[agent]) for run_id in run_ids]
    pids = set()
    for run, run_id in zip(runs, run_ids, strict=True):
        assert run["state"] == "Success"
        assert history(run) == ["Scheduled", "Submitted", "Running", "Success"]
        assert any(log["message"] == "saying done" for log in run["logs"])
        pids.add((tmp_path / run_id).read_text())
    assert len(pids) == 3  # one line each, from three different processes


def test_a_warm_started_crash_fails_the_run_with_its_exit_code(
    client, agent_server, project, labels
):
    flow_id = register(client, project, agent_flows.crashing_flow(), labels)
    run_id = client.create_flow_run(flow_id)
    with AgentProcess(agent_server.url, labels, extra_args=WARM) as agent:
        run = wait_finished(client, run_id, agents=[agent])
    assert run["state"] == "Failed"
    assert run["state_message"] == "Flow run process exited with code 3"


def test_a_warm_started_run_is_cancelled_and_its_process_stopped(
    client, agent_server, project, labels
):
    flow_id = register(client, project, agent_flows.napping_flow(), labels)
    run_id = client.create_flow_run(flow_id, parameters={"seconds": 60})
    with AgentProcess(agent_server.url, labels, extra_args=WARM) as agent:
        wait_for(lambda: task_run(flow_run(client, run_id), "nap")["state"] == "Running", 20,
                 "the nap task to be Running", agents=[agent])
        fork_server = psutil.Process(agent.pid).children()[0]
        child = fork_server.children()[0]
        client.cancel_flow_run(run_id)
        run = wait_finished(client, run_id, timeout=15, agents=[agent])
        gone, _ = psutil.wait_procs([child], timeout=5)
        assert gone
    assert run["state"] == "Cancelled"
    assert task_run(run, "nap")["state"] == "Cancelled"
