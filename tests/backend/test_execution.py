"""Executing one server flow run in this process (``execute_flow_run``, ``prefect-jupyter
execute flow-run``), against a real server."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.backend.execution import (
    FlowRunNotRunnable,
    execute_flow_run,
    parameter_problem,
)
from prefect_jupyter.cli import cli
from prefect_jupyter.context import context
from prefect_jupyter.engine.state import Running
from prefect_jupyter.serialization.storage import Module
from prefect_jupyter.utilities.configuration import set_temporary_config

RUN = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    state state_message version context
    states(order_by: {version: asc}) { state message }
    task_runs(order_by: [{task: {slug: asc}}, {map_index: asc}]) {
      map_index state task { name } states(order_by: {version: asc}) { state }
    }
    logs(order_by: {timestamp: asc}) { message task_run_id }
  }
}
"""


@task
def double(x: int) -> int:
    return 2 * x


@task
def total(xs: list[int]) -> int:
    context.get("logger").info("total is %s", sum(xs))
    return sum(xs)


@task
def run_name() -> str:
    return context.get("flow_run_name")


def mapping_flow() -> Flow:
    with Flow("mapping") as flow:
        numbers = Parameter("numbers", default=[1, 2, 3])
        total(double.map(numbers))
        run_name()
    return flow


# what a module-stored flow looks like after someone renamed its parameter
with Flow("mapping") as renamed_mapping:
    total(double.map(Parameter("values")))


def read(client, run_id: str) -> dict:
    return client.graphql(RUN, {"id": run_id})["data"]["flow_run_by_pk"]


def states(row: dict) -> list[str]:
    return [s["state"] for s in row["states"]]


def test_a_mapped_flow_run_reports_every_child_and_its_logs(server_client, project_name):
    flow_id = server_client.register(mapping_flow(), project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id, parameters={"numbers": [1, 2, 3, 4]})
    state = execute_flow_run(run_id, client=server_client)
    assert state.is_successful()
    run = read(server_client, run_id)
    assert states(run) == ["Scheduled", "Running", "Success"]
    doubles = [t for t in run["task_runs"] if t["task"]["name"] == "double"]
    assert [t["map_index"] for t in doubles] == [-1, 0, 1, 2, 3]
    assert states(doubles[0]) == ["Pending", "Mapped"]
    assert all(states(t) == ["Pending", "Running", "Success"] for t in doubles[1:])
    total_run = [t for t in run["task_runs"] if t["task"]["name"] == "total"][0]
    assert states(total_run) == ["Pending", "Running", "Success"]
    logged = [log for log in run["logs"] if log["message"] == "total is 20"]
    assert len(logged) == 1 and logged[0]["task_run_id"] is not None


def test_tasks_see_the_runs_context_from_the_server(server_client, project_name):
    flow_id = server_client.register(mapping_flow(), project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id, run_name="named-run")
    state = execute_flow_run(run_id, client=server_client)
    [name_task] = [t for t in state.result if t.name == "run_name"]
    assert state.result[name_task].result == "named-run"


def test_parameters_that_do_not_fit_fail_the_run_before_any_task_runs(server_client, project_name):
    flow = mapping_flow()
    flow.storage = Module(__name__, "renamed_mapping")
    flow_id = server_client.register(flow, project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id, parameters={"numbers": [1]})
    state = execute_flow_run(run_id, client=server_client)
    assert state.is_failed()
    run = read(server_client, run_id)
    assert run["state"] == "Failed"
    assert run["state_message"] == (
        "Flow run parameters don't match flow 'mapping': unknown parameter(s) 'numbers' (the "
        "flow's parameters are: values). Create the run again with the flow's parameter names."
    )
    assert all(states(t) == ["Pending"] for t in run["task_runs"])


def test_a_missing_required_parameter_is_named():
    with Flow("needs") as flow:
        double(Parameter("x"))
    assert "required parameter(s) 'x' missing" in parameter_problem(flow, {})
    assert "--param x=..." in parameter_problem(flow, {})
    assert parameter_problem(flow, {"x": 1}) is None


def test_a_flow_that_cannot_be_loaded_fails_the_run_with_why(server_client, project_name):
    flow = mapping_flow()
    flow.storage = Module("no_such_module_here", "flow")
    flow_id = server_client.register(flow, project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id)
    with pytest.raises(FlowRunNotRunnable, match="Failed to load flow 'mapping' from its storage"):
        execute_flow_run(run_id, client=server_client)
    run = read(server_client, run_id)
    assert run["state"] == "Failed"
    assert "no_such_module_here" in run["state_message"]
    assert any("no_such_module_here" in log["message"] for log in run["logs"])


def test_a_run_that_is_running_elsewhere_is_left_alone(server_client, project_name, caplog):
    flow_id = server_client.register(mapping_flow(), project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id)
    server_client.set_flow_run_state(run_id, Running("taken"))
    assert execute_flow_run(run_id, client=server_client) is None
    assert states(read(server_client, run_id)) == ["Scheduled", "Running"]
    assert f"Flow run {run_id} is Running already; not running it again." in caplog.text


def test_an_unknown_run_is_named(server_client):
    missing = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(FlowRunNotRunnable, match=f"Flow run {missing} not found"):
        execute_flow_run(missing, client=server_client)


def test_the_cli_takes_the_run_id_from_prefect_1s_environment_variable(
    server_client, project_name, execution_server
):
    flow_id = server_client.register(mapping_flow(), project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id)
    with set_temporary_config({"cloud.graphql": execution_server.graphql_url}):
        result = CliRunner().invoke(
            cli, ["execute", "flow-run"], env={"PREFECT__CONTEXT__FLOW_RUN_ID": run_id}
        )
    assert result.exit_code == 0, result.output
    assert f"Flow run {run_id} finished: Success: All reference tasks succeeded." in result.output
    assert read(server_client, run_id)["state"] == "Success"


def test_the_module_entry_point_needs_a_run_id():
    done = subprocess.run(
        [sys.executable, "-m", "prefect_jupyter.backend"], capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert "pass --id RUN_ID, or set PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID" in done.stderr


def test_a_run_asks_the_servers_features_once_before_it_starts(
        server_client, project_name, monkeypatch):
    """One introspection request, before the run's Running state: the first report does not
    wait for it (what the reports can carry comes with the mutations' names)."""
    flow_id = server_client.register(mapping_flow(), project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id, parameters={"numbers": [1, 2]})
    asked: list[str] = []
    graphql = server_client.graphql

    def recording(query: str, *args, **kwargs):
        asked.append(query)
        return graphql(query, *args, **kwargs)

    monkeypatch.setattr(server_client, "graphql", recording)
    assert execute_flow_run(run_id, client=server_client).is_successful()
    introspections = [i for i, q in enumerate(asked) if "__schema" in q or "__type" in q]
    first_state = next(i for i, q in enumerate(asked) if "set_flow_run_states" in q)
    assert len(introspections) == 1 and introspections[0] < first_state
    assert any("write_run_report" in q for q in asked)  # the states went in reports
