"""The JupyterLab extension in a real browser: sidebar, live run view, quick run, no-server message.

A real prefect_jupyter API server (ServerProcess, SQLite) holds a registered flow and a run made
with the client; JupyterLab (this venv, our labextension and server extension installed) forwards
to it through the server extension. The test plays the agent's part with the client (it sets the
states and writes the logs an agent would), so every change it makes must show in the browser
within the panels' polling interval; a second test starts a run from the sidebar's Run form and a
real local agent executes it.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

XSS_NAME = '<img src=x onerror="window.__pjXss=1">'
FLOWS_MODULE = f"""\
import os
import pathlib
import time

from prefect_jupyter import Flow, Parameter, task


@task
def slow(n):
    # run by an agent: waits until the test has seen the run live (the file), at most 60 s
    release = os.environ.get("PJ_LAB_RELEASE")
    deadline = time.monotonic() + 60
    while release and not pathlib.Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return n


@task
def inc(x):
    return x + 1


@task(name={XSS_NAME!r})
def shout(x):
    return x


with Flow("lab-demo") as demo:
    n = Parameter("n", default=3)
    shout(slow(n))
    inc.map([1, 2, 3, 4, 5])
"""
#: how long a change may take to show: one polling interval (1 s) plus the requests
LIVE_MS = 2500


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The flows module, importable here and by the agent (its dir goes on --import-path)."""
    path = tmp_path_factory.mktemp("flows")
    (path / "pj_lab_flows.py").write_text(FLOWS_MODULE)
    sys.path.insert(0, str(path))
    try:
        import pj_lab_flows

        yield pj_lab_flows
    finally:
        sys.path.remove(str(path))
        sys.modules.pop("pj_lab_flows", None)


@pytest.fixture(scope="module")
def api_server() -> Iterator[Any]:
    process = pytest.importorskip("prefect_jupyter.server.process")
    with process.ServerProcess() as server:
        yield server


@pytest.fixture(scope="module")
def client(api_server: Any) -> Any:
    from prefect_jupyter.client import Client

    return Client(api_server.graphql_url)


@pytest.fixture(scope="module")
def registered(client: Any, flows: Any) -> dict[str, Any]:
    """The demo flow registered, one run of it, and its tasks' ids by slug."""
    client.create_project("lab")
    flow_id = client.register(flows.demo, project_name="lab", no_url=True)
    run_id = client.create_flow_run(flow_id, run_name="<b>first run</b>")
    tasks = client.graphql(
        "query($id: uuid!) { task(where: {flow_id: {_eq: $id}}) { id slug } }", {"id": flow_id}
    )["data"]["task"]
    return {"flow_id": flow_id, "run_id": run_id, "tasks": {t["slug"]: t["id"] for t in tasks}}


@pytest.fixture(scope="module")
def lab(jupyter_factory: Any, api_server: Any) -> Any:
    return jupyter_factory(
        "jupyterlab",
        ["--LabApp.expose_app_in_browser=True",
         f"--PrefectApiProxy.graphql_url={api_server.graphql_url}"],
        "jupyterlab-prefect-panels.log",
    )  # fmt: skip


def _jupyter(lab: Any, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "jupyter", *args],
        env=lab.env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)


def test_the_labextension_and_server_extension_are_installed_and_enabled(lab: Any) -> None:
    labext = _jupyter(lab, "labextension", "list")
    assert re.search(r"prefect-jupyter v\S+ enabled OK \(python, prefect-jupyter\)", labext), labext
    serverext = _jupyter(lab, "server", "extension", "list")
    assert re.search(r"prefect_jupyter\.jupyter\.server_extension\s+enabled", serverext), serverext
    # the installed bundle is the one built from the current sources
    from jupyter_core.paths import jupyter_path

    built = pathlib.Path(__file__).parents[2] / "prefect_jupyter" / "labextension" / "package.json"
    installed = [
        pathlib.Path(d) / "prefect-jupyter" / "package.json"
        for d in jupyter_path("labextensions")
        if (pathlib.Path(d) / "prefect-jupyter" / "package.json").exists()
    ]
    assert installed, "the labextension is not installed: run `pip install -e .`"
    entry = json.loads(built.read_text())["jupyterlab"]["_build"]["load"]
    assert json.loads(installed[0].read_text())["jupyterlab"]["_build"]["load"] == entry, (
        "the installed labextension is older than prefect_jupyter/labextension: run "
        "`pip install -e .` again"
    )


def _open_sidebar(page: Any, lab: Any) -> Any:
    page.goto(f"{lab.url}/lab?token={lab.token}")
    page.wait_for_selector(".jp-LabShell", timeout=60_000)
    # JupyterLab restores the last workspace's layout (the side bar open or not) after the shell
    # appears: decide on the click only once it has (a click before could be undone by it)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")
    tab = page.locator(".jp-SideBar .lm-TabBar-tab[data-id='prefect-jupyter-sidebar']")
    tab.wait_for(timeout=15_000)
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()  # (the workspace may have restored it open: a click would close it)
    page.wait_for_selector("#prefect-jupyter-sidebar[data-loaded='true']", timeout=15_000)
    return page.locator("#prefect-jupyter-sidebar")


