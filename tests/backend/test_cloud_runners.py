"""Prefect 1's ``CloudFlowRunner`` (``prefect_jupyter.engine.cloud``): a flow run of the server
executed with a flow the caller loaded, against a real server."""

from __future__ import annotations

import pytest

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.engine.cloud import CloudFlowRunner, CloudTaskRunner
from prefect_jupyter.engine.task_runner import TaskRunner
from prefect_jupyter.executors import LocalExecutor

RUN = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    state states(order_by: {version: asc}) { state }
    task_runs(order_by: {task: {slug: asc}}) { state task { name } }
  }
}
"""


@task
def triple(x: int) -> int:
    return 3 * x


def tripling_flow() -> Flow:
    with Flow("tripling") as flow:
        triple(Parameter("x", default=1))
    return flow


def test_a_custom_execution_script_runs_the_servers_flow_run(server_client, project_name):
    flow = tripling_flow()
    flow_id = server_client.register(flow, project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id, parameters={"x": 5})
    seen = []

    def handler(runner, old, new):
        seen.append(type(new).__name__)

    runner = CloudFlowRunner(flow=flow, state_handlers=[handler], client=server_client)
    state = runner.run(executor=LocalExecutor(), context={"flow_run_id": run_id})

    assert state.is_successful()
    [triple_task] = [t for t in state.result if t.name == "triple"]
    assert state.result[triple_task].result == 15  # the run's parameters, from the server
    row = server_client.graphql(RUN, {"id": run_id})["data"]["flow_run_by_pk"]
    assert [s["state"] for s in row["states"]] == ["Scheduled", "Running", "Success"]
    assert {t["task"]["name"]: t["state"] for t in row["task_runs"]} == {
        "triple": "Success", "x": "Success"}
    assert "Success" in seen  # the runner's own state handlers ran


def test_without_a_flow_run_id_the_error_says_where_to_give_one(monkeypatch):
    for name in ("PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID", "PREFECT__CONTEXT__FLOW_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="flow_run_id.*flow.run\\(\\)"):
        CloudFlowRunner(flow=tripling_flow()).run()


def test_parameters_belong_to_the_run_on_the_server():
    with pytest.raises(ValueError, match="create the run with these parameters"):
        CloudFlowRunner(flow=tripling_flow()).run(parameters={"x": 2},
                                                  context={"flow_run_id": "some-run"})


def test_the_task_runner_is_the_ordinary_one():
    assert issubclass(CloudTaskRunner, TaskRunner)
    assert CloudFlowRunner(flow=tripling_flow()).task_runner_cls is CloudTaskRunner
