"""Prefect 1.4.1's own CLI, client and agent, unchanged, against ``prefect-jupyter server start``.

Prefect 1 runs from its own venv (``scripts/prefect1-venv``, which ``scripts/test`` prepares):
``$PREFECT_JUPYTER_PREFECT1_PYTHON`` or ``~/.cache/prefect-jupyter-bench/prefect1``; without
one the test skips, saying how to make it. Its flows are in ``prefect1_side/``. Nothing between
Prefect 1 and the server is patched or proxied: Prefect 1 is configured as its users would
(``prefect backend server``, ``PREFECT__SERVER__ENDPOINT``), in a temporary home.

The server's heartbeat window is set short and the zombie killer runs every second, so the
sleeping task outlives several windows: it survives only because Prefect 1's heartbeats land.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from prefect_jupyter.server.process import free_port

SIDE = Path(__file__).resolve().parent / "prefect1_side"
CANDIDATES = [
    os.environ.get("PREFECT_JUPYTER_PREFECT1_PYTHON", ""),
    str(Path.home() / ".cache" / "prefect-jupyter-bench" / "prefect1" / "bin" / "python"),
]
PREFECT1 = next((c for c in CANDIDATES if c and Path(c).exists()), None)
HEARTBEAT_WINDOW = 8
SLEEP = 3 * HEARTBEAT_WINDOW

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        PREFECT1 is None,
        reason="no Prefect 1.4.1 venv: run scripts/prefect1-venv (scripts/test does), or set "
        "PREFECT_JUPYTER_PREFECT1_PYTHON to its python",
    ),
]


#: the web UI's address, set when the server starts
UI: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``prefect-jupyter server start`` on a free port (its web UI on another); its URL."""
    home = tmp_path_factory.mktemp("server")
    port, ui_port = free_port(), free_port()
    env = {
        **os.environ,
        "HOME": str(home),
        "PREFECT_JUPYTER__SERVER__SERVICES__HEARTBEAT_WINDOW": str(HEARTBEAT_WINDOW),
        "PREFECT_JUPYTER__SERVER__SERVICES__ZOMBIE_KILLER__LOOP_SECONDS": "1",
        "PREFECT_JUPYTER__SERVER__SERVICES__LAZARUS__LOOP_SECONDS": "1",
    }
    command = [str(Path(sys.executable).parent / "prefect-jupyter"), "server", "start",
               "--port", str(port), "--ui-port", str(ui_port),
               "--database-url", f"sqlite:///{home / 'server.db'}"]
    with open(home / "server.log", "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    UI["url"] = f"http://127.0.0.1:{ui_port}"
    try:
        _wait_healthy(url, process, home / "server.log")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not answer /health within 120 s: {log.read_text()}")


@pytest.fixture(scope="module")
def prefect1_env(server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Prefect 1's environment: a temporary home, pointed at our server."""
    home = tmp_path_factory.mktemp("prefect1-home")
    env = {
        "PATH": f"{Path(PREFECT1).parent}:{os.environ.get('PATH', '')}",  # type: ignore[arg-type]
        "HOME": str(home),
        "PREFECT__HOME_DIR": str(home / ".prefect"),
        "PREFECT__SERVER__ENDPOINT": server,
        "PREFECT__CLOUD__HEARTBEAT_INTERVAL": "1.0",
        "PYTHONPATH": str(SIDE),
        "LANG": "C.UTF-8",
    }
    # as a user would: the choice of backend is saved under PREFECT__HOME_DIR for what follows
    assert "server" in prefect1(env, "backend", "server").lower()
    # the documented setup step after starting a server
    created = prefect1(env, "server", "create-tenant", "--name", "default", "--slug", "default")
    assert "00000000-0000-4000-8000-000000000000" in created, created
    return env


def prefect1(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run ``prefect ARGS`` (Prefect 1's CLI); its output, after checking it succeeded."""
    return run_python(env, "-m", "prefect", *args, timeout=timeout)


def run_python(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run([PREFECT1, *args], env=env, cwd=SIDE, capture_output=True, text=True,  # type: ignore[list-item]
                          timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def graphql(server: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = httpx.post(f"{server}/graphql", json={"query": query, "variables": variables},
                      timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture(scope="module")
def agent(prefect1_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``prefect agent local start`` (Prefect 1's), stopped by its PID."""
    log_path = tmp_path_factory.mktemp("agent") / "agent.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [PREFECT1, "-m", "prefect", "agent", "local", "start", "--label", "p1",  # type: ignore[list-item]
             "--no-hostname-label"],
            env=prefect1_env, cwd=SIDE, stdout=log, stderr=subprocess.STDOUT,
        )
    yield log_path
    process.terminate()
    process.wait(timeout=60)


@pytest.mark.browser
def test_prefect1_registers_runs_and_reads_back_through_our_server(server, prefect1_env, agent, page):
    env = prefect1_env
    assert "demo created" in prefect1(env, "create", "project", "demo")
    local = prefect1(env, "register", "-p", "local_flow.py", "--project", "demo")
    assert "Registering 'p1-mapped'... Done" in local
    module = prefect1(env, "register", "-m", "p1mod", "--project", "demo")
    assert "Registering 'p1-module'... Done" in module
    assert "Flow URL" in run_python(env, "register_in_python.py", "demo")  # flow.register()
    flows = graphql(server, '{ flow(order_by: [{name: asc}, {version: asc}]) '
                            '{ name version archived library } }')["flow"]
    assert [(f["name"], f["version"], f["archived"], f["library"]) for f in flows] == [
        ("p1-mapped", 1, True, "prefect"), ("p1-mapped", 2, False, "prefect"),
        ("p1-module", 1, False, "prefect"),
    ]
    listed = prefect1(env, "get", "flows")
    assert "p1-mapped" in listed and "p1-module" in listed
    projects = prefect1(env, "get", "projects").splitlines()
    assert any(line.split()[:2] == ["demo", "2"] for line in projects), projects

    watched = prefect1(env, "run", "--name", "p1-mapped", "--param", f"sleep={SLEEP}", "--watch",
                       timeout=600)
    assert "Flow run succeeded" in watched, (watched, agent.read_text())
    assert "doubling 2" in watched
    assert "Flow run succeeded" in prefect1(env, "run", "--name", "p1-module", "--watch")
    # an agentless run: Prefect 1 executes it here, after reading its Scheduled state's times
    executed = prefect1(env, "run", "--name", "p1-module", "--execute")
    assert "Flow run succeeded!" in executed, executed
    assert "Success" in prefect1(env, "get", "flow-runs")

    run = graphql(server, """{ flow_run(where: {flow: {name: {_eq: "p1-mapped"}}}) {
        id state labels heartbeat
        task_runs(order_by: [{task: {slug: asc}}, {map_index: asc}]) {
          map_index state task { slug } states { state message } }
        logs(order_by: {timestamp: asc}) { message } } }""")["flow_run"]
    assert len(run) == 1
    run = run[0]
    assert run["state"] == "Success" and run["labels"] == ["p1"] and run["heartbeat"]
    assert [(t["task"]["slug"], t["map_index"], t["state"]) for t in run["task_runs"]] == [
        ("double-1", -1, "Mapped"), ("double-1", 0, "Success"), ("double-1", 1, "Success"),
        ("double-1", 2, "Success"), ("n", -1, "Success"), ("numbers-1", -1, "Success"),
        ("sleep", -1, "Success"), ("total-1", -1, "Success"),
    ]
    # the long task was never taken for a zombie: its heartbeats kept it alive
    histories = [s["state"] for t in run["task_runs"] for s in t["states"]]
    assert "Failed" not in histories and "Retrying" not in histories
    messages = [log["message"] for log in run["logs"]]
    assert "doubling 0" in messages and "total is 6" in messages

    seen = json.loads(run_python(env, "probe.py", run["id"]).strip().splitlines()[-1])
    assert seen["info_state"] == seen["view_state"] == "Success"
    assert ["total-1", -1, "Success"] in seen["task_runs"] and len(seen["task_runs"]) == 8
    assert "total is 6" in seen["log_messages"]
    assert (seen["flow_name"], seen["storage"], seen["projects"]) == ("p1-mapped", "Local", "demo")

    # and our web UI shows the run Prefect 1's agent executed: its state, tasks and logs
    page.goto(f"{UI['url']}/#/flow-run/{run['id']}")
    page.wait_for_function(
        "() => document.querySelector('.task-runs .pager-info')?.textContent.endsWith('of 8 task runs')",
        timeout=60_000,
    )
    page.wait_for_function(
        "() => document.querySelector('.logs')?.textContent.includes('total is 6')", timeout=60_000
    )
    table = page.locator(".task-runs").inner_text()
    assert "total" in table and "Success" in table
    assert "Success" in page.locator("main").inner_text()
