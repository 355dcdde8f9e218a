"""Query cost limits through the real app on SQLite and PostgreSQL: depth, aliases, fields and
text size before execution; rows per list, rows per answer and the time budget while executing.
Each violation is one error naming the limit, the value and the setting; nothing else runs."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event

from prefect_jupyter.server.graphql import limits
from prefect_jupyter.utilities.configuration import set_temporary_config

TASKS = 30

#: task runs -> flow run -> task runs, three deep (the attack: TASKS**3 rows at the bottom)
NESTED = ("{ task_run { id flow_run { id task_runs { id flow_run { id task_runs { id "
          "flow_run { id task_runs { id name } } } } } } } }")


@pytest.fixture(scope="module")
def run(api: Any, make_flow: Any) -> dict[str, Any]:
    """One flow of TASKS tasks and one run of it (TASKS task runs)."""
    flow_id = api.register(make_flow(tasks=[f"t{i}" for i in range(TASKS)]))
    return {"flow_id": flow_id, "run_id": api.create_flow_run(flow_id)}


def only_error(response: Any, code: str, setting: str) -> dict[str, Any]:
    """The one error of a refused request, checked to name ``setting``."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["limit"] == f"server.graphql.{setting}"
    assert f"server.graphql.{setting} = " in error["message"]
    assert error["message"].endswith("or raise the setting.")
    return error


# -- before execution ------------------------------------------------------------------------------
def test_the_nested_attack_is_stopped_at_the_row_cap(api, run):
    with set_temporary_config({"server.graphql.max_rows": 2_000}):
        error = only_error(api.post_graphql(NESTED), "QUERY_TOO_COMPLEX", "max_rows")
    # refused from the loader's look-ahead (30 + 30 + 900 + 900 + 27,000 rows for this run's
    # task runs) before any row is put into the answer, not 2,001 rows into building it
    assert error["message"].startswith("row count ")
    assert error["extensions"]["maximum"] == 2_000 and error["extensions"]["value"] >= 28_860


def test_depth_is_checked_before_anything_runs(api):
    query = "{ flow_run { flow { flow_runs { flow { flow_runs { flow { flow_runs { flow { " \
            "flow_runs { flow { id } } } } } } } } } } }"
    error = only_error(api.post_graphql(query), "QUERY_TOO_COMPLEX", "max_depth")
    assert error["message"] == (
        "query depth 11 exceeds server.graphql.max_depth = 10; simplify the query (or split it "
        "into several requests) or raise the setting."
    )
    with set_temporary_config({"server.graphql.max_depth": 11}):
        assert api.post_graphql(query).status_code == 200


def test_introspection_is_not_held_to_the_depth_limit(api):
    type_ref = "kind name ofType { " * 8 + "name" + " }" * 8
    query = f"{{ __schema {{ types {{ fields {{ type {{ {type_ref} }} }} }} }} }}"
    response = api.post_graphql(query)
    assert response.status_code == 200, response.text
    assert "errors" not in response.json()


def test_aliases_are_counted_except_a_mutations_batch_of_writes(api, run):
    aliased = "{ " + " ".join(f"a{i}: hello" for i in range(6)) + " }"
    with set_temporary_config({"server.graphql.max_aliases": 5}):
        error = only_error(api.post_graphql(aliased), "QUERY_TOO_COMPLEX", "max_aliases")
        assert error["message"].startswith("alias count 6 exceeds server.graphql.max_aliases = 5")
        # the reporter's batch: one aliased mutation per task run, 8 of them
        params = ", ".join(f"$i{i}: get_or_create_task_run_info_input!" for i in range(8))
        fields = " ".join(f"t{i}: get_or_create_task_run_info(input: $i{i}) {{ id version }}"
                          for i in range(8))
        task_ids = [t["id"] for t in api.query(
            'query($id: uuid!) { flow_by_pk(id: $id) { tasks { id } } }',
            {"id": run["flow_id"]})["flow_by_pk"]["tasks"]]
        variables = {f"i{i}": {"flow_run_id": run["run_id"], "task_id": task_ids[0],
                               "map_index": i} for i in range(8)}
        data = api.query(f"mutation({params}) {{ {fields} }}", variables)
    assert len({data[f"t{i}"]["id"] for i in range(8)}) == 8


