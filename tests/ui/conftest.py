"""Fixtures for the web UI's browser tests: a real server with its UI, a real local agent, and
headless Debian Chromium driven by Python Playwright.

The server runs as a subprocess on free loopback ports with an SQLite file in a temp dir; the
agent runs in a thread of the test process and starts each flow run as a subprocess that
imports ``ui_demo_flows`` from this directory. Screenshots and browser console logs go to
``tests/artifacts/browser/`` (gitignored), named ``ui-*``.
"""

from __future__ import annotations

import os
import pathlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
HERE = pathlib.Path(__file__).resolve().parent
ARTIFACTS = HERE.parents[0] / "artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Console:
    """Console messages and page errors seen by the browser."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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


@pytest.fixture(scope="session")
def artifacts() -> pathlib.Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


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


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(
    tmp_path: pathlib.Path,
    artifacts: pathlib.Path,
    console: Console,
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    """A page of headless Debian Chromium with a fresh profile; its console log is saved."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: run scripts/system-deps")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            pg = context.pages[0] if context.pages else context.new_page()
            pg.set_default_timeout(30_000)
            pg.on("console", lambda m: console.lines.append(f"[{m.type}] {m.text}"))
            pg.on("pageerror", lambda e: console.errors.append(str(e)))
            yield pg
        finally:
            log = [*console.lines, *(f"[pageerror] {e}" for e in console.errors)]
            (artifacts / f"ui-{request.node.name}-console.log").write_text("\n".join(log) + "\n")
            context.close()
