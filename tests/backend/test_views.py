"""``FlowView`` and ``FlowRunView`` carry Prefect 1's attributes, read from a real server."""

from __future__ import annotations

import logging
import uuid

import pendulum
import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.backend import FlowRunView, FlowView, TaskRunView
from prefect_jupyter.backend.execution import execute_flow_run
from prefect_jupyter.backend.flow_run import (
    FlowRunLog,
    check_for_compatible_agents,
    stream_flow_run_logs,
)
from prefect_jupyter.engine.results import PrefectResult
from prefect_jupyter.engine.state import Running, Success
from prefect_jupyter.run_configs import LocalRun, UniversalRun
from prefect_jupyter.utilities.configuration import set_temporary_config


@task
def one() -> int:
    return 1


@pytest.fixture
def registered(execution_server, server_client, project_name):
    name = f"views-{uuid.uuid4().hex[:8]}"
    with Flow(name, run_config=LocalRun(env={"A": "1"}, labels=["views"])) as flow:
        one()
    flow_id = server_client.register(flow, project_name=project_name, no_url=True)
    with set_temporary_config({"cloud.graphql": execution_server.graphql_url}):
        yield {"name": name, "flow_id": flow_id, "project": project_name,
               "client": server_client}


def test_flow_view_has_prefect_1s_attributes(registered):
    view = FlowView.from_flow_name(registered["name"], project_name=registered["project"])
    assert view.flow_id == registered["flow_id"]
    assert view.name == registered["name"] and view.project_name == registered["project"]
    assert view.archived is False and view.version == 1
    assert view.core_version
    assert view.serialized_flow["name"] == registered["name"]
    assert isinstance(view.run_config, LocalRun) and view.run_config.env == {"A": "1"}
    assert isinstance(view.settings, dict) and isinstance(view.flow_group_labels, list)
    assert view.flow.name == registered["name"]
    assert [t.name for t in view.flow.tasks] == ["one"]
    # a flow id, a version group id and Prefect 1's from_flow_id all find it
    assert FlowView.from_id(view.flow_id) == view
    assert FlowView.from_id(view.version_group_id).flow_id == view.flow_id
    assert FlowView.from_flow_id(view.flow_id) == view


def test_an_unknown_id_is_named(registered):
    with pytest.raises(ValueError, match="'nope' is not an existing flow or flow group id"):
        FlowView.from_id("nope")
    with pytest.raises(TypeError, match="expected 'str'"):
        FlowView.from_flow_id(1)  # type: ignore[arg-type]


def test_flow_run_view_has_prefect_1s_attributes(registered):
    client = registered["client"]
    run_id = client.create_flow_run(flow_id=registered["flow_id"], parameters={},
                                    context={"k": "v"}, run_name="viewed")
    view = FlowRunView.from_flow_run_id(run_id)
    assert (view.flow_run_id, view.name, view.flow_id) == (run_id, "viewed", registered["flow_id"])
    assert view.state.is_scheduled() and view.context == {"k": "v"}
    assert [type(s).__name__ for s in view.states] == ["Scheduled"]
    assert isinstance(view.states[0].timestamp, pendulum.DateTime)
    assert isinstance(view.updated_at, pendulum.DateTime)
    assert view.labels == ["views"]
    assert view.get_flow_metadata().flow_id == registered["flow_id"]
    assert all(isinstance(i, str) for i in view.get_task_run_ids())


def test_views_are_built_by_hand_as_in_prefect_1s_tests():
    flow_view = FlowView(
        flow_id="flow-id", name="flow-name", settings={"key": "value"},
        run_config=UniversalRun(env={"ENV": "VAL"}), serialized_flow=Flow("flow").serialize(),
        archived=False, project_name="project", flow_group_labels=["label"],
        core_version="0.0.0", storage=None,
    )
    assert flow_view.flow.name == "flow"
    run_view = FlowRunView(
        flow_run_id="id", name="n", flow_id="flow-id", state=Success(),
        states=[], parameters={}, context={}, labels=[], updated_at=pendulum.now(),
        run_config=UniversalRun(),
    )
    run_view.get_latest = lambda: run_view  # type: ignore[method-assign]  (Prefect 1's tests do)
    assert run_view.get_latest() is run_view



@task(result=PrefectResult())
def numbers() -> list:
    return [1, 2, 3]


@task(result=PrefectResult())
def double(x: int) -> int:
    return 2 * x


