"""Claiming runs: labels decide which agent may take a run, and a run is taken exactly once
even when agents race for it. Real server; the agents run in this process, with a
``deploy_flow`` that only records what it was given (no flow-run processes)."""

from __future__ import annotations

import threading
from typing import Any

import agent_flows
from agent_support import flow_run, history

from prefect_jupyter import __version__
from prefect_jupyter.agent import Agent


class Finished:
    """A deployed run that is over at once (exit code 0)."""

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
    """Records each run it deploys (in a list shared by all agents of a test)."""

    def __init__(self, deployed: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.record = deployed

    def deploy_flow(self, flow_run: dict[str, Any]) -> Finished:
        self.record.append((self.name, flow_run["id"]))
        return Finished(flow_run["id"])


def make_runs(client, project, labels, n) -> list[str]:
    flow_id = client.register(agent_flows.greeting_flow(), project_name=project, labels=labels,
                              no_url=True)
    return [client.create_flow_run(flow_id, parameters={"who": str(i)}) for i in range(n)]


def test_racing_agents_claim_each_run_exactly_once(client, agent_server, project, labels):
    run_ids = make_runs(client, project, labels, 40)
    deployed: list[tuple[str, str]] = []
    agents = [
        RecordingAgent(deployed, name=f"racer-{i}", labels=labels, concurrency=3,
                       api=agent_server.url, poll_interval=0.01)
        for i in range(4)
    ]
    barrier = threading.Barrier(len(agents))

    def race(agent: Agent) -> None:
        barrier.wait()
        for _ in range(40):
            agent.run_once()

    threads = [threading.Thread(target=race, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [run_id for _, run_id in deployed]
    assert sorted(ids) == sorted(run_ids)  # every run once, none twice
    assert len({name for name, _ in deployed}) > 1  # they really raced
    for run_id in run_ids[:5]:
        run = flow_run(client, run_id)
        assert history(run) == ["Scheduled", "Submitted"]
        assert run["states"][-1]["message"].startswith("Submitted for execution by agent 'racer-")


def test_an_agent_takes_only_runs_whose_labels_it_has(client, agent_server, project, labels):
    other = f"{labels[0]}-gpu"
    mine = make_runs(client, project, labels, 2)
    needs_gpu = make_runs(client, project, [*labels, other], 1)
    deployed: list[tuple[str, str]] = []
    agent = RecordingAgent(deployed, labels=labels, api=agent_server.url, concurrency=5)
    agent.run_once()
    agent.run_once()
    assert sorted(run_id for _, run_id in deployed) == sorted(mine)
    assert flow_run(client, needs_gpu[0])["state"] == "Scheduled"
    both = RecordingAgent(deployed, labels=[*labels, other], api=agent_server.url)
    both.run_once()
    assert deployed[-1][1] == needs_gpu[0]


def test_at_most_concurrency_runs_at_once(client, agent_server, project, labels):
    make_runs(client, project, labels, 5)
    deployed: list[tuple[str, str]] = []

    class Busy(Finished):
        returncode = None  # still running

    class BusyAgent(RecordingAgent):
        def deploy_flow(self, flow_run: dict[str, Any]) -> Busy:
            super().deploy_flow(flow_run)
            return Busy(flow_run["id"])

    agent = BusyAgent(deployed, labels=labels, api=agent_server.url, concurrency=2)
    for _ in range(3):
        agent.run_once()
    assert len(deployed) == 2
    assert len(agent.runs) == 2


def test_an_unreachable_server_is_reported_once_and_the_agent_goes_on(caplog):
    from prefect_jupyter.agent import LocalAgent
    from prefect_jupyter.client import Client
    from prefect_jupyter.server.process import free_port

    url = f"http://127.0.0.1:{free_port()}/graphql"
    agent = LocalAgent(labels=["x"], client=Client(api_server=url, max_attempts=1))
    agent.run_once()
    agent.run_once()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert errors[0].startswith("Lost contact with the server: Could not reach the prefect_jupyter server")
    assert "prefect-jupyter server start" in errors[0]


class AgentAwareAPI:
    """A server that knows agents (``register_agent``, ``update_agent_heartbeat``): issue 6's
    server side, not built yet; the agent uses them only when the schema has them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def supports(self, name: str) -> bool:
        return name in ("register_agent", "update_agent_heartbeat")

    def mutate(self, name: str, payload: dict, fields: str = "success", retry: bool = True) -> dict:
        self.calls.append((name, payload))
        return {"id": "agent-42"} if name == "register_agent" else {"success": True}

    def runs_in_queue(self, labels: list[str], agent_id: str | None = None) -> list[str]:
        self.calls.append(("get_runs_in_queue", {"labels": labels, "agent_id": agent_id}))
        return []

    def flow_runs(self, ids: list[str]) -> list[dict]:
        return []


def test_an_agent_registers_and_sends_heartbeats_when_the_server_knows_agents():
    agent = RecordingAgent([], name="named", labels=["b", "a"], max_polls=1,
                           api="http://127.0.0.1:9/graphql", agent_config_id="cfg-1")
    agent.api = AgentAwareAPI()
    agent.start()
    assert agent.agent_id == "agent-42"
    assert agent.api.calls == [
        ("register_agent", {"type": "Agent", "name": "named", "labels": ["a", "b"],
                            "core_version": __version__, "agent_config_id": "cfg-1"}),
        ("update_agent_heartbeat", {"agent_id": "agent-42"}),
        ("get_runs_in_queue", {"labels": ["a", "b"], "agent_id": "agent-42"}),
    ]
