"""A real server for the agent tests: one subprocess on a free loopback port, SQLite in tmp.

Tests share it, so each one gives its runs labels of its own (``labels`` fixture): an agent
only picks up runs whose labels are all among its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess


@pytest.fixture(scope="session")
def spool_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("spool"))


@pytest.fixture(autouse=True)
def spool_dir(spool_path: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Agents and run processes of these tests spool to a directory of their own, never ~.

    Set per test, not for the session: a variable left behind would reach processes that
    later tests start (Dask workers), whose configuration would then differ from the driver's.
    """
    monkeypatch.setenv("PREFECT_JUPYTER__CLOUD__AGENT__SPOOL_DIR", spool_path)
    return spool_path


@pytest.fixture(scope="session")
def agent_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("agent-server") / "server.db"
    with ServerProcess(database_url=f"sqlite:///{database}") as running:
        yield running


@pytest.fixture
def client(agent_server: ServerProcess) -> Iterator[Client]:
    with Client(api_server=agent_server.graphql_url, backoff=0.05) as c:
        yield c


@pytest.fixture(scope="session")
def project(agent_server: ServerProcess) -> str:
    with Client(api_server=agent_server.graphql_url) as c:
        c.create_project("agent-tests")
    return "agent-tests"


@pytest.fixture
def labels() -> list[str]:
    """A label no other test's runs carry."""
    return [f"test-{uuid.uuid4().hex[:8]}"]