@pytest.fixture
def finished_map_run(execution_server, server_client, project_name):
    with Flow(f"views-map-{uuid.uuid4().hex[:8]}") as flow:
        double.map(numbers())
    flow_id = server_client.register(flow, project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id=flow_id)
    with set_temporary_config({"cloud.graphql": execution_server.graphql_url,
                               "flows.checkpointing": True}):  # as the agent sets it
        assert execute_flow_run(run_id, client=server_client).is_successful()
        yield FlowRunView.from_flow_run_id(run_id), flow


def test_a_task_run_is_found_by_id_or_slug_and_reads_its_value(finished_map_run):
    view, flow = finished_map_run
    slug = flow.slugs[flow.get_tasks(name="numbers")[0]]
    by_slug = view.get_task_run(task_slug=slug)
    by_id = view.get_task_run(task_run_id=by_slug.task_run_id)
    assert by_id == by_slug and by_id.get_latest() == by_slug
    assert by_slug.result == [1, 2, 3]
    assert by_slug.get_result() is by_slug.result  # read once
    with pytest.raises(ValueError, match="needs the task's slug .* or a task run id"):
        view.get_task_run()


def test_a_mapped_parent_iterates_its_children_and_reads_them_all(finished_map_run):
    view, flow = finished_map_run
    parent = view.get_task_run(task_slug=flow.slugs[flow.get_tasks(name="double")[0]])
    children = list(parent.iter_mapped())
    assert [c.map_index for c in children] == [0, 1, 2]
    assert [c.result for c in children] == [2, 4, 6]
    assert parent.result == [2, 4, 6]
    leaf = children[0]
    with pytest.raises(TypeError, match="not a mapped task run"):
        next(leaf.iter_mapped())


def test_a_task_run_of_another_flow_run_is_not_this_ones(finished_map_run, server_client):
    view, flow = finished_map_run
    other = FlowRunView.from_flow_run_id(
        server_client.create_flow_run(flow_id=view.flow_id)
    )
    some_id = view.get_task_run_ids()[0]
    with pytest.raises(ValueError, match="belongs to flow run .*read it from its own flow run"):
        other.get_task_run(task_run_id=some_id)
    with pytest.raises(ValueError, match="No task run with id 'nope'"):
        TaskRunView.from_task_run_id("nope")


def test_an_unfinished_task_run_has_no_result_yet():
    view = TaskRunView(task_run_id="t", task_id="k", task_slug="s-1", name=None, map_index=-1,
                       flow_run_id="f", state=Running(), serialized_state={})
    with pytest.raises(ValueError, match="has not finished .*get_latest"):
        view.get_result()


def test_the_logs_of_a_run_up_to_when_it_was_read(finished_map_run):
    view, _ = finished_map_run
    logs = view.get_logs()
    messages = [log.message for log in logs]
    assert "Task 'double[2]': Finished task run for task with final state: 'Success'" in messages
    assert all(isinstance(log, FlowRunLog) and log.level >= logging.DEBUG for log in logs)
    assert [log.timestamp for log in logs] == sorted(log.timestamp for log in logs)
    later = view.get_logs(start_time=logs[-2].timestamp)
    assert later == [log for log in logs if log.timestamp > logs[-2].timestamp]


def test_which_agent_can_run_a_flow_run(execution_server, server_client):
    def register(name, labels):
        return server_client.graphql(
            "mutation($input: register_agent_input!) { register_agent(input: $input) { id } }",
            {"input": {"type": "LocalAgent", "name": name, "labels": labels}},
        ).data.register_agent.id

    with set_temporary_config({"cloud.graphql": execution_server.graphql_url}):
        tag = f"only-{uuid.uuid4().hex[:6]}"
        assert "Start an agent" in check_for_compatible_agents([tag])
        first = register(f"agent-{tag}", [tag, "gpu"])
        answer = check_for_compatible_agents([tag])
        assert answer.startswith(f"Agent {first} (agent-{tag}) has matching labels")
        assert "It should run your flow run." in answer
        register(f"second-{tag}", [tag])
        assert check_for_compatible_agents([tag]).startswith("Found 2 healthy agents")
        assert "none has labels ['elsewhere']" in check_for_compatible_agents(["elsewhere"])


def test_a_finished_runs_lines_are_printed(finished_map_run, capsys):
    view, _ = finished_map_run
    stream_flow_run_logs(view.flow_run_id)
    printed = capsys.readouterr().out.splitlines()
    assert any(line.endswith("| INFO    | Entered state <Success>: All reference tasks succeeded.")
               for line in printed)
    assert any("Task 'double[0]': Starting task run..." in line for line in printed)
