"""``FlowView`` and ``FlowRunView`` carry Prefect 1's attributes, read from a real server."""

from __future__ import annotations

import uuid

import pendulum
import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.backend import FlowRunView, FlowView
from prefect_jupyter.engine.state import Success
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

