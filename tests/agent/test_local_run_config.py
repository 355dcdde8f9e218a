"""The local agent honours a flow run's ``LocalRun``: its ``env`` over the agent's environment,
its process started in ``working_dir`` (as Prefect 1's LocalAgent does). The run config is the
flow run's own, given to ``create_flow_run``, or else the registered flow's.

A real server, a real agent process and real flow-run processes (see ``test_local_agent.py``).
"""

from __future__ import annotations

import agent_flows
import pytest
from agent_support import AgentProcess, flow_run, history, wait_finished


def _run(client, agent_server, project, labels, out_dir, own=True, **run_config) -> tuple[str, dict]:
    flow = agent_flows.local_run_flow(labels, **run_config)
    flow_id = client.register(flow, project_name=project, labels=labels, no_url=True)
    # `own`: the run's own run_config (Prefect 1's create_flow_run(run_config=...)); else the
    # run takes the registered flow's
    run_id = client.create_flow_run(flow_id, parameters={"out_dir": str(out_dir)},
                                    run_config=flow.run_config if own else None)
    with AgentProcess(agent_server.url, labels, env={"AGENT_ONLY": "yes",
                                                     "RUN_STAGE": "agent's"}) as agent:
        return run_id, wait_finished(client, run_id, agents=[agent])


@pytest.mark.parametrize("own", [True, False], ids=["run's own", "registered flow's"])
def test_env_is_merged_over_the_agents_and_the_run_starts_in_working_dir(
    client, agent_server, project, labels, tmp_path, own
):
    work = tmp_path / "work"
    work.mkdir()
    run_id, run = _run(client, agent_server, project, labels, tmp_path, own=own,
                       env={"RUN_STAGE": "dev"}, working_dir=str(work))
    assert run["state"] == "Success", run
    cwd, stage, agent_only = (tmp_path / run_id).read_text().splitlines()
    assert cwd == str(work)
    assert stage == "dev"  # the run's env wins over the agent's
    assert agent_only == "yes"  # the agent's own environment is kept


def test_a_working_dir_missing_on_the_agents_machine_fails_the_run_with_the_fix(
    client, agent_server, project, labels, tmp_path
):
    missing = tmp_path / "not-here"
    run_id, run = _run(client, agent_server, project, labels, tmp_path,
                       working_dir=str(missing))
    assert run["state"] == "Failed", run
    assert history(run)[-1] == "Failed"
    assert "working_dir" in run["state_message"] and str(missing) in run["state_message"]
    assert not (tmp_path / run_id).exists()


def test_a_run_config_a_local_agent_cannot_execute_is_left_unclaimed_saying_why(
    client, agent_server, project, labels, tmp_path
):
    from prefect_jupyter.run_configs import DockerRun

    flow = agent_flows.local_run_flow(labels)
    flow_id = client.register(flow, project_name=project, labels=labels, no_url=True)
    docker_run = client.create_flow_run(flow_id, parameters={"out_dir": str(tmp_path)},
                                        run_config=DockerRun(labels=labels, image="python:3.11"))
    local_run = client.create_flow_run(flow_id, parameters={"out_dir": str(tmp_path)})
    with AgentProcess(agent_server.url, labels) as agent:
        # runs are taken oldest first: once the later one has finished, the first was passed over
        assert wait_finished(client, local_run, agents=[agent])["state"] == "Success"
        output = agent.output()
    assert f"Leaving flow run {docker_run} to another agent: its run config is a DockerRun" in output
    assert "Start an agent of that kind" in output
    assert output.count(f"Leaving flow run {docker_run}") == 1  # said once, not every poll
    assert flow_run(client, docker_run)["state"] == "Scheduled"  # not claimed: free for others
    assert not (tmp_path / docker_run).exists()
