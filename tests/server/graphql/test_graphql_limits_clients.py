"""Our own clients stay within the default query cost limits: every GraphQL document of the
Python client, agent, reporter and CLI, of the web UI and of the JupyterLab extension; the
largest aliased batches they build; and a run with more task runs than one list may hold,
read the way the run process and the UI read it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLError, parse, validate

from prefect_jupyter.backend.api import BackendAPI
from prefect_jupyter.backend.reporter import MAX_BATCH
from prefect_jupyter.server.graphql import build_schema
from prefect_jupyter.server.graphql.limits import QueryLimits
from prefect_jupyter.server.graphql.shape import measure

ROOT = Path(__file__).resolve().parents[3]
PYTHON_CLIENTS = ["prefect_jupyter/client", "prefect_jupyter/backend", "prefect_jupyter/agent",
                  "prefect_jupyter/cli", "prefect_jupyter/jupyter"]
BROWSER_CLIENTS = [*sorted((ROOT / "prefect_jupyter/ui/static/js").glob("*.js")),
                   *sorted((ROOT / "labextension/src").glob("*.ts"))]
DEFAULTS = QueryLimits.from_config()


def python_documents() -> list[tuple[str, str]]:
    """Triple-quoted strings of the Python clients that are GraphQL documents."""
    found = []
    for folder in PYTHON_CLIENTS:
        for path in sorted((ROOT / folder).glob("*.py")):
            for text in re.findall(r'"""(.*?)"""', path.read_text(), re.S):
                if re.match(r"\s*(query|mutation)\b", text) and "{{" not in text:
                    found.append((f"{path.name}:{len(found)}", text))
    return found


def browser_documents() -> list[tuple[str, str]]:
    """Template literals of the UI and the Lab extension that are GraphQL documents, with
    ``${CONSTANT}`` parts filled in from the same file (documents built in a loop are left
    out here and built below)."""
    found = []
    for path in BROWSER_CLIENTS:
        source = path.read_text()
        constants = dict(re.findall(r"const (\w+) = `([^`]*)`", source))
        for text in re.findall(r"`([^`]*)`", source):
            if not re.match(r"\s*(query|mutation)\b", text):
                continue
            for name, value in constants.items():
                text = text.replace(f"${{{name}}}", value)
            if "${" not in text:
                found.append((f"{path.name}:{len(found)}", text))
    return found


def assert_within_defaults(text: str) -> None:
    shape = measure(parse(text))
    assert not shape.problems(DEFAULTS), [p.message for p in shape.problems(DEFAULTS)]
    assert len(text.encode()) <= DEFAULTS.max_query_bytes
    errors: list[GraphQLError] = validate(build_schema(), parse(text))
    assert not errors, errors


def test_every_document_of_our_clients_is_found():
    assert len(python_documents()) >= 10
    assert len(browser_documents()) >= 10


@pytest.mark.parametrize(
    "text", [pytest.param(text, id=name) for name, text in python_documents() + browser_documents()]
)
def test_a_client_document_is_within_the_default_limits(text):
    assert_within_defaults(text)


def test_the_introspection_query_of_graphiql_and_other_tools_is_answered(api):
    from graphql import get_introspection_query

    text = get_introspection_query(descriptions=True, specified_by_url=True,
                                   directive_is_repeatable=True, input_value_deprecation=True)
    assert_within_defaults(text)
    assert api.query(text)["__schema"]["queryType"]["name"] == "Query"


class AppClient:
    """``BackendAPI``'s client interface over the in-process app (keeping what it sent)."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.sent: list[str] = []

    def graphql(self, query: str, variables: dict, retry_on_api_error: bool = True) -> dict:
        self.sent.append(query)
        body = self.api.post_graphql(query, variables).json()
        assert "errors" not in body, body["errors"]
        return body


def test_the_reporters_largest_batches_pass_the_default_limits(api, make_flow):
    """What the reporter sends for MAX_BATCH task runs at once — unmapped tasks, then mapped
    children — through the real BackendAPI to the app."""
    flow_id = api.register(make_flow(tasks=[f"t{i}" for i in range(MAX_BATCH)]))
    run_id = api.create_flow_run(flow_id)
    task_ids = [t["id"] for t in api.query(
        "query($id: uuid!) { flow_by_pk(id: $id) { tasks { id } } }", {"id": flow_id}
    )["flow_by_pk"]["tasks"]]
    client = AppClient(api)
    backend = BackendAPI(client)
    unmapped = backend.task_runs(run_id, [(task_id, -1) for task_id in task_ids])
    children = backend.task_runs(run_id, [(task_ids[0], i) for i in range(MAX_BATCH)])
    assert len({ref.id for ref in unmapped}) == len({ref.id for ref in children}) == MAX_BATCH
    assert max(len(text.encode()) for text in client.sent) <= DEFAULTS.max_query_bytes


def test_the_uis_mapped_children_for_a_thousand_mapped_tasks_are_within_the_limits():
    n = 1_000  # one aliased field per mapped task of the run (ui/static/js/flow_run.js)
    params = ", ".join(f"$t{i}: UUID!" for i in range(n))
    fields = "\n".join(f"m{i}: mapped_children(task_run_id: $t{i}) "
                       "{ min_start_time max_end_time state_counts }" for i in range(n))
    assert_within_defaults(f"query MappedChildren({params}) {{ {fields} }}")


@pytest.mark.slow
def test_a_run_with_more_task_runs_than_one_list_holds_is_read_in_pages(api, app, make_flow):
    """12,500 mapped children (the last MAX_BATCH created by the reporter's aliased batch):
    the run process's restore reads them page by page and the UI's table pages through them;
    asking for all of them in one list is refused, naming ``max_list_rows``."""
    from sqlalchemy import insert

    from prefect_jupyter.backend import restore
    from prefect_jupyter.server.database.models import TaskRun

    flow_id = api.register(make_flow(tasks=["mapped"]))
    run_id = api.create_flow_run(flow_id)
    backend = BackendAPI(AppClient(api))
    task_id = api.query("query($id: uuid!) { flow_by_pk(id: $id) { tasks { id } } }",
                        {"id": flow_id})["flow_by_pk"]["tasks"][0]["id"]
    seeded = 12_000
    with app.state.database.write_session() as session:  # test data, written directly
        session.execute(insert(TaskRun), [
            {"flow_run_id": run_id, "task_id": task_id, "map_index": i} for i in range(seeded)
        ])
    keys = [(task_id, i) for i in range(seeded, seeded + MAX_BATCH)]
    assert len(backend.task_runs(run_id, keys)) == MAX_BATCH
    children = seeded + MAX_BATCH

    rows = restore._task_runs(backend, run_id)
    assert [r["map_index"] for r in rows] == list(range(-1, children))

    page = """query TaskRuns($where: task_run_bool_exp!, $limit: Int!, $offset: Int!) {
      task_run(where: $where, order_by: [{map_index: asc}], limit: $limit, offset: $offset) {
        id map_index state } }"""
    where = {"flow_run_id": {"_eq": run_id}, "map_index": {"_gte": 0}}
    last = api.query(page, {"where": where, "limit": 25, "offset": children - 25})["task_run"]
    assert [r["map_index"] for r in last] == list(range(children - 25, children))

    everything = "query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}) { id } }"
    response = api.post_graphql(everything, {"id": run_id})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["limit"] == "server.graphql.max_list_rows"