def test_fields_count_every_fragment_spread(api):
    fragment = "fragment F on flow_run { id name state version labels }"
    query = "{ a: flow_run(limit: 1) { ...F } b: flow_run(limit: 1) { ...F } } " + fragment
    with set_temporary_config({"server.graphql.max_fields": 11}):
        error = only_error(api.post_graphql(query), "QUERY_TOO_COMPLEX", "max_fields")
    assert error["extensions"]["value"] == 12  # 2 lists + 2 x 5 fields
    with set_temporary_config({"server.graphql.max_fields": 12}):
        assert api.post_graphql(query).status_code == 200


def test_a_fragment_bomb_is_refused_without_expanding_it(api):
    # F0 spreads F1 twice, F1 spreads F2 twice, ...: 2**40 fields once expanded
    fragments = [f"fragment F{i} on task_run {{ a: id ...F{i + 1} b: id ...F{i + 1} }}"
                 for i in range(40)] + ["fragment F40 on task_run { id }"]
    query = "{ task_run { ...F0 } } " + " ".join(fragments)
    error = only_error(api.post_graphql(query), "QUERY_TOO_COMPLEX", "max_aliases")
    assert error["extensions"]["value"] > 2**40


def test_query_text_size_is_checked_before_parsing(api):
    query = "{ hello " + "#" * 300_000 + "\n}"
    error = only_error(api.post_graphql(query), "QUERY_TOO_COMPLEX", "max_query_bytes")
    assert error["message"].startswith("query text of 300,010 bytes exceeds")


# -- while executing -------------------------------------------------------------------------------
@pytest.fixture
def statements(app: Any) -> Any:
    """(SQL, parameters) of every statement the app's database runs during the test."""
    seen: list[tuple[str, Any]] = []
    engine = app.state.database.engine

    def record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def parameter_values(parameters: Any) -> list[Any]:
    return list(parameters.values() if isinstance(parameters, dict) else parameters)


def test_a_list_without_limit_reads_one_row_past_the_cap(api, run, statements):
    where = {"flow_run_id": {"_eq": run["run_id"]}, "map_index": {"_eq": -1}}
    query = "query($w: task_run_bool_exp) { task_run(where: $w) { id } }"
    with set_temporary_config({"server.graphql.max_list_rows": 10}):
        error = only_error(api.post_graphql(query, {"w": where}), "QUERY_TOO_COMPLEX",
                           "max_list_rows")
        assert error["message"].startswith("list task_run with more than 10 rows exceeds")
        assert "page through it with limit and offset" in error["message"]
        (select,) = [(sql, p) for sql, p in statements if "FROM task_run" in sql]
        assert "LIMIT" in select[0] and 11 in parameter_values(select[1])
        # a page within the cap passes; so does a larger limit that finds fewer rows
        paged = "query($w: task_run_bool_exp) { task_run(where: $w, limit: 10, offset: 25) { id } }"
        assert len(api.query(paged, {"w": where})["task_run"]) == 5
        large = "query($w: task_run_bool_exp) { task_run(where: $w, limit: 100000) { id } }"
        where_few = {**where, "task": {"name": {"_in": ["t1", "t2"]}}}
        assert len(api.query(large, {"w": where_few})["task_run"]) == 2


def test_a_nested_list_is_capped_per_parent(api, run):
    query = "query($id: uuid!) { flow_run_by_pk(id: $id) { task_runs { id } } }"
    with set_temporary_config({"server.graphql.max_list_rows": 10}):
        error = only_error(api.post_graphql(query, {"id": run["run_id"]}), "QUERY_TOO_COMPLEX",
                           "max_list_rows")
        assert error["message"].startswith("list flow_run.task_runs with more than 10 rows")
        limited = "query($id: uuid!) { flow_run_by_pk(id: $id) { task_runs(limit: 10) { id } } }"
        data = api.query(limited, {"id": run["run_id"]})
    assert len(data["flow_run_by_pk"]["task_runs"]) == 10


def test_rows_count_once_per_parent(api, run):
    # 30 task runs, each with its flow run and that run's 30 task runs: 30 + 30 + 900 rows
    query = """query($id: uuid!) {
      task_run(where: {flow_run_id: {_eq: $id}, map_index: {_eq: -1}}) {
        id flow_run { task_runs(where: {map_index: {_eq: -1}}) { id } } } }"""
    variables = {"id": run["run_id"]}
    with set_temporary_config({"server.graphql.max_rows": 959}):
        only_error(api.post_graphql(query, variables), "QUERY_TOO_COMPLEX", "max_rows")
    with set_temporary_config({"server.graphql.max_rows": 960}):
        assert len(api.query(query, variables)["task_run"]) == TASKS


