"""Real Jupyter servers (plain jupyter_server or JupyterLab) as subprocesses, for tests.

Each runs this venv's Python on 127.0.0.1 with a free port and a random token; its root, config,
data, runtime, settings, workspaces and IPython dirs live in a temp dir (JupyterLab's news popup
off), and it is stopped by its PID (its session too: kernels left behind).
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
from dataclasses import dataclass
from typing import Any

import pytest


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
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
        """Fail at once when the server process has exited."""
        code = self.process.poll()
        if code is not None:
            pytest.fail(f"Jupyter exited with code {code}:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def page_url(self, path: str) -> str:
        """JupyterLab's URL opening ``path`` (relative to the root dir), with the token."""
        return f"{self.url}/lab/tree/{path}?token={self.token}"

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
        # task logs would show as stderr outputs; browser tests fail on any stderr output instead
        "PREFECT_JUPYTER__LOGGING__LEVEL": "CRITICAL",
        "PREFECT_JUPYTER__USER_CONFIG_PATH": str(home / "no-user-config.toml"),
    }


def start_jupyter(
    base: pathlib.Path, app: str, args: list[str], log_path: pathlib.Path
) -> JupyterServer:
    """Start `python -m <app>` (jupyter_server or jupyterlab) and wait until it answers."""
    pytest.importorskip(app)
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
    deadline = time.monotonic() + 90  # a cold start on a loaded machine
    try:
        while _status(url, token) != 200:
            server.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(f"Jupyter did not answer within 90 s:\n{server.log_tail()}")
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
