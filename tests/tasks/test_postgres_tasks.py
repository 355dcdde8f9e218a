"""PostgresExecute, PostgresExecuteMany and PostgresFetch on the test PostgreSQL server."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from prefect_jupyter import Flow
from prefect_jupyter.tasks.postgres import PostgresExecute, PostgresExecuteMany, PostgresFetch

PG_ENV = "PREFECT_JUPYTER_TEST_DATABASE_URL"


@pytest.fixture
def pg() -> Iterator[dict]:
    """Connection arguments for the test server and a table name of this test's own."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set: start PostgreSQL with `scripts/postgres start DIR`.")
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    conn = {"db_name": parts.path.lstrip("/"), "user": parts.username, "host": parts.hostname,
            "port": parts.port or 5432}
    table = f"tasks_{uuid.uuid4().hex[:10]}"
    yield {"conn": conn, "password": parts.password, "table": table}
    PostgresExecute(**conn, commit=True).run(query=f"DROP TABLE IF EXISTS {table}",
                                             password=parts.password)


@pytest.mark.postgres
def test_execute_execute_many_and_fetch_in_a_flow(pg):
    conn, table, password = pg["conn"], pg["table"], pg["password"]
    with Flow("pg") as flow:
        created = PostgresExecute(**conn, commit=True)(
            query=f"CREATE TABLE {table} (id int, name text)", password=password)
        loaded = PostgresExecuteMany(**conn, commit=True)(
            query=f"INSERT INTO {table} VALUES (%s, %s)",
            data=[(1, "ada"), (2, "grace"), (3, "edsger")], password=password,
            upstream_tasks=[created])
        rolled_back = PostgresExecute(**conn)(
            query=f"DELETE FROM {table}", password=password, upstream_tasks=[loaded])
        everything = PostgresFetch(**conn, fetch="all")(
            query=f"SELECT id, name FROM {table} ORDER BY id", password=password,
            col_names=True, upstream_tasks=[rolled_back])
        two = PostgresFetch(**conn, fetch="many", fetch_count=2)(
            query=f"SELECT id FROM {table} WHERE id > %(low)s ORDER BY id", data={"low": 0},
            password=password, upstream_tasks=[rolled_back])
        one = PostgresFetch(**conn)(query=f"SELECT count(*) FROM {table}", password=password,
                                    upstream_tasks=[rolled_back])
    state = flow.run()
    assert state.is_successful()
    assert state.result[everything].result == [("id", "name"), (1, "ada"), (2, "grace"), (3, "edsger")]
    assert state.result[two].result == [(1,), (2,)]
    assert state.result[one].result == (3,)  # the DELETE without commit=True was rolled back


def test_an_unreachable_server_is_a_failed_state_naming_host_and_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    with Flow("unreachable") as flow:
        rows = PostgresFetch(db_name="app", user="app", host="127.0.0.1", port=port)(
            query="SELECT 1", password="pw-never-shown")
    state = flow.run().result[rows]
    assert state.is_failed()
    assert "could not connect to PostgreSQL database" in state.message
    assert f"could not connect to PostgreSQL database 'app' at 127.0.0.1:{port}" in str(state.result)
    assert "pw-never-shown" not in state.message + str(state.result)


def test_missing_arguments_raise_before_connecting():
    with pytest.raises(ValueError, match="A query string must be provided"):
        PostgresExecute(db_name="x").run()
    with pytest.raises(ValueError, match="A data list must be provided"):
        PostgresExecuteMany(db_name="x", query="INSERT").run()
    with pytest.raises(ValueError, match=r"must be one of the following - \('one', 'many', 'all'\)"):
        PostgresFetch(db_name="x").run(query="SELECT 1", fetch="some")
