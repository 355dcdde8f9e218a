"""Table queries in Hasura's shape: where (every operator, _and/_or/_not, JSON operators,
nested relationship filters), order_by, limit/offset, aggregates, _by_pk, relationship fields
with their own arguments, and one SQL query per relationship (no N+1)."""

from __future__ import annotations

import datetime
import re
import uuid
from importlib import resources

import pytest
from sqlalchemy import event, inspect

from prefect_jupyter.engine.state import Failed, Running, Success
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.database.models import MODELS

T0 = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def data(api, make_flow):
    """Project P: flows alpha (labels a, b; runs one/Two/three) and beta (label b; run four);
    project Q: flow gamma (run five)."""
    tag = uuid.uuid4().hex[:6]
    p, q = f"P-{tag}", f"Q-{tag}"
    p_id, q_id = api.create_project(p), api.create_project(q)
    alpha = api.register(make_flow("alpha", labels=["a", "b"]), p_id)
    beta = api.register(make_flow("beta", tasks=["only"], labels=["b"]), p_id)
    gamma = api.register(make_flow("gamma"), q_id)

    def run(flow_id, name, hours, *states, context=None):
        run_id = api.create_flow_run(
            flow_id, flow_run_name=name, context=context or {},
            scheduled_start_time=(T0 + datetime.timedelta(hours=hours)).isoformat(),
        )
        for state in states:
            api.set_flow_run_state(run_id, state_to_dict(state))
        return run_id

    runs = {
        "one": run(alpha, "run-one", 1, context={"team": "x", "n": 1}),
        "Two": run(alpha, "Run-Two", 2, Running(), context={"team": "y"}),
        "three": run(alpha, "run-three", 3, Running(), Success()),
        "four": run(beta, "run-four", 4, Running(), Failed()),
        "five": run(gamma, "run-five", 5),
    }
    return {"p": p, "q": q, "alpha": alpha, "beta": beta, "gamma": gamma, "runs": runs}


def names(
    api, where: str, variables: dict | None = None, order: str = "{scheduled_start_time: asc}"
) -> list[str]:
    """Names of flow runs of the fixture's projects matching ``where``."""
    query = ("query($p: [String!]) { flow_run(where: {_and: [{flow: {project: {name: {_in: $p}}}}, "
             f"{where}]}}, order_by: {order}) {{ name }} }}")
    return [r["name"] for r in api.query(query, variables)["flow_run"]]


@pytest.fixture
def q(api, data):
    def run(where: str, order: str = "{scheduled_start_time: asc}") -> list[str]:
        return names(api, where, {"p": [data["p"], data["q"]]}, order)

    return run


# -- where -----------------------------------------------------------------------------------------
def test_scalar_comparisons(q):
    assert q('{name: {_eq: "run-one"}}') == ["run-one"]
    assert q('{name: {_neq: "run-one"}}') == ["Run-Two", "run-three", "run-four", "run-five"]
    assert q('{name: {_in: ["run-one", "run-four", "nope"]}}') == ["run-one", "run-four"]
    assert q('{name: {_nin: ["run-one", "run-four"]}}') == ["Run-Two", "run-three", "run-five"]
    assert q('{state: {_eq: "Running"}}') == ["Run-Two"]
    assert q('{version: {_gt: 2}}') == ["run-three", "run-four"]
    assert q('{version: {_gte: 2, _lt: 4}}') == ["Run-Two", "run-three", "run-four"]
    assert q('{version: {_lte: 1}}') == ["run-one", "run-five"]


def test_timestamp_comparisons(q):
    assert q('{scheduled_start_time: {_gte: "2020-01-01T03:00:00+00:00"}}') == ["run-three", "run-four", "run-five"]
    # an offset is honoured; a naive time means UTC
    assert q('{scheduled_start_time: {_lt: "2020-01-01T03:00:00+01:00"}}') == ["run-one"]
    assert q('{scheduled_start_time: {_eq: "2020-01-01T02:00:00"}}') == ["Run-Two"]


def test_like_is_case_sensitive_and_ilike_is_not(q):
    assert q('{name: {_like: "run-t%"}}') == ["run-three"]
    assert q('{name: {_ilike: "run-t%"}}') == ["Run-Two", "run-three"]
    assert q('{name: {_like: "run-f_ve"}}') == ["run-five"]
    assert q('{name: {_nlike: "run-%"}}') == ["Run-Two"]
    assert q('{name: {_nilike: "RUN-%"}}') == []


