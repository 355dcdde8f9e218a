"""Fixtures for the server tests: one real database per test module, SQLite and PostgreSQL.

``database_url`` is parametrized: ``sqlite`` (a file under tmp) and ``postgresql`` (a fresh
database on the server named by ``PREFECT_JUPYTER_TEST_DATABASE_URL``, created for the module
and dropped after; marked ``postgres``, so the default run deselects it — run with ``-m ""``).
Tests in a module share the database, so they create their own projects and flows (unique
names) and filter by them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from prefect_jupyter.utilities.graphql import compress

PG_ENV = "PREFECT_JUPYTER_TEST_DATABASE_URL"


def _libpq(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as a libpq connection string for psycopg."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def new_postgres_database(label: str) -> Iterator[str]:
    """Create an empty PostgreSQL database on the test server; drop it afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(
            f"{PG_ENV} is not set: start PostgreSQL with `scripts/postgres start DIR` "
            f"(as .ci/run does) and export {PG_ENV}=postgresql+psycopg://USER@HOST:PORT/DB"
        )
    import psycopg

    name = f"pjt_{label[:30]}_{uuid.uuid4().hex[:8]}".lower()
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty PostgreSQL database for this module (dropped afterwards)."""
    with new_postgres_database(request.module.__name__.rsplit(".", 1)[-1]) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A database of its own for one test, with no tables yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with new_postgres_database(request.node.name.split("[")[0]) as url:
        yield url


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The module's database: an SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('server') / 'server.db'}"
    return request.getfixturevalue("postgres_url")


class GraphQLClient:
    """Sends GraphQL requests to an ASGI app through ``httpx.ASGITransport``, synchronously."""

    def __init__(self, app: Any, token: str | None = None) -> None:
        self.app = app
        self.token = token
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4200"
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        call = self._client.request(method, path, headers=headers, **kwargs)
        return self._loop.run_until_complete(call)

    def post_graphql(self, query: str, variables: dict | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", "/graphql", json={"query": query, "variables": variables}, **kwargs)

    def query(self, query: str, variables: dict | None = None) -> dict[str, Any]:
        """The ``data`` of a request that must succeed."""
        response = self.post_graphql(query, variables)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]

    def errors(self, query: str, variables: dict | None = None) -> list[dict[str, Any]]:
        """The ``errors`` of a request that must fail."""
        body = self.post_graphql(query, variables).json()
        assert body.get("errors"), body
        return body["errors"]

    # -- shortcuts (all values travel as GraphQL variables) ------------------------------------
    def rows(self, table: str, where: dict, fields: str, order_by: Any = None) -> list[dict]:
        """``table(where: where, order_by: order_by) { fields }``."""
        query = (f"query($w: {table}_bool_exp, $o: [{table}_order_by!]) "
                 f"{{ {table}(where: $w, order_by: $o) {{ {fields} }} }}")
        return self.query(query, {"w": where, "o": order_by})[table]

    def count(self, table: str, where: dict) -> int:
        """``table_aggregate(where: where) { aggregate { count } }``."""
        query = (f"query($w: {table}_bool_exp) "
                 f"{{ {table}_aggregate(where: $w) {{ aggregate {{ count }} }} }}")
        return self.query(query, {"w": where})[f"{table}_aggregate"]["aggregate"]["count"]

    def by_pk(self, table: str, row_id: str, fields: str = "id") -> dict | None:
        """``table_by_pk(id: row_id) { fields }``."""
        query = f"query($id: uuid!) {{ {table}_by_pk(id: $id) {{ {fields} }} }}"
        return self.query(query, {"id": row_id})[f"{table}_by_pk"]

    def mutation(self, name: str, inputs: dict, fields: str = "success") -> httpx.Response:
        """Send ``name(input: inputs) { fields }``; the response, to check as wanted."""
        query = (f"mutation($input: {name}_input!) {{ {name}(input: $input) {{ {fields} }} }}")
        return self.post_graphql(query, {"input": inputs})

    def mutate(self, name: str, inputs: dict, fields: str = "success") -> dict[str, Any]:
        """The payload of a mutation that must succeed."""
        body = self.mutation(name, inputs, fields).json()
        assert "errors" not in body, body
        return body["data"][name]

    def mutation_errors(self, name: str, inputs: dict, fields: str = "success") -> list[dict]:
        """The errors of a mutation that must fail."""
        body = self.mutation(name, inputs, fields).json()
        assert body.get("errors"), body
        return body["errors"]

    # -- shortcuts for setting up data ---------------------------------------------------------
    def create_project(self, name: str | None = None) -> str:
        name = name or f"project-{uuid.uuid4().hex[:8]}"
        data = self.query(
            "mutation($input: create_project_input!) { create_project(input: $input) { id } }",
            {"input": {"name": name}},
        )
        return data["create_project"]["id"]

    def register(self, flow: dict[str, Any], project_id: str | None = None, **inputs: Any) -> str:
        data = self.query(
            """mutation($input: create_flow_from_compressed_string_input!) {
                 create_flow_from_compressed_string(input: $input) { id } }""",
            {"input": {"serialized_flow": compress(flow),
                       "project_id": project_id or self.create_project(), **inputs}},
        )
        return data["create_flow_from_compressed_string"]["id"]

    def create_flow_run(self, flow_id: str, **inputs: Any) -> str:
        data = self.query(
            "mutation($input: create_flow_run_input!) { create_flow_run(input: $input) { id } }",
            {"input": {"flow_id": flow_id, **inputs}},
        )
        return data["create_flow_run"]["id"]

    def flow_run(self, run_id: str, fields: str = "state version") -> dict[str, Any]:
        return self.query(f'{{ flow_run_by_pk(id: "{run_id}") {{ {fields} }} }}')["flow_run_by_pk"]

    def task_runs(self, run_id: str) -> list[dict[str, Any]]:
        query = """query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}},
                     order_by: {task: {slug: asc}}) { id state version map_index task { slug } } }"""
        return self.query(query, {"id": run_id})["task_run"]

    def set_flow_run_state(self, run_id: str, state: dict, version: int | None = None) -> httpx.Response:
        return self.post_graphql(
            """mutation($input: set_flow_run_states_input!) {
                 set_flow_run_states(input: $input) { states { id status message } } }""",
            {"input": {"states": [{"flow_run_id": run_id, "version": version, "state": state}]}},
        )

    def set_task_run_state(self, run_id: str, state: dict, version: int | None = None) -> httpx.Response:
        return self.post_graphql(
            """mutation($input: set_task_run_states_input!) {
                 set_task_run_states(input: $input) { states { id status message } } }""",
            {"input": {"states": [{"task_run_id": run_id, "version": version, "state": state}]}},
        )

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@pytest.fixture(scope="module")
def app(database_url: str) -> Iterator[Any]:
    """The server app on the module's database (migrated)."""
    from prefect_jupyter.server import create_app

    application = create_app(database_url)
    yield application
    application.state.database.dispose()


