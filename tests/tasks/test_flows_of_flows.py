"""Flows of flows on a real server and agent: a parent flow (run here, as from a notebook)
starts two registered children, waits for them (streaming their logs) and reads their results."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from prefect_jupyter import Flow
from prefect_jupyter.backend.flow_run import FlowRunView
from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess
from prefect_jupyter.tasks.prefect import (
    CancelFlowRun,
    StartFlowRun,
    create_flow_run,
    get_task_run_result,
    wait_for_flow_run,
)
from prefect_jupyter.utilities.configuration import set_temporary_config

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "agent"))  # the agent tests' AgentProcess helper

import task_library_flows  # noqa: E402  (the children, imported by name by the agent too)
from agent_support import AgentProcess  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # a server and an agent start here

SECRET = "tok-5ec7e7-value"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A server, a project with the child flows, and an agent for their label."""
    tmp = tmp_path_factory.mktemp("flows-of-flows")
    label = f"fof-{uuid.uuid4().hex[:8]}"
    with ServerProcess(database_url=f"sqlite:///{tmp / 'server.db'}") as server:
        with Client(api_server=server.graphql_url) as client:
            client.create_project("fof")
            for name in ("child-a", "child-b"):
                flow = task_library_flows.summing_flow(name, str(tmp / "results"))
                client.register(flow, project_name="fof", labels=[label], no_url=True)
            client.register(task_library_flows.refusing_flow("child-refuses"), project_name="fof",
                            labels=[label], no_url=True)
            client.register(task_library_flows.secret_flow("uses-secret"), project_name="fof",
                            labels=[label], no_url=True)
            client.register(task_library_flows.parent_flow("parent-on-agent", "fof"),
                            project_name="fof", labels=[label], no_url=True)
        agent = AgentProcess(server.graphql_url, [label], concurrency=2, extra_args=[
            "--import-path", str(HERE), "--env", f"PREFECT_JUPYTER__CONTEXT__SECRETS__TOKEN={SECRET}"])
        with agent, set_temporary_config({"cloud.graphql": server.graphql_url}):
            yield {"server": server, "agent": agent}


def test_parent_starts_two_children_waits_and_reads_their_results(backend, caplog):
    caplog.set_level(logging.INFO, logger="prefect_jupyter")
    with Flow("parent") as parent:
        a = create_flow_run(flow_name="child-a", project_name="fof", parameters={"n": 3})
        b = create_flow_run(flow_name="child-b", project_name="fof", parameters={"n": 10})
        done_a = wait_for_flow_run(a, raise_final_state=True, stream_logs=True)
        done_b = wait_for_flow_run(b, raise_final_state=True)
        total_b = get_task_run_result(b, task_slug="total-1", upstream_tasks=[done_b])
        squares_a = get_task_run_result(a, task_slug="squares-1", upstream_tasks=[done_a])
    state = parent.run()
    assert state.is_successful(), backend["agent"].output()
    assert state.result[total_b].result == 55
    assert state.result[squares_a].result == [0, 1, 4]
    child = state.result[done_a].result
    assert isinstance(child, FlowRunView) and child.state.is_successful()
    assert child.name.endswith("-child-a")  # "<parent run name>-<child flow name>"
    assert state.result[done_a].message == f"{child.flow_run_id} finished in state {child.state}"
    streamed = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Flow '")]
    assert f"Flow '{child.name}': adding up to 3" in streamed  # the child's own log line
    assert any("Entered state <Success>" in line for line in streamed)


def test_a_failing_child_fails_the_waiting_task_and_the_parent(backend):
    with Flow("parent of a failure") as parent:
        run = create_flow_run(flow_name="child-refuses", project_name="fof")
        waited = wait_for_flow_run(run, raise_final_state=True)
    state = parent.run()
    assert state.is_failed()
    waited_state = state.result[waited]
    assert waited_state.is_failed()
    assert "finished in state <Failed" in waited_state.message


def test_start_flow_run_waits_and_cancel_flow_run_cancels(backend):
    started = StartFlowRun(flow_name="child-a", project_name="fof", wait=True,
                           poll_interval=__import__("datetime").timedelta(seconds=3))
    with Flow("legacy") as parent:
        done = started(parameters={"n": 4})
    assert parent.run().result[done].is_successful()
    in_a_day = __import__("datetime").timedelta(days=1)
    later = create_flow_run.run(flow_name="child-b", project_name="fof", scheduled_start_time=in_a_day)
    CancelFlowRun(flow_run_id=later).run()
    assert FlowRunView.from_flow_run_id(later).state.is_finished()