def test_is_null(q):
    assert q("{start_time: {_is_null: true}}") == ["run-one", "run-five"]
    assert q("{end_time: {_is_null: false}}") == ["run-three", "run-four"]


def test_and_or_not(q):
    assert q('{_or: [{name: {_eq: "run-one"}}, {state: {_eq: "Failed"}}]}') == ["run-one", "run-four"]
    assert q('{_not: {state: {_in: ["Scheduled", "Running"]}}}') == ["run-three", "run-four"]
    assert q('{_and: [{version: {_gt: 1}}, {_not: {name: {_like: "%four"}}}]}') == ["Run-Two", "run-three"]
    assert q("{_or: []}") == []
    assert q("{_and: []}") == ["run-one", "Run-Two", "run-three", "run-four", "run-five"]


def test_null_values_filter_nothing(q):
    assert q("{name: {_eq: null}, flow: null}") == ["run-one", "Run-Two", "run-three", "run-four", "run-five"]


def test_json_operators(q):
    assert q('{context: {_contains: {team: "x"}}}') == ["run-one"]
    assert q('{context: {_contains: {team: "x", n: 1}}}') == ["run-one"]
    assert q('{context: {_contains: {team: "x", n: 2}}}') == []
    assert q('{context: {_has_key: "team"}}') == ["run-one", "Run-Two"]
    assert q('{context: {_has_keys_all: ["team", "n"]}}') == ["run-one"]
    assert q('{context: {_has_keys_any: ["n", "zzz"]}}') == ["run-one"]
    assert q('{labels: {_contains: ["a"]}}') == ["run-one", "Run-Two", "run-three"]
    assert q('{labels: {_contains: ["b", "a"]}}') == ["run-one", "Run-Two", "run-three"]
    # an empty list is contained in every list
    assert q('{labels: {_contained_in: ["b", "c"]}}') == ["run-four", "run-five"]
    assert q('{labels: {_eq: ["b"]}}') == ["run-four"]
    assert q('{labels: {_neq: ["b"]}, flow: {name: {_neq: "gamma"}}}') == ["run-one", "Run-Two", "run-three"]


def test_json_is_null(api, data):
    rows = api.rows("flow", {"project": {"name": {"_eq": data["p"]}},
                             "schedule": {"_is_null": True}}, "name")
    assert sorted(r["name"] for r in rows) == ["alpha", "beta"]


def test_nested_object_relationship_filters(q, data):
    assert q('{flow: {project: {name: {_eq: "Q"}}}}'.replace("Q", data["q"])) == ["run-five"]
    assert q('{flow: {name: {_eq: "beta"}, labels: {_contains: ["b"]}}}') == ["run-four"]


def test_array_relationship_filters_mean_some_related_row(api, data):
    rows = api.rows("flow", {"project": {"name": {"_eq": data["p"]}},
                             "flow_runs": {"state": {"_eq": "Failed"}}}, "name")
    assert rows == [{"name": "beta"}]
    rows = api.rows("project", {"name": {"_in": [data["p"], data["q"]]}, "flows": {"flow_runs": {
        "task_runs": {"task": {"slug": {"_eq": "only-1"}}}}}}, "name")
    assert rows == [{"name": data["p"]}]


def test_an_operator_the_type_lacks_is_a_validation_error(api):
    response = api.post_graphql('{ flow_run(where: {version: {_like: "1%"}}) { id } }')
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "_like" in error["message"]


def test_a_malformed_uuid_is_named(api):
    response = api.post_graphql('{ flow_run(where: {id: {_eq: "not-a-uuid"}}) { id } }')
    body = response.json()
    assert "'not-a-uuid' is not a UUID" in body["errors"][0]["message"]


# -- order_by, limit, offset ------------------------------------------------------------------
def test_order_by_columns_and_directions(q):
    assert q("{}", "{scheduled_start_time: desc}") == [
        "run-five", "run-four", "run-three", "Run-Two", "run-one"]
    assert q("{}", "[{version: desc}, {name: asc}]") == [
        "run-four", "run-three", "Run-Two", "run-five", "run-one"]


def test_order_by_nulls(q):
    assert q("{}", "[{start_time: asc}, {name: asc}]")[-2:] == ["run-five", "run-one"]
    assert q("{}", "[{start_time: desc}, {name: asc}]")[:2] == ["run-five", "run-one"]
    assert q("{}", "[{start_time: asc_nulls_first}, {name: asc}]")[:2] == ["run-five", "run-one"]
    assert q("{}", "[{end_time: desc_nulls_last}, {scheduled_start_time: desc}]") == [
        "run-four", "run-three", "run-five", "Run-Two", "run-one"]


