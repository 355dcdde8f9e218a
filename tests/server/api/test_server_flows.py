"""Projects and flow registration through the GraphQL API: version groups, idempotency keys,
archiving, task and edge rows, and the errors for bad input."""

from __future__ import annotations

import uuid

from prefect_jupyter.utilities.graphql import compress

FLOW_FIELDS = """id name version version_group_id archived idempotency_key project_id
  is_schedule_active labels parameters description core_version serialized_flow"""


def get_flow(api, flow_id: str) -> dict:
    return api.by_pk("flow", flow_id, FLOW_FIELDS)


# -- projects ------------------------------------------------------------------------------------
def test_create_project_returns_an_id_and_the_project_is_queryable(api):
    name = f"etl-{uuid.uuid4().hex[:6]}"
    project_id = api.mutate("create_project", {"name": name, "description": "nightly jobs"}, "id")["id"]
    rows = api.rows("project", {"name": {"_eq": name}}, "id name description")
    assert rows == [{"id": project_id, "name": name, "description": "nightly jobs"}]


def test_a_second_project_with_the_same_name_is_refused_with_prefects_wording(api):
    name = f"dup-{uuid.uuid4().hex[:6]}"
    api.create_project(name)
    errors = api.mutation_errors("create_project", {"name": name}, "id")
    assert errors[0]["extensions"]["code"] == "CONFLICT"
    assert errors[0]["message"].startswith("Uniqueness violation.")
    assert name in errors[0]["message"]


def test_create_project_accepts_prefect_1_clients_tenant_id(api):
    name = f"t-{uuid.uuid4().hex[:6]}"
    assert api.mutate("create_project", {"name": name, "tenant_id": "x"}, "id")["id"]


def test_delete_project_removes_its_flows_and_runs(api, make_flow):
    project_id = api.create_project()
    flow_id = api.register(make_flow(), project_id)
    run_id = api.create_flow_run(flow_id)
    result = api.mutate("delete_project", {"project_id": project_id}, "success error")
    assert result == {"success": True, "error": None}
    assert api.by_pk("flow", flow_id) is None
    assert api.by_pk("flow_run", run_id) is None


def test_deleting_an_unknown_project_names_the_id(api):
    missing = str(uuid.uuid4())
    errors = api.mutation_errors("delete_project", {"project_id": missing})
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert f"Project {missing} not found" in errors[0]["message"]


# -- registering -----------------------------------------------------------------------------------
def test_registering_stores_the_flow_with_its_tasks_and_edges(api, make_flow):
    flow = make_flow(
        parameters=[{"name": "n", "slug": "n", "default": 3, "required": False,
                     "type": "prefect_jupyter.core.parameter.Parameter"}],
        labels=["gpu", "gpu", "east"],
    )
    flow["tasks"].append({"slug": "n", "name": "n", "type": "prefect_jupyter.core.parameter.Parameter"})
    flow["edges"].append({"upstream_task": {"slug": "n"}, "downstream_task": {"slug": "extract-1"},
                          "key": "n", "mapped": False, "flattened": False})
    project_id = api.create_project()
    flow_id = api.register(flow, project_id, description="moves data")
    stored = get_flow(api, flow_id)
    assert stored["name"] == flow["name"]
    assert stored["version"] == 1
    assert stored["archived"] is False
    assert stored["project_id"] == project_id
    assert stored["labels"] == ["east", "gpu"]
    assert stored["description"] == "moves data"
    assert stored["core_version"] == "0.1.0"
    assert stored["parameters"] == flow["parameters"]
    assert stored["serialized_flow"]["storage"] == flow["storage"]
    graph = api.query(
        """query($id: uuid!) { flow_by_pk(id: $id) {
             tasks(order_by: {slug: asc}) { slug name is_root_task is_terminal_task
               upstream_edges { upstream_task { slug } key } }
             edges_aggregate { aggregate { count } } } }""",
        {"id": flow_id},
    )["flow_by_pk"]
    assert [t["slug"] for t in graph["tasks"]] == ["extract-1", "load-1", "n", "transform-1"]
    upstream = {t["slug"]: [e["upstream_task"]["slug"] for e in t["upstream_edges"]]
                for t in graph["tasks"]}
    assert upstream == {"extract-1": ["n"], "load-1": ["transform-1"], "n": [],
                        "transform-1": ["extract-1"]}
    assert graph["edges_aggregate"]["aggregate"]["count"] == 3


def test_a_parameter_missing_from_tasks_gets_a_task_row(api, make_flow):
    flow = make_flow(tasks=["double"], edges=[])
    flow["parameters"] = [{"name": "x", "slug": "x", "default": None, "required": True,
                           "type": "prefect_jupyter.core.parameter.Parameter"}]
    flow["edges"] = [{"upstream_task": {"slug": "x"}, "downstream_task": {"slug": "double-1"},
                      "key": "x", "mapped": False, "flattened": False}]
    flow_id = api.register(flow)
    tasks = api.rows("task", {"flow_id": {"_eq": flow_id}}, "slug type", {"slug": "asc"})
    assert tasks == [
        {"slug": "double-1", "type": "prefect_jupyter.tasks.core.function.FunctionTask"},
        {"slug": "x", "type": "prefect_jupyter.core.parameter.Parameter"},
    ]


