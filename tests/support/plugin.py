"""The shared fixtures (registered by tests/conftest.py through ``pytest_plugins``)."""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from support.browser import Console, chromium_page
from support.jupyter_server import JupyterServer, free_port, start_jupyter, stop_jupyter

#: screenshots, console and server logs of the browser tests (gitignored)
ARTIFACTS = pathlib.Path(__file__).resolve().parents[1] / "artifacts" / "browser"


@pytest.fixture(scope="session")
def artifacts() -> pathlib.Path:
    """The folder for screenshots and logs worth reading after a browser test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def artifact_prefix() -> str:
    """Prefix of this test's artifact file names (a folder's conftest may override it)."""
    return ""


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(
    tmp_path: pathlib.Path,
    artifacts: pathlib.Path,
    artifact_prefix: str,
    console: Console,
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    """A page of headless Debian Chromium with a fresh profile; its console log is saved as
    ``<prefix><test name>-console.log`` among the artifacts."""
    log_path = artifacts / f"{artifact_prefix}{request.node.name}-console.log"
    with chromium_page(tmp_path / "chromium-profile", console, log_path) as pg:
        yield pg


@pytest.fixture(scope="module")
def jupyter_factory(
    tmp_path_factory: pytest.TempPathFactory, artifacts: pathlib.Path
) -> Iterator[Callable[[str, list[str], str], JupyterServer]]:
    """`start(app, args, log_name) -> JupyterServer` for app "jupyter_server" or "jupyterlab";
    every server started is stopped (by PID) after the module's tests."""
    started: list[JupyterServer] = []

    def start(app: str, args: list[str], log_name: str) -> JupyterServer:
        server = start_jupyter(tmp_path_factory.mktemp(app), app, args, artifacts / log_name)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            stop_jupyter(server.process)


@pytest.fixture(scope="session")
def unused_port() -> Callable[[], int]:
    """A function returning a free TCP port on 127.0.0.1."""
    return free_port


@pytest.fixture
def shell() -> Iterator[Any]:
    """A real IPython ``InteractiveShell`` with ``%load_ext prefect_jupyter`` (live view off),
    reset before and after the test."""
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    ip = interactiveshell.InteractiveShell.instance()
    ip.reset()
    ip.run_line_magic("load_ext", "prefect_jupyter")
    ip.run_line_magic("config", "PrefectJupyter.live = False")
    yield ip
    ip.run_line_magic("unload_ext", "prefect_jupyter")
    ip.reset()