def test_order_by_an_object_relationship(q):
    assert q("{}", "[{flow: {name: desc}}, {scheduled_start_time: asc}]") == [
        "run-five", "run-four", "run-one", "Run-Two", "run-three"]
    assert q("{}", "[{flow: {project: {name: desc}}}, {name: asc}]")[0] == "run-five"


def test_limit_and_offset_page_through_the_rows(api, data):
    query = """query($p: String!, $limit: Int, $offset: Int) {
      flow_run(where: {flow: {project: {name: {_eq: $p}}}}, order_by: {state: asc},
               limit: $limit, offset: $offset) { name } }"""
    pages = [
        [r["name"] for r in api.query(query, {"p": data["p"], "limit": 2, "offset": o})["flow_run"]]
        for o in (0, 2, 4)
    ]
    flat = [n for page in pages for n in page]
    assert [len(p) for p in pages] == [2, 2, 0]
    assert sorted(flat) == ["Run-Two", "run-four", "run-one", "run-three"]
    errors = api.errors(query, {"p": data["p"], "limit": -1})
    assert "limit must be 0 or more" in errors[0]["message"]


@pytest.mark.parametrize("order", [
    "[{flow: {name: desc}}, {state: asc}]",  # ties, broken by the id
    "[{start_time: asc}, {name: desc}]",  # nulls last
    "{end_time: desc}",  # nulls first
    "[{version: desc}, {scheduled_start_time: asc}]",  # NOT NULL columns: no null placement
])
def test_sorted_pages_are_slices_of_the_sorted_rows(api, app, data, order):
    query = f"""query($p: [String!], $limit: Int, $offset: Int) {{
      flow_run(where: {{flow: {{project: {{name: {{_in: $p}}}}}}}}, order_by: {order},
               limit: $limit, offset: $offset) {{ name }} }}"""
    projects = [data["p"], data["q"]]
    whole = [r["name"] for r in api.query(query, {"p": projects})["flow_run"]]
    statements: list[str] = []
    engine = app.state.database.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        pages = [[r["name"] for r in api.query(
            query, {"p": projects, "limit": 2, "offset": offset})["flow_run"]]
            for offset in (0, 2, 4)]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(whole) == 5
    assert pages == [whole[0:2], whole[2:4], whole[4:]]
    # a page's rows are found by sorting ids alone, then read whole (a sort of 100,000 whole
    # rows to keep 25 cost several times more)
    pages_sql = [s for s in statements if "FROM flow_run" in s and "LIMIT" in s]
    assert pages_sql and all(re.search(r"flow_run\.id IN \(\s*SELECT flow_run\.id\s", s)
                             for s in pages_sql), pages_sql


def test_distinct_on_keeps_the_first_row_of_each_group(api, make_flow):
    project_id = api.create_project()
    for name in ("a", "b", "a", "a", "b"):
        api.register(make_flow(name), project_id)
    query = """query($p: uuid, $limit: Int) {
      flow(where: {project_id: {_eq: $p}}, distinct_on: name,
           order_by: [{name: asc}, {version: desc}], limit: $limit) { name version archived } }"""
    rows = api.query(query, {"p": project_id})["flow"]
    assert rows == [{"name": "a", "version": 3, "archived": False},
                    {"name": "b", "version": 2, "archived": False}]
    assert api.query(query, {"p": project_id, "limit": 1})["flow"] == rows[:1]


# -- aggregates and by_pk ----------------------------------------------------------------------
def test_aggregate_counts(api, data):
    result = api.query(
        """query($p: String!) {
          all: flow_run_aggregate(where: {flow: {project: {name: {_eq: $p}}}}) { aggregate { count } }
          running: flow_run_aggregate(where: {flow: {project: {name: {_eq: $p}}},
                                              state: {_eq: "Running"}}) { aggregate { count } } }""",
        {"p": data["p"]},
    )
    assert result["all"]["aggregate"]["count"] == 4
    assert result["running"]["aggregate"]["count"] == 1


def test_by_pk(api, data):
    run_id = data["runs"]["one"]
    row = api.by_pk("flow_run", run_id, "id name flow { name }")
    assert row == {"id": run_id, "name": "run-one", "flow": {"name": "alpha"}}
    assert api.by_pk("flow_run", str(uuid.uuid4())) is None