class FakeClock:
    """A clock that moves one second each time it is read (after ``start``)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.ticking = False

    def __call__(self) -> float:
        if self.ticking:
            self.now += 1.0
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(limits, "clock", fake)
    return fake


def test_the_time_budget_stops_a_batch_of_writes_and_writes_nothing(api, clock):
    tag = uuid.uuid4().hex[:8]
    fields = " ".join(f'p{i}: create_project(input: {{name: "{tag}-{i}"}}) {{ id }}'
                      for i in range(10))
    clock.ticking = True
    with set_temporary_config({"server.graphql.time_budget": 4.5}):
        response = api.post_graphql(f"mutation {{ {fields} }}")
    clock.ticking = False
    error = only_error(response, "QUERY_TIMEOUT", "time_budget")
    assert error["message"].startswith("query time ")
    assert "exceeds server.graphql.time_budget = 4.5 s; ask for less" in error["message"]
    assert api.count("project", {"name": {"_like": f"{tag}-%"}}) == 0


def test_the_time_budget_is_checked_between_loader_batches(api, run, clock):
    # 600 parents -> two batches of related rows; the clock runs out between them
    query = "{ task_run(limit: 600) { task { id } } }"
    clock.ticking = True
    with set_temporary_config({"server.graphql.time_budget": 6}):
        response = api.post_graphql(query)
    clock.ticking = False
    only_error(response, "QUERY_TIMEOUT", "time_budget")


def test_no_time_budget_means_no_clock(api, clock):
    clock.ticking = True
    with set_temporary_config({"server.graphql.time_budget": 0}):
        assert api.query("{ hello }") == {"hello": "hello"}
    clock.ticking = False


def test_the_database_stops_a_statement_at_the_deadline(app, database_url):
    """The statement itself is stopped (not only the next resolver): SQLite is interrupted by
    the progress handler, PostgreSQL cancels it at ``statement_timeout``."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from prefect_jupyter.server.database import dialects
    from prefect_jupyter.server.database.engine import is_unavailable

    database = app.state.database
    if database.dialect_name == "sqlite":
        endless = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                   "SELECT count(*) FROM c")
    else:
        endless = "SELECT pg_sleep(3600)"
    with database.read_session() as session:
        stop = dialects.stop_statements_at(session, lambda: -1.0)
        try:
            with pytest.raises(OperationalError) as raised:
                session.execute(text(endless))
        finally:
            stop()
    assert dialects.is_stopped_statement(raised.value)
    assert not is_unavailable(raised.value)  # a stopped statement is no reason for a 503
    with database.read_session() as session:  # the connection is fine for the next request
        assert session.execute(text("SELECT 1")).scalar() == 1


def test_a_statement_stopped_mid_request_answers_query_timeout(api, app, run, clock, monkeypatch):
    if app.state.database.dialect_name != "sqlite":
        pytest.skip("PostgreSQL's statement_timeout runs on the database's own clock")
    from prefect_jupyter.server.database import dialects

    monkeypatch.setattr(dialects, "_SQLITE_PROGRESS_STEPS", 1)  # look at the clock every step

    def start_the_clock(_conn, _cursor, statement, *_args):
        clock.ticking = clock.ticking or "FROM task_run" in statement

    event.listen(app.state.database.engine, "before_cursor_execute", start_the_clock)
    try:
        with set_temporary_config({"server.graphql.time_budget": 10}):
            response = api.post_graphql("{ task_run { id name state } }")
    finally:
        event.remove(app.state.database.engine, "before_cursor_execute", start_the_clock)
    only_error(response, "QUERY_TIMEOUT", "time_budget")


@pytest.mark.parametrize("value", ["ten", -1, True])
def test_a_bad_setting_names_itself(value):
    with set_temporary_config({"server.graphql.max_depth": value}), \
            pytest.raises(ValueError, match=r"server\.graphql\.max_depth = .* is not a number of "
                                            r"0 or more; fix it in the config file"):
        limits.QueryLimits.from_config()
