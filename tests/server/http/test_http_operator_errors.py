"""An unlucky operator's mistakes, against a real server process: the database file deleted or
emptied while serving (503 ``DATABASE_UNAVAILABLE``, no SQL in answers, no new empty file),
a corrupt database at start and a weak token (one line on stderr, non-zero exit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from prefect_jupyter.server.process import ServerProcess, free_port

STARTUP = 60.0
CREATE = "mutation($name: String!) { create_project(input: {name: $name}) { id } }"
SECRET_NAME = "name-that-must-not-come-back"


def write(server: ServerProcess, name: str) -> httpx.Response:
    return httpx.post(server.graphql_url, json={"query": CREATE, "variables": {"name": name}},
                      timeout=60)


def assert_unavailable(response: httpx.Response) -> str:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    for leak in ("SELECT", "INSERT", "UPDATE", "[SQL", "[parameters", SECRET_NAME):
        assert leak not in response.text
    return error["message"]


@pytest.fixture
def server(tmp_path: Path):
    with ServerProcess(database_url=f"sqlite:///{tmp_path / 'server.db'}",
                       startup_timeout=STARTUP, services=False) as process:
        yield process


def test_a_database_deleted_while_serving_is_reported_not_recreated(server, tmp_path):
    database = tmp_path / "server.db"
    assert write(server, "before").status_code == 200
    database.unlink()

    health = httpx.get(f"{server.url}/health", timeout=60)
    assert health.status_code == 503
    assert health.json()["status"] == "error"
    assert f"The database file {database} is gone" in health.json()["message"]

    message = assert_unavailable(write(server, SECRET_NAME))
    assert "is gone" in message and "restore it from a backup" in message
    reads = httpx.post(server.graphql_url, json={"query": "{ project { name } }"}, timeout=60)
    assert_unavailable(reads)
    assert not database.exists()  # no empty database appeared in its place


def drop_table(database_url: str, table: str) -> None:
    """Drop a table behind the server's back (another connection)."""
    if database_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            connection.execute("PRAGMA foreign_keys=OFF")
            connection.execute(f"DROP TABLE {table}")
        return
    import psycopg

    libpq = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(libpq, autocommit=True) as connection:
        connection.execute(f"DROP TABLE {table} CASCADE")


def test_tables_gone_while_serving_answer_503_without_sql(empty_database_url):
    # someone "cleans up" the database under the running server
    with ServerProcess(database_url=empty_database_url, startup_timeout=STARTUP,
                       services=False) as server:
        assert write(server, "before").status_code == 200
        drop_table(empty_database_url, "project")

        message = assert_unavailable(write(server, SECRET_NAME))
        assert "The database is unavailable (" in message and "project" in message
        assert "nothing was written" in message
        # the details (SQL included) are in the server's log, not in the answer
        assert "Database failure while serving a request" in server.output()

        drop_table(empty_database_url, "alembic_version")
        health = httpx.get(f"{server.url}/health", timeout=60)
        assert health.status_code == 503
        assert "has no prefect_jupyter tables at revision" in health.json()["message"]


def run_server_command(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "PREFECT_JUPYTER__SERVER__API_TOKEN"}
    return subprocess.run(args, capture_output=True, text=True, timeout=120,
                          env={**environment, **(env or {})})


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "prefect_jupyter.server", "--no-services"],
    [sys.executable, "-c", "from prefect_jupyter.cli import main; main()",
     "server", "start", "--ui-port", "0", "--no-services"],
])
def test_a_corrupt_database_at_start_is_one_line_and_a_non_zero_exit(tmp_path, command):
    database = tmp_path / "server.db"
    database.write_bytes(b"this is not an SQLite database" * 100)
    result = run_server_command(
        [*command, "--port", str(free_port()), "--database-url", f"sqlite:///{database}"]
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"The database file {database} is not a usable SQLite database" in lines[0]
    assert "restore it from a backup" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert database.read_bytes().startswith(b"this is not an SQLite database")


def test_a_weak_token_on_a_public_address_is_refused_at_start(tmp_path):
    result = run_server_command([
        sys.executable, "-m", "prefect_jupyter.server", "--host", "0.0.0.0",
        "--port", str(free_port()), "--database-url", f"sqlite:///{tmp_path / 'x.db'}",
        "--api-token", "short",
    ])
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Refusing to listen on 0.0.0.0 with a weak token" in result.stderr
    assert "at least 16" in result.stderr
    assert not (tmp_path / "x.db").exists()