# -- relationship fields --------------------------------------------------------------------------
def test_relationship_fields_take_where_order_by_limit_per_parent(api, data):
    rows = api.query(
        """query($p: String!) { flow(where: {project: {name: {_eq: $p}}}, order_by: {name: asc}) {
             name
             latest: flow_runs(order_by: {scheduled_start_time: desc}, limit: 1) { name }
             rest: flow_runs(order_by: {scheduled_start_time: desc}, offset: 1) { name }
             started: flow_runs_aggregate(where: {start_time: {_is_null: false}}) {
               aggregate { count } }
             project { name }
           } }""",
        {"p": data["p"]},
    )["flow"]
    assert rows == [
        {"name": "alpha", "latest": [{"name": "run-three"}],
         "rest": [{"name": "Run-Two"}, {"name": "run-one"}],
         "started": {"aggregate": {"count": 2}}, "project": {"name": data["p"]}},
        {"name": "beta", "latest": [{"name": "run-four"}], "rest": [],
         "started": {"aggregate": {"count": 1}}, "project": {"name": data["p"]}},
    ]


def test_fragments_aliases_and_skip_include(api, data):
    query = """
      fragment runFields on flow_run { name task_runs(order_by: {task: {slug: asc}}) { task { slug } } }
      query($id: uuid!, $withFlow: Boolean!) {
        flow_run_by_pk(id: $id) {
          ...runFields
          flow @include(if: $withFlow) { name }
          ... on flow_run { states(order_by: {version: asc}) { state } }
        } }"""
    row = api.query(query, {"id": data["runs"]["three"], "withFlow": True})["flow_run_by_pk"]
    assert row["flow"] == {"name": "alpha"}
    assert [t["task"]["slug"] for t in row["task_runs"]] == ["extract-1", "load-1", "transform-1"]
    assert [s["state"] for s in row["states"]] == ["Scheduled", "Running", "Success"]
    row = api.query(query, {"id": data["runs"]["three"], "withFlow": False})["flow_run_by_pk"]
    assert "flow" not in row


def test_prefect_1_clients_flow_run_info_query(api, data):
    # the id is inline, as Prefect 1's client writes it
    row = api.query(
        """{ flow_run_by_pk(id: "RUN_ID") { id name flow_id parameters context version
             scheduled_start_time serialized_state
             task_runs(where: {map_index: {_eq: -1}}) { id version serialized_state
               task { id slug } }
             flow { project { name id } } } }""".replace("RUN_ID", data["runs"]["one"])
    )["flow_run_by_pk"]
    assert row["flow"]["project"]["name"] == data["p"]
    assert len(row["task_runs"]) == 3
    assert {t["serialized_state"]["type"] for t in row["task_runs"]} == {"Pending"}


def test_related_rows_load_with_one_query_per_relationship(api, app, data):
    statements: list[str] = []
    engine = app.state.database.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    query = """query($p: [String!]) { flow_run(where: {flow: {project: {name: {_in: $p}}}}) {
      name flow { name project { name } } task_runs { state task { slug } }
      logs_aggregate { aggregate { count } } } }"""
    event.listen(engine, "before_cursor_execute", record)
    try:
        rows = api.query(query, {"p": [data["p"], data["q"]]})["flow_run"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")
               and "pg_current_snapshot" not in s]  # the answer cache's data version
    assert len(rows) == 5 and all(len(r["task_runs"]) in (1, 3) for r in rows)
    # flow_run, flow, project, task_run, task, log counts: one SELECT each
    assert len(selects) == 6, selects


# -- the schema and the models agree ---------------------------------------------------------------
def test_every_model_column_and_relationship_is_in_the_sdl():
    sdl = (resources.files("prefect_jupyter.server.graphql") / "schema" / "tables.graphql").read_text()
    for name, model in MODELS.items():
        columns = {c.name for c in model.__table__.columns}
        block = re.search(rf"^enum {name}_select_column {{\n(.*?)^}}", sdl, re.M | re.S)
        assert block and set(block.group(1).split()) == columns, name
        for kind in ("type", "input"):
            suffix = {"type": "", "input": "_bool_exp"}[kind]
            block = re.search(rf"^{kind} {name}{suffix} {{\n(.*?)^}}", sdl, re.M | re.S)
            assert block, f"{kind} {name}{suffix} missing"
            fields = {line.split(":")[0].split("(")[0].strip() for line in block.group(1).splitlines()}
            columns = {c.name for c in model.__table__.columns}
            relationships = {r.key for r in inspect(model).relationships}
            assert columns | relationships <= fields, (name, kind, (columns | relationships) - fields)