def test_bad_input_fails_clearly(backend):
    with pytest.raises(ValueError, match="No flow named 'no-such-flow' in project 'fof'"):
        create_flow_run.run(flow_name="no-such-flow", project_name="fof")
    with pytest.raises(ValueError, match="`flow_id` and `flow_name` are null"):
        create_flow_run.run()
    # names go into StartFlowRun's query as string literals: quotes cannot change the query
    with pytest.raises(ValueError, match=r"Flow 'child-a\" \} \\' not found"):
        StartFlowRun(flow_name='child-a" } \\', project_name="fof").run()


def test_start_flow_run_sends_a_run_config_for_its_run(backend):
    from prefect_jupyter.run_configs import LocalRun

    config = LocalRun(env={"STAGE": "dev"}, labels=["no-agent-has-this"])  # so it waits
    run_id = StartFlowRun(flow_name="child-a", project_name="fof", run_config=config).run()
    with Client() as client:
        run = client.graphql("query($id: uuid!) { flow_run_by_pk(id: $id) { labels run_config } }",
                             {"id": run_id}).data.flow_run_by_pk
    assert run.labels == ["no-agent-has-this"]
    assert run.run_config.to_dict() == config.serialize()
    CancelFlowRun(flow_run_id=run_id).run()
    assert FlowRunView.from_flow_run_id(run_id).state.is_finished()


EVERYTHING = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    state serialized_state states { message serialized_state }
    task_runs { state state_message serialized_state task { slug }
                states { message serialized_state } }
    logs { message }
  }
}
"""


def test_a_secret_read_by_an_agent_run_never_reaches_the_server(backend):
    run_id = create_flow_run.run(flow_name="uses-secret", project_name="fof")
    done = wait_for_flow_run.run(run_id, stream_logs=True)
    assert done.state.is_successful()
    with Client() as client:
        everything = client.graphql(EVERYTHING, {"id": run_id}).data.flow_run_by_pk
    text = repr(everything)
    assert f"the token has {len(SECRET)} characters" in text  # the run did use it
    assert SECRET not in text  # not in any state, result, message or log line
    slugs = {tr.task.slug: tr for tr in everything.task_runs}
    assert slugs["TOKEN-1"].state == "Success"
    assert slugs["TOKEN-1"].serialized_state["_result"]["type"] != "PrefectResult"
    assert get_task_run_result.run(run_id, task_slug="token_length-1") == len(SECRET)


def test_a_registered_parent_run_by_the_agent_runs_its_child_there_too(backend):
    parent_run = create_flow_run.run(flow_name="parent-on-agent", project_name="fof")
    parent = wait_for_flow_run.run(parent_run)
    assert parent.state.is_successful(), backend["agent"].output()
    assert get_task_run_result.run(parent_run, task_slug="get_task_run_result-1") == 15
    with Client() as client:
        runs = client.graphql(
            "query { flow_run(where: {name: {_like: \"%-child-a\"}}) { name state } }"
        ).data.flow_run
    assert f"{parent.name}-child-a" in {r.name for r in runs if r.state == "Success"}


def test_rename_flow_run_renames_a_run_on_the_server(backend):
    from prefect_jupyter.tasks.prefect import RenameFlowRun

    in_a_day = __import__("datetime").timedelta(days=1)
    run_id = create_flow_run.run(flow_name="child-a", project_name="fof", run_name="before",
                                 scheduled_start_time=in_a_day)
    assert FlowRunView.from_flow_run_id(run_id).name == "before"
    with Client(api_server=backend["server"].graphql_url) as client:
        with Flow("renamer") as renamer:
            RenameFlowRun(flow_run_id=run_id, flow_run_name="after")()
        state = renamer.run()
        assert state.is_successful()
        assert FlowRunView.from_flow_run_id(run_id).name == "after"
        with pytest.raises(Exception, match="can't be empty"):
            client.set_flow_run_name(run_id, "  ")


def test_start_flow_run_links_the_run_it_starts_as_an_artifact(backend, monkeypatch):
    from urllib.parse import urlparse

    from prefect_jupyter.run_configs import LocalRun
    from prefect_jupyter.tasks.prefect import flow_run as flow_run_tasks

    links: list[str] = []
    monkeypatch.setattr(flow_run_tasks, "create_link_artifact", links.append)
    waits = LocalRun(labels=["no-agent-has-this"])
    linked = StartFlowRun(flow_name="child-a", project_name="fof", run_config=waits).run()
    unlinked = StartFlowRun(flow_name="child-a", project_name="fof", run_config=waits,
                            create_link_artifact=False).run()
    with Client() as client:
        assert links == [urlparse(client.get_cloud_url("flow-run", linked)).path]
    for run_id in (linked, unlinked):
        CancelFlowRun(flow_run_id=run_id).run()
