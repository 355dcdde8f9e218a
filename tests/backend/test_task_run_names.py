"""Task run names reach the server: ``task_run_name`` templates in a run executed for the
server (mapped children included), and Prefect Server 1's ``set_task_run_name`` mutation."""

from __future__ import annotations

import pytest

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.backend.execution import execute_flow_run
from prefect_jupyter.client import ClientError

NAMES = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    task_runs(order_by: [{task: {slug: asc}}, {map_index: asc}]) { name map_index task { name } }
  }
}
"""


@task(task_run_name="double-{x}")
def double(x: int) -> int:
    return 2 * x


@task(task_run_name=lambda **kw: f"sum of {len(kw['xs'])}")
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def unnamed() -> int:
    return 1


def named_flow() -> Flow:
    with Flow("named") as flow:
        total(double.map(Parameter("numbers", default=[1, 2, 3])))
        unnamed()
    return flow


def test_templated_names_of_a_run_reach_the_server(server_client, project_name):
    flow_id = server_client.register(named_flow(), project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id, parameters={"numbers": [5, 6, 7]})
    assert execute_flow_run(run_id, client=server_client).is_successful()
    rows = server_client.graphql(NAMES, {"id": run_id})["data"]["flow_run_by_pk"]["task_runs"]
    names = {(r["task"]["name"], r["map_index"]): r["name"] for r in rows}
    assert [names[("double", i)] for i in range(3)] == ["double-5", "double-6", "double-7"]
    assert names[("total", -1)] == "sum of 3"
    assert names[("unnamed", -1)] is None


def test_set_task_run_name_names_one_task_run_and_refuses_an_empty_name(
    server_client, project_name
):
    with Flow("to-name") as flow:
        unnamed()
    flow_id = server_client.register(flow, project_name=project_name, no_url=True)
    run_id = server_client.create_flow_run(flow_id)
    [row] = server_client.graphql(
        "query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}) { id } }", {"id": run_id}
    )["data"]["task_run"]
    assert server_client.set_task_run_name(row["id"], "by hand") is True
    named = server_client.graphql("query($id: uuid!) { task_run_by_pk(id: $id) { name } }",
                                  {"id": row["id"]})["data"]["task_run_by_pk"]
    assert named["name"] == "by hand"
    with pytest.raises(ClientError, match="can't be empty"):
        server_client.set_task_run_name(row["id"], " ")
