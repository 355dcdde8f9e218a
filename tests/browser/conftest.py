"""Fixtures for the real-browser tests: a throwaway JupyterLab server and headless Chromium.

The server runs on 127.0.0.1 with a free port and a random token; its root dir, config,
settings, workspaces, data and IPython dirs all live in a temp dir, and it is stopped by PID
at the end. Chromium is Debian's (/usr/bin/chromium) driven by Python Playwright; no
``playwright install`` browsers are used. Screenshots, the browser console log and the server
log go to ``tests/artifacts/browser/`` (gitignored).
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
from dataclasses import dataclass, field
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = pathlib.Path(__file__).resolve().parents[1] / "artifacts" / "browser"
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
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    root: pathlib.Path
    process: subprocess.Popen
    log_path: pathlib.Path

    def check_alive(self) -> None:
        """Fail at once when the server process has exited."""
        code = self.process.poll()
        if code is not None:
            pytest.fail(f"JupyterLab exited with code {code}:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def page_url(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}"


@dataclass
class Console:
    """Console messages and page errors seen by the browser."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str, token: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
            return r.status
    except (urllib.error.URLError, OSError):
        return None


@pytest.fixture(scope="session")
def artifacts() -> pathlib.Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, artifacts: pathlib.Path) -> Iterator[Lab]:
    """Start JupyterLab (this venv's Python) in a temp dir; stop it by PID afterwards."""
    pytest.importorskip("jupyterlab")
    base = tmp_path_factory.mktemp("lab")
    root, home = base / "root", base / "home"
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "workspaces",
        "IPYTHONDIR": home / "ipython",
    }
    for d in [root, *dirs.values()]:
        d.mkdir(parents=True)
    news = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    env = {
        **os.environ,
        **{k: str(v) for k, v in dirs.items()},
        # Task logs would show as stderr outputs; the test fails on any stderr output instead.
        "PREFECT_JUPYTER__LOGGING__LEVEL": "CRITICAL",
        "PREFECT_JUPYTER__USER_CONFIG_PATH": str(home / "no-user-config.toml"),
    }
    port, token = _free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True", "--ServerApp.allow_root=True",
    ]  # fmt: skip
    log_path = artifacts / "jupyterlab.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Lab(url, token, root, proc, log_path)
    try:
        deadline = time.monotonic() + 60
        while _status(url, token) != 200:
            server.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within 60 s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server (it shuts its kernels down on SIGTERM); its session, by its PID, if stuck."""
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
    profile = tmp_path / "chromium-profile"
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
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
