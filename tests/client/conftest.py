"""A real server for the client tests: one subprocess on a free loopback port, SQLite in tmp."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from prefect_jupyter.client import Client
from prefect_jupyter.utilities.configuration import set_temporary_config


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    process = pytest.importorskip("prefect_jupyter.server.process")
    database = tmp_path_factory.mktemp("client-server") / "server.db"
    with process.ServerProcess(database_url=f"sqlite:///{database}") as running:
        yield running


@pytest.fixture
def client(server) -> Iterator[Client]:
    with Client(api_server=server.graphql_url, backoff=0.05) as c:
        yield c


@pytest.fixture
def use_server(server) -> Iterator[None]:
    """Point the default client (flow.register, Client()) at the test server."""
    with set_temporary_config({"cloud.graphql": server.graphql_url}):
        yield


@pytest.fixture
def project(client: Client) -> str:
    """A fresh project name (created), so tests don't see each other's flows."""
    name = f"project-{uuid.uuid4().hex[:8]}"
    client.create_project(name)
    return name
