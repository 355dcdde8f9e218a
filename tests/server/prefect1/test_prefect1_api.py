"""What Prefect 1.4.1's own client sends and asks, against our app (SQLite and PostgreSQL).

The flow is ``data/mapped_flow.json``: ``flow.serialize(build=False)`` of a mapped flow, made
by Prefect 1.4.1 itself (``Local`` storage, ``LocalRun(labels=["p1"])``, Prefect 1 triggers).
The end-to-end run with the real package is ``test_prefect1_e2e.py``.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from prefect_jupyter.server.services.zombie_killer import ZombieKiller

FLOW = json.loads((Path(__file__).parent / "data" / "mapped_flow.json").read_text())

REGISTER = """mutation($input: create_flow_from_compressed_string_input!) {
  create_flow_from_compressed_string(input: $input) { id } }"""


def gzipped(value: Any) -> str:
    """Prefect 1's ``prefect.utilities.graphql.compress``: JSON, gzip, base64."""
    return base64.b64encode(gzip.compress(json.dumps(value).encode())).decode()


def p1_flow(name: str) -> dict[str, Any]:
    flow = copy.deepcopy(FLOW)
    flow["name"] = name
    return flow


def post_as_prefect1(api: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """POST to ``/`` with ``variables`` as a JSON string, as Prefect 1's client does."""
    response = api.request("POST", "/", json={"query": query, "variables": json.dumps(variables)})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


def register_batched(api: Any, flow: dict[str, Any], project_id: str) -> str:
    """``Client.register``: the flow without tasks and edges, then tasks, then edges."""
    head = {k: v for k, v in flow.items() if k not in ("tasks", "edges")}
    flow_id = post_as_prefect1(api, REGISTER, {"input": {
        "project_id": project_id, "serialized_flow": gzipped(head), "set_schedule_active": False,
    }})["create_flow_from_compressed_string"]["id"]
    api.mutate("register_tasks", {"flow_id": flow_id, "serialized_tasks": flow["tasks"]})
    api.mutate("register_edges", {"flow_id": flow_id, "serialized_edges": flow["edges"]})
    return flow_id


def test_graphql_at_root_with_variables_as_a_json_string(api):
    data = post_as_prefect1(api, "query($n: String) { project(where: {name: {_eq: $n}}) { id } }",
                            {"n": "none-such"})
    assert data == {"project": []}


def test_variables_that_are_a_string_but_not_json_are_refused(api):
    response = api.request("POST", "/", json={"query": "{ project { id } }", "variables": "{oops"})
    assert response.status_code == 400
    assert "not JSON" in response.json()["errors"][0]["message"]


def test_root_keeps_the_http_policy(api):
    response = api.request("POST", "/", content=b'{"query": "{ project { id } }"}',
                           headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


CREATE_TENANT = """mutation($input: create_tenant_input!) {
  create_tenant(input: $input) { id } }"""


def test_prefect_server_create_tenant_answers_the_one_tenant(api):
    # `prefect server create-tenant --name default --slug default`, the setup step
    tenant = post_as_prefect1(api, "query { tenant { id name slug } }", {})["tenant"]
    assert [(t["name"], t["slug"]) for t in tenant] == [("default", "default")]
    created = post_as_prefect1(api, CREATE_TENANT, {"input": {"name": "default", "slug": "default"}})
    assert created["create_tenant"]["id"] == tenant[0]["id"]
    # another tenant: refused, saying there is one and none needs creating
    response = api.request("POST", "/", json={"query": CREATE_TENANT, "variables": json.dumps(
        {"input": {"name": "Acme", "slug": "acme"}})})
    error = response.json()["errors"][0]
    assert "has one tenant, 'default'" in error["message"] and "'acme'" in error["message"]
    assert "Nothing needs creating" in error["message"]
    assert post_as_prefect1(api, "query { tenant { id } }", {})["tenant"] == [{"id": tenant[0]["id"]}]


#: (slug, mapped, root, terminal, reference) of data/mapped_flow.json's tasks, as Prefect
#: Server 1 sets them from the edges (Prefect 1's serialized tasks do not carry them)
P1_TASK_FLAGS = [
    ("double-1", True, False, False, False),
    ("n", False, True, False, False),
    ("numbers-1", False, False, False, False),
    ("total-1", False, False, True, True),
]


def _task_flags(api: Any, flow_id: str) -> list[tuple]:
    rows = api.rows("task", {"flow_id": {"_eq": flow_id}},
                    "slug mapped is_root_task is_terminal_task is_reference_task", {"slug": "asc"})
    return [(r["slug"], r["mapped"], r["is_root_task"], r["is_terminal_task"],
             r["is_reference_task"]) for r in rows]


def test_prefect_register_gzip_flow_with_prefect1_triggers(api):
    project_id = api.create_project()
    name = f"p1-{uuid.uuid4().hex[:6]}"
    flow_id = post_as_prefect1(api, REGISTER, {"input": {
        "project_id": project_id, "serialized_flow": gzipped(p1_flow(name)),
    }})["create_flow_from_compressed_string"]["id"]
    tasks = api.rows("task", {"flow_id": {"_eq": flow_id}}, "slug trigger max_retries retry_delay",
                     {"slug": "asc"})
    assert [(t["slug"], t["trigger"]) for t in tasks] == [
        ("double-1", "prefect.triggers.all_successful"),
        ("n", "prefect.triggers.all_successful"),
        ("numbers-1", "prefect.triggers.all_successful"),
        ("total-1", "prefect.triggers.all_finished"),
    ]
    assert tasks[0]["max_retries"] == 2 and tasks[0]["retry_delay"] == 5
    assert _task_flags(api, flow_id) == P1_TASK_FLAGS
    flow = api.by_pk("flow", flow_id, "labels library storage run_config environment settings "
                                      "flow_group_id flow_group { name settings }")
    assert flow["labels"] == ["p1"] and flow["library"] == "prefect"
    assert flow["storage"]["type"] == "Local" and flow["run_config"]["type"] == "LocalRun"
    assert flow["environment"] is None
    assert flow["settings"] == {"heartbeat_enabled": True}
    assert flow["flow_group"] == {"name": name, "settings": {}}


def test_batched_registration_and_flow_group_shared_by_versions(api):
    project_id = api.create_project()
    name = f"p1-{uuid.uuid4().hex[:6]}"
    first = register_batched(api, p1_flow(name), project_id)
    second = register_batched(api, p1_flow(name), project_id)
    rows = api.rows("flow", {"name": {"_eq": name}}, "id version archived flow_group_id",
                    {"version": "asc"})
    assert [(r["id"], r["version"], r["archived"]) for r in rows] == [
        (first, 1, True), (second, 2, False)
    ]
    assert rows[0]["flow_group_id"] == rows[1]["flow_group_id"]
    assert api.count("task", {"flow_id": {"_eq": second}}) == 4  # the parameter once
    assert _task_flags(api, second) == P1_TASK_FLAGS
    edges = api.rows("edge", {"flow_id": {"_eq": second}}, "mapped upstream_task { slug }")
    assert sorted((e["upstream_task"]["slug"], e["mapped"]) for e in edges) == [
        ("double-1", False), ("n", False), ("numbers-1", True)
    ]
    by_pk = post_as_prefect1(api, "query($id: uuid!) { flow_by_pk(id: $id) { flow_group_id } }",
                             {"id": second})
    assert by_pk["flow_by_pk"]["flow_group_id"] == rows[0]["flow_group_id"]
    # flow.register() turns on the schedule: a flow without one answers success false
    answer = api.mutate("set_schedule_active", {"flow_id": second}, "success error")
    assert answer["success"] is False and "has no schedule" in answer["error"]


def test_a_failed_batched_registration_never_archives_the_live_version(api):
    project_id = api.create_project()
    name = f"p1-{uuid.uuid4().hex[:6]}"
    good = register_batched(api, p1_flow(name), project_id)
    broken = p1_flow(name)
    head = {k: v for k, v in broken.items() if k not in ("tasks", "edges")}
    pending = post_as_prefect1(api, REGISTER, {"input": {
        "project_id": project_id, "serialized_flow": gzipped(head),
    }})["create_flow_from_compressed_string"]["id"]
    errors = api.mutation_errors("register_edges", {"flow_id": pending,
                                                    "serialized_edges": broken["edges"]})
    assert "register the tasks" in errors[0]["message"]  # its tasks never arrived
    states = {r["id"]: r["archived"] for r in api.rows("flow", {"name": {"_eq": name}}, "id archived")}
    assert states == {good: False, pending: True}
    run_id = api.create_flow_run(good)  # the good version still runs
    run = api.flow_run(run_id, "state labels run_config")
    assert (run["state"], run["labels"], run["run_config"]["labels"]) == ("Scheduled", ["p1"], ["p1"])
    given = api.create_flow_run(good, run_config={"type": "LocalRun", "labels": ["other"]})
    run = api.flow_run(given, "labels run_config")
    assert (run["labels"], run["run_config"]["labels"]) == (["other"], ["other"])
    refused = api.post_graphql(
        "mutation($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }",
        {"input": {"flow_id": pending}},
    ).json()
    assert "archived" in refused["errors"][0]["message"]


def test_prefect_get_projects_counts_distinct_flow_names(api):
    project = f"proj-{uuid.uuid4().hex[:6]}"
    project_id = api.create_project(project)
    for name in ("a", "a", "b"):
        api.register(p1_flow(f"{project}-{name}"), project_id)
    data = post_as_prefect1(api, """query($n: String) {
        project(where: {name: {_eq: $n}}) {
          flows_aggregate(distinct_on: name) { aggregate { count } }
          all: flows_aggregate { aggregate { count } } } }""", {"n": project})
    assert data["project"][0]["flows_aggregate"]["aggregate"]["count"] == 2
    assert data["project"][0]["all"]["aggregate"]["count"] == 3


def test_aggregates_max_min_sum_avg_and_distinct_count(api):
    project_id = api.create_project()
    name = f"agg-{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        api.register(p1_flow(name), project_id)
    data = api.query("""query($n: String) { flow_aggregate(where: {name: {_eq: $n}}) {
        aggregate { count names: count(columns: [name], distinct: true)
                    max { version name } min { version } sum { version } avg { version } } } }""",
                     {"n": name})["flow_aggregate"]["aggregate"]
    assert data["count"] == 3
    assert data["max"] == {"version": 3, "name": name} and data["min"] == {"version": 1}
    assert data["sum"] == {"version": 6.0} and data["avg"] == {"version": 2.0}
    none = api.query("""{ flow_aggregate(where: {name: {_eq: "none-such"}}) {
        aggregate { count max { version } } } }""")["flow_aggregate"]["aggregate"]
    assert none == {"count": 0, "max": {"version": None}}


def test_heartbeat_settings_of_the_flow_group_steer_the_zombie_killer(api, app):
    flow_id = api.register(p1_flow(f"hb-{uuid.uuid4().hex[:6]}"))
    api.mutate("disable_flow_heartbeat", {"flow_id": flow_id})
    assert api.by_pk("flow", flow_id, "settings")["settings"] == {"heartbeat_enabled": False}
    run_id = api.create_flow_run(flow_id)
    task_run = api.task_runs(run_id)[0]
    running = {"type": "Running", "message": "long task"}
    for setter, rid in ((api.set_flow_run_state, run_id), (api.set_task_run_state, task_run["id"])):
        assert "errors" not in setter(rid, running).json()
    killer = ZombieKiller(app.state.database, loop_seconds=1, heartbeat_window=0)
    killer.run_once()
    assert api.task_runs(run_id)[0]["state"] == "Running"  # heartbeats off: left alone
    api.mutate("enable_flow_heartbeat", {"flow_id": flow_id})
    killer.run_once()
    assert api.task_runs(run_id)[0]["state"] == "Retrying"  # double-1 has retries left


def test_flow_groups_go_with_their_last_flow(api):
    project_id = api.create_project()
    first = api.register(p1_flow(f"gone-{uuid.uuid4().hex[:6]}"), project_id)
    second = api.register(p1_flow(f"kept-{uuid.uuid4().hex[:6]}"), project_id)
    groups = [api.by_pk("flow", f, "flow_group_id")["flow_group_id"] for f in (first, second)]
    api.mutate("delete_flow", {"flow_id": first})
    assert api.by_pk("flow_group", groups[0]) is None
    assert api.by_pk("flow_group", groups[1]) is not None
    api.mutate("delete_project", {"project_id": project_id})
    assert api.by_pk("flow_group", groups[1]) is None


@pytest.mark.parametrize("bad", [[{"upstream_task": {"slug": "x"}}], "not a list"])
def test_register_edges_refuses_bad_input_by_name(api, bad):
    flow_id = api.register(p1_flow(f"bad-{uuid.uuid4().hex[:6]}"))
    errors = api.post_graphql(
        "mutation($input: register_edges_input!) { register_edges(input: $input) { success } }",
        {"input": {"flow_id": flow_id, "serialized_edges": bad}},
    ).json()["errors"]
    assert "serialized_edges" in errors[0]["message"]
