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


@pytest.fixture
def open_notebook(lab: Lab, page: Any) -> Any:
    """A function that writes a notebook of code ``cells`` to the lab's root dir as ``name``,
    opens it in the page and waits until its kernel is idle (nothing is run yet)."""
    import nbformat

    def open_(name: str, cells: list[str]) -> None:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nbformat.write(nb, str(lab.root / name))
        page.goto(lab.page_url(name))
        page.wait_for_function(
            "(n) => window.jupyterapp?.shell?.currentWidget?.sessionContext"
            " && document.querySelectorAll('.jp-Notebook .jp-Cell').length === n",
            arg=len(cells),
            timeout=45_000,
        )
        page.evaluate(
            """async () => {
              const w = window.jupyterapp.shell.currentWidget;
              await w.context.ready;
              await w.sessionContext.ready;
            }"""
        )
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status"
            " === 'idle'",
            timeout=30_000,
        )

    return open_


#: JS: whether every cell has run (a number in each prompt) and the stderr/error outputs so far
NOTEBOOK_STATUS = """() => ({
  done: [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')]
    .every((e) => /\\[\\d+\\]/.test(e.textContent)),
  stderr: [...document.querySelectorAll(
    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
    .map((e) => e.textContent),
  errors: [...document.querySelectorAll(
    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")]
    .map((e) => e.textContent),
})"""


@pytest.fixture
def run_all_cells(lab: Lab, page: Any, console: Console, artifacts: pathlib.Path) -> Any:
    """A function that runs every cell of the open notebook and waits (up to ``timeout`` s)
    until every cell has run, failing at once on stderr or error outputs and page errors.
    ``while_busy`` (if given) is called about every 100 ms while cells run."""

    def run(timeout: float, while_busy: Any = None, shot: str = "run-timeout") -> None:
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        deadline = time.monotonic() + timeout
        while True:
            lab.check_alive()
            status = page.evaluate(NOTEBOOK_STATUS)
            if status["stderr"] or status["errors"]:
                page.screenshot(path=artifacts / f"{shot}-output.png", full_page=True)
                pytest.fail("stderr or error output in the notebook:\n"
                            + "\n---\n".join(status["stderr"] + status["errors"]))
            if console.errors:
                pytest.fail("page errors:\n" + "\n".join(console.errors))
            if status["done"]:
                return
            if while_busy is not None:
                while_busy()
            if time.monotonic() > deadline:
                page.screenshot(path=artifacts / f"{shot}.png", full_page=True)
                pytest.fail(f"the notebook did not finish within {timeout} s")
            time.sleep(0.1)

    return run
