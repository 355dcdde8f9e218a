"""A real server for the flow-run execution tests (one subprocess, SQLite file in tmp)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess


@pytest.fixture(scope="session")
def execution_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("execution-server") / "server.db"
    with ServerProcess(database_url=f"sqlite:///{database}") as running:
        yield running


@pytest.fixture
def server_client(execution_server: ServerProcess) -> Iterator[Client]:
    with Client(api_server=execution_server.graphql_url, backoff=0.05) as c:
        yield c


@pytest.fixture
def project_name(server_client: Client) -> str:
    name = f"execution-{uuid.uuid4().hex[:8]}"
    server_client.create_project(name)
    return name