def test_create_flow_takes_the_uncompressed_dict(api, make_flow):
    flow = make_flow()
    data = api.query(
        "mutation($input: create_flow_input!) { create_flow(input: $input) { id } }",
        {"input": {"serialized_flow": flow, "project_id": api.create_project()}},
    )
    assert get_flow(api, data["create_flow"]["id"])["name"] == flow["name"]


def test_registering_again_creates_a_new_version_and_archives_the_old_one(api, make_flow):
    project_id = api.create_project()
    name = f"versioned-{uuid.uuid4().hex[:6]}"
    first = api.register(make_flow(name), project_id)
    second = api.register(make_flow(name), project_id)
    third = api.register(make_flow(name), project_id)
    flows = [get_flow(api, f) for f in (first, second, third)]
    assert [f["version"] for f in flows] == [1, 2, 3]
    assert [f["archived"] for f in flows] == [True, True, False]
    assert len({f["version_group_id"] for f in flows}) == 1


def test_same_name_in_another_project_is_another_version_group(api, make_flow):
    name = f"shared-{uuid.uuid4().hex[:6]}"
    a = get_flow(api, api.register(make_flow(name), api.create_project()))
    b = get_flow(api, api.register(make_flow(name), api.create_project()))
    assert a["version_group_id"] != b["version_group_id"]
    assert (a["version"], b["version"]) == (1, 1)
    assert not a["archived"] and not b["archived"]


def test_an_explicit_version_group_id_joins_that_group(api, make_flow):
    project_id = api.create_project()
    group = f"group-{uuid.uuid4().hex[:6]}"
    first = get_flow(api, api.register(make_flow("one"), project_id, version_group_id=group))
    second = get_flow(api, api.register(make_flow("two"), project_id, version_group_id=group))
    assert first["version_group_id"] == second["version_group_id"] == group
    assert second["version"] == 2
    assert get_flow(api, first["id"])["archived"] is True


def test_same_idempotency_key_returns_the_existing_version(api, make_flow):
    project_id = api.create_project()
    flow = make_flow()
    first = api.register(flow, project_id, idempotency_key="hash-1")
    again = api.register(flow, project_id, idempotency_key="hash-1")
    assert again == first
    assert api.count("flow", {"name": {"_eq": flow["name"]}}) == 1
    changed = api.register(flow, project_id, idempotency_key="hash-2")
    assert changed != first
    assert get_flow(api, changed)["version"] == 2
    assert get_flow(api, first)["archived"] is True


def test_an_idempotency_key_of_an_archived_version_makes_a_new_version(api, make_flow):
    project_id = api.create_project()
    flow = make_flow()
    first = api.register(flow, project_id, idempotency_key="a")
    api.register(flow, project_id, idempotency_key="b")
    back = api.register(flow, project_id, idempotency_key="a")
    assert back != first
    assert get_flow(api, back)["version"] == 3


def test_schedule_is_active_only_for_flows_with_a_schedule(api, make_flow):
    schedule = {"type": "Schedule", "clocks": [{"type": "IntervalClock", "interval": 60}]}
    with_schedule = get_flow(api, api.register(make_flow(schedule=schedule)))
    without = get_flow(api, api.register(make_flow()))
    paused = get_flow(api, api.register(make_flow(schedule=schedule), set_schedule_active=False))
    assert with_schedule["is_schedule_active"] is True
    assert without["is_schedule_active"] is False
    assert paused["is_schedule_active"] is False


def test_set_schedule_active_and_inactive(api, make_flow):
    schedule = {"type": "Schedule", "clocks": []}
    flow_id = api.register(make_flow(schedule=schedule), set_schedule_active=False)
    assert api.mutate("set_schedule_active", {"flow_id": flow_id}) == {"success": True}
    assert get_flow(api, flow_id)["is_schedule_active"] is True
    api.mutate("set_schedule_inactive", {"flow_id": flow_id})
    assert get_flow(api, flow_id)["is_schedule_active"] is False


def test_activating_the_schedule_of_a_flow_without_one_says_why(api, make_flow):
    flow_id = api.register(make_flow())
    # success false with the reason, not an error: Prefect 1's flow.register() always asks
    answer = api.mutate("set_schedule_active", {"flow_id": flow_id}, "success error")
    assert answer["success"] is False and "has no schedule" in answer["error"]


def test_archive_flow(api, make_flow):
    flow_id = api.register(make_flow())
    result = api.mutate("archive_flow", {"flow_id": flow_id}, "success error")
    assert result == {"success": True, "error": None}
    assert get_flow(api, flow_id)["archived"] is True