def _wait(page: Any, js: str, arg: Any = None, timeout: float = LIVE_MS) -> float:
    """Wait until `js` (a function of arg) is truthy; returns how long it took in ms."""
    start = time.monotonic()
    page.wait_for_function(js, arg=arg, timeout=timeout)
    return (time.monotonic() - start) * 1000


def _now() -> str:
    return datetime.now(UTC).isoformat()


def test_sidebar_lists_flows_and_runs_and_the_run_view_follows_the_run_live(
    page: Any,
    lab: Any,
    client: Any,
    registered: dict[str, Any],
    artifacts: pathlib.Path,
    console: Any,
) -> None:
    from prefect_jupyter.engine.state import Failed, Mapped, Running, Success

    flow_id, run_id, tasks = registered["flow_id"], registered["run_id"], registered["tasks"]
    sidebar = _open_sidebar(page, lab)
    flow_row = sidebar.locator(f".pj-lab-flow[data-id='{flow_id}']")
    assert flow_row.locator(".pj-lab-flow-name").text_content() == "lab-demo"
    assert flow_row.locator(".pj-lab-flow-version").text_content() == "v1"
    assert flow_row.locator(".pj-lab-flow-project").text_content() == "lab"
    run_row = sidebar.locator(f".pj-lab-run[data-id='{run_id}']")
    assert run_row.locator(".pj-lab-run-name").text_content() == "<b>first run</b>"
    assert run_row.locator(".pj-badge").text_content() == "Scheduled"
    page.screenshot(path=str(artifacts / "lab-sidebar.png"))

    latencies = {}
    client.set_flow_run_state(run_id, Running("Running flow."))
    latencies["sidebar Running"] = _wait(
        page, "id => document.querySelector(`.pj-lab-run[data-id='${id}']`)?.dataset.state === 'Running'",
        run_id,
    )  # fmt: skip

    run_row.click()
    view = page.locator(f".pj-lab-runview[data-run-id='{run_id}'][data-loaded='true']")
    view.locator(".pj-node").first.wait_for(timeout=10_000)
    names = view.locator(".pj-node .pj-label").all_text_contents()
    assert sorted(names) == sorted(["n", "slow", "inc", XSS_NAME, "Constant[list]"])
    assert view.locator(".pj-badge").first.text_content() == "Running"
    tab_title = page.locator(
        "#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel"
    )
    assert tab_title.text_content() == "lab-demo · <b>first run</b>"

    def set_task(slug: str, state: Any, map_index: int | None = None) -> None:
        info = client.get_task_run_info(run_id, tasks[slug], map_index=map_index)
        client.set_task_run_state(info.id, state)

    node_state = (
        "([id, slug, s]) => document.querySelector("
        "`.pj-lab-runview[data-run-id='${id}'] .pj-node[data-id='${slug}']`)?.dataset.state === s"
    )
    set_task("slow-1", Running("Starting task run."))
    latencies["node Running"] = _wait(page, node_state, [run_id, "slow-1", "Running"])
    set_task("slow-1", Success("Task run succeeded."))
    latencies["node Success"] = _wait(page, node_state, [run_id, "slow-1", "Success"])
    shout = next(s for s in tasks if s.startswith("<img"))
    set_task(shout, Failed("boom: <script>alert(1)</script>"))
    latencies["node Failed"] = _wait(page, node_state, [run_id, shout, "Failed"])

    set_task("inc-1", Mapped("Ready to proceed with mapping."))
    for i, state in enumerate([Success(), Success(), Success(), Failed("no"), Running()]):
        set_task("inc-1", state, map_index=i)
    latencies["mapped counts"] = _wait(
        page,
        "id => document.querySelector(`.pj-lab-runview[data-run-id='${id}'] "
        ".pj-node[data-id='inc-1'] .pj-counts`)?.textContent === '3/5 · 1 failed'",
        run_id,
    )

    client.write_run_logs([
        {"flow_run_id": run_id, "task_run_id": None, "timestamp": _now(), "level": "ERROR",
         "name": "prefect_jupyter.TaskRunner", "message": "<b>boom</b> in shout", "info": None},
    ])  # fmt: skip
    latencies["log line"] = _wait(
        page,
        "id => [...document.querySelectorAll(`.pj-lab-runview[data-run-id='${id}'] .pj-lab-log`)]"
        ".some(e => e.textContent.endsWith('| <b>boom</b> in shout'))",
        run_id,
    )
    client.set_flow_run_state(run_id, Failed("Some reference tasks failed."))
    latencies["run Failed"] = _wait(
        page,
        "id => document.querySelector(`.pj-lab-runview[data-run-id='${id}']`)?.dataset.state === 'Failed'",
        run_id,
    )  # fmt: skip
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "lab-run-view.png"))
    (artifacts / "lab-live-latency-ms.json").write_text(json.dumps(latencies, indent=1))

    # user text is text: the task named like an <img> tag made no element and ran no script
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    assert page.evaluate("window.__pjXss") is None
    fill = page.evaluate(
        "([id, slug]) => getComputedStyle(document.querySelector("
        "`.pj-lab-runview[data-run-id='${id}'] .pj-node[data-id='${slug}'] .pj-box`)).fill",
        [run_id, "slow-1"],
    )
    assert fill == "rgb(40, 167, 69)"  # Success green, from the widget's own CSS
    assert not console.errors


