"""Fixtures for the web UI's browser tests: a real server with its UI, a real local agent, and
headless Debian Chromium driven by Python Playwright.

The server runs as a subprocess on free loopback ports with an SQLite file in a temp dir; the
agent runs in a thread of the test process and starts each flow run as a subprocess that
imports ``ui_demo_flows`` from this directory. Screenshots and browser console logs go to
``tests/artifacts/browser/`` (gitignored), named ``ui-*``.
"""

from __future__ import annotations

import pathlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

HERE = pathlib.Path(__file__).resolve().parent


@dataclass
class Backend:
    """The running server (with its UI) and a project to register flows in."""

    server: Any
    project: str

    @property
    def ui_url(self) -> str:
        return self.server.ui_url

    def client(self) -> Any:
        from prefect_jupyter.client import Client

        return Client(api_server=self.server.graphql_url)

    def register(self, flow: Any) -> str:
        from prefect_jupyter.utilities.configuration import set_temporary_config

        with set_temporary_config({"cloud.graphql": self.server.graphql_url}):
            return flow.register(project_name=self.project, no_url=True)

    def query(self, query: str, variables: dict | None = None) -> Any:
        with self.client() as client:
            return client.graphql(query, variables).data


@pytest.fixture
def artifact_prefix() -> str:
    """The UI tests' artifacts are named ``ui-*``."""
    return "ui-"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """The server and its UI in a subprocess (free ports, SQLite in tmp), with a project."""
    process = pytest.importorskip("prefect_jupyter.server.process")
    database = tmp_path_factory.mktemp("ui-server") / "server.db"
    server = process.ServerProcess(
        database_url=f"sqlite:///{database}",
        ui_port=process.free_port(),
        startup_timeout=90,  # migrations on a busy CI machine
    )
    with server:
        running = Backend(server, f"ui-{uuid.uuid4().hex[:8]}")
        with running.client() as client:
            client.create_project(running.project)
        yield running


@pytest.fixture(scope="module")
def agent(backend: Backend) -> Iterator[Any]:
    """A real local agent polling the server; its flow runs import this directory's modules."""
    from prefect_jupyter.agent import LocalAgent

    local = LocalAgent(
        name="ui-test-agent",
        labels=[],
        api=backend.server.graphql_url,
        poll_interval=0.3,
        import_paths=[str(HERE)],
    )
    thread = threading.Thread(target=local.start, name="ui-test-agent", daemon=True)
    thread.start()
    try:
        yield local
    finally:
        local.stop(terminate_runs=True)
        thread.join(timeout=60)