def test_delete_flow_removes_tasks_edges_and_runs(api, make_flow):
    flow_id = api.register(make_flow())
    run_id = api.create_flow_run(flow_id)
    api.mutate("delete_flow", {"flow_id": flow_id})
    leftovers = api.query(
        """query($f: uuid!, $r: uuid!) {
             task_aggregate(where: {flow_id: {_eq: $f}}) { aggregate { count } }
             edge_aggregate(where: {flow_id: {_eq: $f}}) { aggregate { count } }
             task_run_aggregate(where: {flow_run_id: {_eq: $r}}) { aggregate { count } }
             flow_run_by_pk(id: $r) { id } }""",
        {"f": flow_id, "r": run_id},
    )
    assert leftovers["task_aggregate"]["aggregate"]["count"] == 0
    assert leftovers["edge_aggregate"]["aggregate"]["count"] == 0
    assert leftovers["task_run_aggregate"]["aggregate"]["count"] == 0
    assert leftovers["flow_run_by_pk"] is None


def test_unknown_flow_ids_are_named_in_errors(api):
    missing = str(uuid.uuid4())
    for mutation in ("archive_flow", "delete_flow", "set_schedule_inactive"):
        errors = api.mutation_errors(mutation, {"flow_id": missing})
        assert errors[0]["message"].startswith(f"Flow {missing} not found")
        assert "prefect-jupyter get flows" in errors[0]["message"]


# -- bad registrations --------------------------------------------------------------------------
def _register_errors(api, serialized: str, project_id: str) -> list[dict]:
    return api.errors(
        """mutation($input: create_flow_from_compressed_string_input!) {
             create_flow_from_compressed_string(input: $input) { id } }""",
        {"input": {"serialized_flow": serialized, "project_id": project_id}},
    )


def test_a_string_that_is_not_compressed_json_is_refused(api):
    errors = _register_errors(api, "not base64!", api.create_project())
    assert "could not be decoded" in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_serialized_flow_without_a_name_is_refused(api, make_flow):
    flow = make_flow()
    del flow["name"]
    errors = _register_errors(api, compress(flow), api.create_project())
    assert "serialized_flow has no 'name'" in errors[0]["message"]


def test_an_edge_to_an_unknown_task_is_refused_and_nothing_is_written(api, make_flow):
    flow = make_flow()
    flow["edges"].append({"upstream_task": {"slug": "ghost"},
                          "downstream_task": {"slug": "load-1"}})
    project_id = api.create_project()
    errors = _register_errors(api, compress(flow), project_id)
    assert "refers to upstream_task 'ghost'" in errors[0]["message"]
    assert api.count("flow", {"project_id": {"_eq": project_id}}) == 0


def test_registering_into_an_unknown_project_is_refused(api, make_flow):
    missing = str(uuid.uuid4())
    errors = _register_errors(api, compress(make_flow()), missing)
    assert errors[0]["message"].startswith(f"Project {missing} not found")


def test_a_retry_delay_that_is_not_seconds_is_refused(api, make_flow):
    flow = make_flow()
    flow["tasks"][0]["retry_delay"] = "5 minutes"
    errors = _register_errors(api, compress(flow), api.create_project())
    assert "retry_delay must be a number of seconds" in errors[0]["message"]


# -- a flow serialized by the client ---------------------------------------------------------------
def test_a_flow_serialized_by_flow_serialize_registers_and_runs(api):
    from prefect_jupyter import Flow, Parameter, task

    @task
    def inc(x):
        return x + 1

    @task
    def total(xs):
        return sum(xs)

    with Flow(f"real-{uuid.uuid4().hex[:6]}") as flow:
        n = Parameter("n")
        k = Parameter("k", default=2)
        total(inc.map([n, k]))

    serialized = flow.serialize()
    flow_id = api.register(serialized, idempotency_key=serialized["structure_hash"])
    stored = api.by_pk("flow", flow_id, "name parameters tasks { slug mapped } "
                                        "edges(order_by: {key: asc}) { key mapped "
                                        "upstream_task { slug } downstream_task { slug } }")
    assert stored["name"] == flow.name
    assert {p["name"]: p["required"] for p in stored["parameters"]} == {"n": True, "k": False}
    assert {t["slug"] for t in stored["tasks"]} >= {"n", "k", "inc-1", "total-1"}
    mapped = [e for e in stored["edges"] if e["mapped"]]
    assert [(e["downstream_task"]["slug"], e["key"]) for e in mapped] == [("inc-1", "x")]
    errors = api.mutation_errors("create_flow_run", {"flow_id": flow_id}, "id")
    assert "missing required parameter(s) 'n'" in errors[0]["message"]
    run_id = api.mutate("create_flow_run", {"flow_id": flow_id, "parameters": {"n": 1}}, "id")["id"]
    assert len(api.task_runs(run_id)) == len(stored["tasks"])