def test_sidebar_says_how_to_start_a_server_when_none_runs(
    page: Any, lab: Any, api_server: Any, registered: dict[str, Any], artifacts: pathlib.Path
) -> None:
    sidebar = _open_sidebar(page, lab)
    api_server.stop()
    try:
        _wait(
            page,
            "() => document.querySelector('#prefect-jupyter-sidebar')?.dataset.error === 'true'",
        )
        message = sidebar.locator(".pj-lab-error").text_content()
        assert message.startswith(
            f"No prefect_jupyter server at {api_server.url} — start one with "
            "`prefect-jupyter server start`"
        )
        page.screenshot(path=str(artifacts / "lab-sidebar-no-server.png"))
    finally:
        api_server.restart()
    _wait(
        page,
        "() => document.querySelector('#prefect-jupyter-sidebar')?.dataset.error === 'false'",
        timeout=10_000,
    )
    assert sidebar.locator(f".pj-lab-flow[data-id='{registered['flow_id']}']").count() == 1


@pytest.fixture
def agent(api_server: Any, flows: Any, artifacts: pathlib.Path, lab: Any) -> Iterator[Any]:
    """A real local agent polling the API server every 0.2 s; stopped by PID."""
    log_path = artifacts / "lab-agent.log"
    cmd = [
        sys.executable, "-c", "from prefect_jupyter.cli import main; main()",
        "agent", "local", "start",
        "--api", api_server.graphql_url, "--poll-interval", "0.2",
        "--import-path", str(pathlib.Path(flows.__file__).parent),
    ]  # fmt: skip
    (artifacts / "lab-release").unlink(missing_ok=True)
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cmd, env={**os.environ, "PREFECT_JUPYTER__USER_CONFIG_PATH": lab.env["PREFECT_JUPYTER__USER_CONFIG_PATH"],
                      "PJ_LAB_RELEASE": str(artifacts / "lab-release")},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_quick_run_form_starts_a_run_that_an_agent_executes(
    page: Any, lab: Any, registered: dict[str, Any], agent: Any, artifacts: pathlib.Path
) -> None:
    sidebar = _open_sidebar(page, lab)
    flow_row = sidebar.locator(f".pj-lab-flow[data-id='{registered['flow_id']}']")
    flow_row.locator(".pj-lab-quickrun").click()
    field = flow_row.locator(".pj-lab-param-value[name='n']")
    assert field.input_value() == "3"  # the parameter's default
    field.fill("7")
    flow_row.locator(".pj-lab-run-button").click()
    view = page.locator(f".pj-lab-runview:not([data-run-id='{registered['run_id']}'])")
    view.locator(".pj-node").first.wait_for(timeout=10_000)
    states = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = view.get_attribute("data-state")
        if not states or states[-1] != state:
            states.append(state)
        if state == "Running":  # seen live: let its task finish
            (artifacts / "lab-release").touch()
        if state in ("Success", "Failed"):
            break
        if agent.poll() is not None:
            pytest.fail(f"the agent exited:\n{(artifacts / 'lab-agent.log').read_text()[-3000:]}")
        time.sleep(0.1)
    page.wait_for_timeout(1500)  # the last tick for trailing logs
    page.screenshot(path=str(artifacts / "lab-quick-run.png"))
    assert states[-1] == "Success", (states, (artifacts / "lab-agent.log").read_text()[-3000:])
    # seen live, not only the end: its task waits until the view has shown the run Running
    assert "Running" in states[:-1], states
    assert view.locator(".pj-node[data-id='slow-1']").get_attribute("data-state") == "Success"
    assert view.locator(".pj-node[data-id='inc-1'] .pj-counts").text_content() == "5/5"
    assert view.locator(".pj-lab-params").text_content() == "Parameters: n=7"
    logs = view.locator(".pj-lab-log").all_text_contents()
    assert any("slow" in line for line in logs), logs  # the run's logs, sent by the agent
