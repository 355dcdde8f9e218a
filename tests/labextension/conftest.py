"""Fixtures for the labextension tests: real Jupyter servers (and JupyterLab) as subprocesses.

Each server runs this venv's Python on 127.0.0.1 with a free port and a random token; its root,
config, data, runtime, settings and workspaces dirs live in a temp dir, and it is stopped by PID.
The patterns follow tests/browser/conftest.py (Debian chromium, artifacts in
tests/artifacts/browser/).
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

ARTIFACTS = pathlib.Path(__file__).resolve().parents[1] / "artifacts" / "browser"
EXTENSION = "prefect_jupyter.jupyter.server_extension"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    body: Any


@dataclass
class JupyterServer:
    """A running Jupyter server (plain jupyter_server or JupyterLab)."""

    url: str
    token: str
    root: pathlib.Path
    env: dict[str, str]
    process: subprocess.Popen
    log_path: pathlib.Path

    def check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            pytest.fail(f"Jupyter exited with code {code}:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = "default"
    ) -> Response:
        """An HTTP request to the server, authenticated with its token unless token=None."""
        headers = {"Content-Type": "application/json"}
        token = self.token if token == "default" else token
        if token:
            headers["Authorization"] = f"token {token}"
        data = (
            None
            if body is None
            else (body if isinstance(body, bytes) else json.dumps(body).encode())
        )
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return Response(status, json.loads(raw))
        except ValueError:
            return Response(status, raw.decode(errors="replace"))


def _status(url: str, token: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
            return r.status
    except (urllib.error.URLError, OSError):
        return None


def jupyter_env(home: pathlib.Path) -> dict[str, str]:
    """Environment with Jupyter's and IPython's dirs under `home` (created)."""
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "workspaces",
        "IPYTHONDIR": home / "ipython",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    news = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    return {
        **os.environ,
        **{k: str(v) for k, v in dirs.items()},
        "PREFECT_JUPYTER__LOGGING__LEVEL": "CRITICAL",
        "PREFECT_JUPYTER__USER_CONFIG_PATH": str(home / "no-user-config.toml"),
    }


def start_jupyter(
    base: pathlib.Path, app: str, args: list[str], log_path: pathlib.Path
) -> JupyterServer:
    """Start `python -m <app>` (jupyter_server or jupyterlab) and wait until it answers."""
    root, home = base / "root", base / "home"
    root.mkdir(parents=True, exist_ok=True)
    env = jupyter_env(home)
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", app, "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_root=True", *args,
    ]  # fmt: skip
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = JupyterServer(url, token, root, env, proc, log_path)
    deadline = time.monotonic() + 60
    try:
        while _status(url, token) != 200:
            server.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(f"Jupyter did not answer within 60 s:\n{server.log_tail()}")
            time.sleep(0.2)
    except BaseException:
        stop_jupyter(proc)
        raise
    return server


def stop_jupyter(proc: subprocess.Popen) -> None:
    """Stop the server (SIGTERM, then SIGKILL), and its session's leftovers, by its PID."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    try:  # kernels left behind are in the server's session (pgid == the server's PID)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture(scope="session")
def artifacts() -> pathlib.Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def jupyter_factory(
    tmp_path_factory: pytest.TempPathFactory, artifacts: pathlib.Path
) -> Iterator[Any]:
    """`start(app, args, log_name) -> JupyterServer`; every server started is stopped after the
    module's tests."""
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
def unused_port() -> Any:
    """A function returning a free TCP port on 127.0.0.1."""
    return free_port


CHROMIUM = "/usr/bin/chromium"
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

    lines: list[str]
    errors: list[str]


@pytest.fixture
def console() -> Console:
    return Console([], [])


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
            viewport={"width": 1280, "height": 860},
        )
        try:
            pg = context.pages[0] if context.pages else context.new_page()
            pg.on("console", lambda m: console.lines.append(f"[{m.type}] {m.text}"))
            pg.on("pageerror", lambda e: console.errors.append(str(e)))
            yield pg
        finally:
            log = [*console.lines, *(f"[pageerror] {e}" for e in console.errors)]
            (artifacts / f"{request.node.name}-console.log").write_text("\n".join(log) + "\n")
            context.close()