@pytest.fixture(scope="module")
def api(app: Any) -> Iterator[GraphQLClient]:
    """A GraphQL client for the module's app."""
    client = GraphQLClient(app)
    yield client
    client.close()


def build_flow(
    name: str | None = None,
    tasks: list[str] = ("extract", "transform", "load"),
    parameters: list[dict[str, Any]] | None = None,
    edges: list[tuple[str, str]] | None = None,
    labels: list[str] | None = None,
    schedule: dict | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A serialized flow in the contract's shape (what ``flow.serialize()`` makes)."""
    tasks = list(tasks)
    if edges is None:
        edges = list(zip(tasks, tasks[1:], strict=False))
    task_dicts = [
        {
            "slug": f"{t}-1", "name": t, "type": "prefect_jupyter.tasks.core.function.FunctionTask",
            "description": None, "tags": [], "max_retries": 0, "retry_delay": None,
            "timeout": None, "trigger": "prefect_jupyter.triggers.all_successful",
            "mapped": False, "is_reference_task": t == tasks[-1], "is_root_task": t == tasks[0],
            "is_terminal_task": t == tasks[-1], "auto_generated": False, "cache_key": None,
        }
        for t in tasks
    ]
    return {
        "__version__": "0.1.0",
        "type": "prefect_jupyter.core.flow.Flow",
        "name": name or f"flow-{uuid.uuid4().hex[:8]}",
        "description": None,
        "parameters": parameters or [],
        "tasks": task_dicts,
        "edges": [
            {"upstream_task": {"slug": f"{u}-1"}, "downstream_task": {"slug": f"{d}-1"},
             "key": "x", "mapped": False, "flattened": False}
            for u, d in edges
        ],
        "reference_tasks": [{"slug": f"{tasks[-1]}-1"}] if tasks else [],
        "schedule": schedule,
        "labels": labels or [],
        "graph": {"nodes": [], "edges": []},
        "storage": {"type": "Pickle", "flow": "gASVAAAAAAAAAAA=", "python_version": "3.11",
                    "cloudpickle_version": "3.0.0"},
        "structure_hash": uuid.uuid4().hex,
        **extra,
    }


@pytest.fixture(scope="session")
def make_flow() -> Any:
    """``make_flow(name=..., tasks=[...], parameters=[...], ...)`` → a serialized flow dict."""
    return build_flow


@pytest.fixture(scope="session")
def client_for() -> Any:
    """``client_for(app, token=None)`` → a :class:`GraphQLClient` (call ``.close()`` after)."""
    return GraphQLClient
