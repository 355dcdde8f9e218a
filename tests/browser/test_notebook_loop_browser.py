"""The notebook loop in a real browser (JupyterLab + Chromium), in a new user's steps.

* A node clicked while the run goes on (the cell busy, ``[*]``) shows its result and log lines;
  a successful run puts nothing on stderr; its log lines are in the widget's run log, with a
  level filter; a map over a literal list counts as one task ("1/1 tasks done").
* An interrupted map counts its cancelled children apart from the successful ones.
* A notebook saved after a run and reopened without its kernel shows the final states.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from support import lab_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

LOOP_FLOW = """\
import pathlib
import time

from prefect_jupyter import Flow, task
from prefect_jupyter.utilities.logging import get_logger

GATE = pathlib.Path("gate.txt")


@task
def first():
    get_logger("first").info("made 3 rows")
    get_logger("first").debug("row ids checked")
    return [1, 2, 3]


@task
def gate(rows):
    while not GATE.exists():  # the test opens the gate once it has read first's details
        time.sleep(0.05)
    get_logger("gate").info("gate opened")
    return len(rows)


with Flow("loop_demo") as loop_demo:
    gate(first())
"""
LOOP_CELLS = [
    # the test server's kernels log at CRITICAL (a user's default is INFO): ask for DEBUG
    "%load_ext prefect_jupyter\n%config PrefectJupyter.log_level = 'DEBUG'",
    LOOP_FLOW,
    "%flow run loop_demo",
    "%%task\ndef dbl(x):\n    return 2 * x\n",
    "%%flow pf\ndbl.map([1, 2])\n",
    "%flow run pf",
    "%flow rerun loop_demo --changed",
]
LOOP_RUN, PF_RUN, RERUN = 2, 5, 6

READ_PANEL = """(root) => {
  const panel = root.querySelector('.pj-details');
  if (!panel || panel.hidden) return null;
  const sections = {};
  for (const t of panel.querySelectorAll('.pj-section-title')) {
    const body = t.nextElementSibling;
    sections[t.textContent] = body && body.classList.contains('pj-section') ? body.textContent : null;
  }
  return { name: panel.querySelector('.pj-details-name')?.textContent, sections };
}"""

BUSY = """(i) => /\\[\\*\\]/.test(document.querySelectorAll('.jp-Notebook .jp-InputPrompt')[i].textContent)"""


@pytest.fixture(autouse=True)
def one_notebook_at_a_time(lab: Any) -> None:
    """Each test sees only its own notebook (and earlier tests' kernels are shut down)."""
    lab_notebook.forget_open_notebooks(lab)


def cell_widget(page: Any, index: int) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".pj-widget").last


def test_details_mid_run_quiet_stderr_run_log_and_literal_map(
    lab: Any, page: Any, console: Any, artifacts: Any, open_notebook: Any, run_all_cells: Any
) -> None:
    gate = lab.root / "gate.txt"
    gate.unlink(missing_ok=True)
    open_notebook("loop.ipynb", LOOP_CELLS)
    seen: dict[str, Any] = {}

    def while_busy() -> None:
        if "panel" in seen:
            return
        widget = cell_widget(page, LOOP_RUN)
        node = widget.locator('.pj-node[data-id="first-1"][data-state="Success"]')
        if not node.count():
            return
        try:
            assert page.evaluate(BUSY, LOOP_RUN), "the run cell should still be busy"
            node.click()
            page.wait_for_function(
                """(root) => {
                  const p = root.querySelector('.pj-details');
                  return p && !p.hidden && /made 3 rows/.test(p.textContent) && /\\[1, 2, 3\\]/.test(p.textContent);
                }""",
                arg=widget.element_handle(),
                timeout=20_000,
            )
            seen["panel"] = widget.evaluate(READ_PANEL)
            seen["busy"] = page.evaluate(BUSY, LOOP_RUN)  # still running: gate waits for the file
        finally:
            widget.screenshot(path=artifacts / "loop-details-mid-run.png")
            gate.write_text("open")  # never leave the kernel waiting

    run_all_cells(timeout=120, while_busy=while_busy, shot="loop")  # fails on any stderr output
    assert seen.get("busy") is True, seen
    panel = seen["panel"]
    assert panel["name"] == "first"
    assert panel["sections"]["Result"] == "[1, 2, 3]"
    assert re.search(r"INFO first: made 3 rows", panel["sections"]["Logs"])

    # the run log under the graph: INFO and up by default, DEBUG lines when picked
    widget = cell_widget(page, LOOP_RUN)
    widget.locator("details.pj-runlog summary").click()
    log = widget.locator("details.pj-runlog pre")
    page.wait_for_function("(e) => /gate opened/.test(e.textContent)", arg=log.element_handle())
    text = log.text_content()
    assert "INFO first: made 3 rows" in text and "INFO gate: gate opened" in text
    assert "INFO flow: Flow run SUCCESS" in text and "row ids checked" not in text
    widget.locator("details.pj-runlog select.pj-level").select_option("DEBUG")
    page.wait_for_function("(e) => /DEBUG first: row ids checked/.test(e.textContent)", arg=log.element_handle())
    assert "INFO gate: gate opened" in log.text_content()
    widget.screenshot(path=artifacts / "loop-run-log.png")

    # a map over a literal list: one task to do, not the literal as a second one
    pf = cell_widget(page, PF_RUN)
    assert pf.locator(".pj-header .pj-progress").inner_text() == "1/1 tasks done"
    assert pf.locator('.pj-node[data-kind="mapped"] .pj-counts').text_content() == "2/2"

    # a rerun with nothing changed reuses both results: the graph draws them as reused
    rerun = cell_widget(page, RERUN)
    assert sorted(rerun.evaluate(
        "(root) => [...root.querySelectorAll('.pj-node.pj-reused')].map((g) => g.dataset.id)"
    )) == ["first-1", "gate-1"]
    out = page.locator(".jp-Notebook .jp-Cell").nth(RERUN).locator(".jp-OutputArea").inner_text()
    assert "Rerunning nothing; reusing the rest." in out
    rerun.screenshot(path=artifacts / "loop-rerun-reused.png")
    assert not [line for line in console.lines if line.startswith("[error]")], console.lines


INTERRUPT_FLOW = """\
import time

from prefect_jupyter import Flow, task


@task
def items():
    return list(range(30))


@task
def each(i):
    time.sleep(0.25)
    return i


with Flow("long_map") as long_map:
    each.map(items())
"""
INTERRUPT_CELLS = ["%load_ext prefect_jupyter", INTERRUPT_FLOW, "%flow run long_map"]

COUNTS = """(root) => {
  const g = root.querySelector('.pj-node[data-id="each-1"]');
  if (!g) return null;
  const w = (c) => Number(g.querySelector(c).getAttribute('width'));
  return { text: g.querySelector('.pj-counts').textContent, ok: w('.pj-bar-ok'),
           other: w('.pj-bar-other'), full: w('.pj-bar') };
}"""


def test_an_interrupted_map_shows_its_cancelled_children(
    lab: Any, page: Any, console: Any, artifacts: Any, open_notebook: Any
) -> None:
    open_notebook("interrupt.ipynb", INTERRUPT_CELLS)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    deadline = time.monotonic() + 90
    while True:  # interrupt once a few children have succeeded
        lab.check_alive()
        widget = cell_widget(page, 2)
        got = widget.evaluate(COUNTS) if widget.count() else None
        if got and re.match(r"([3-9]|1\d)/30", got["text"]):
            break
        assert time.monotonic() < deadline, f"the map did not get going: {got}"
        time.sleep(0.05)
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.interrupt()")
    page.wait_for_function(f"() => !({BUSY})(2)", timeout=60_000)
    page.wait_for_function(
        "(root) => root.querySelector('.pj-header .pj-badge')?.textContent === 'Cancelled'",
        arg=cell_widget(page, 2).element_handle(),
        timeout=20_000,
    )
    widget = cell_widget(page, 2)
    widget.screenshot(path=artifacts / "interrupted-map.png")
    got = widget.evaluate(COUNTS)
    match = re.fullmatch(r"(\d+)/30(?: · (\d+) cancelled)?(?: · (\d+) not run)?", got["text"])
    assert match, got
    ok, cancelled, not_run = (int(g or 0) for g in match.groups())
    assert 3 <= ok < 30 and ok + cancelled + not_run == 30, got
    assert got["ok"] < got["full"]  # not a full green bar
    if cancelled:  # children the interrupt cancelled are counted apart, and drawn grey
        assert got["other"] > 0, got
    out = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-OutputArea").inner_text()
    assert "was interrupted" in out, out


REOPEN_FLOW = """\
from prefect_jupyter import Flow, task


@task
def numbers():
    return list(range(20))


@task
def square(x):
    return x * x


with Flow("saved_demo") as saved_demo:
    square.map(numbers())
"""
REOPEN_CELLS = ["%load_ext prefect_jupyter", REOPEN_FLOW, "%flow run saved_demo"]


def test_a_reopened_notebook_shows_the_final_states_without_a_kernel(
    lab: Any, page: Any, console: Any, artifacts: Any, open_notebook: Any, run_all_cells: Any
) -> None:
    open_notebook("saved.ipynb", REOPEN_CELLS)
    run_all_cells(timeout=90, shot="saved")
    widget = cell_widget(page, 2)
    page.wait_for_function(
        "(root) => root.querySelector('.pj-node[data-id=\"square-1\"] .pj-counts')?.textContent === '20/20'",
        arg=widget.element_handle(),
    )
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    page.goto(lab.page_url("saved.ipynb"))
    static = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".pj-lab-static-graph")
    static.wait_for(timeout=45_000)
    static.screenshot(path=artifacts / "saved-graph-reopened.png")
    node = static.locator('.pj-node[data-id="square-1"]')
    assert node.locator(".pj-counts").text_content() == "20/20"
    assert node.get_attribute("data-state") == "Mapped"
    assert static.locator('.pj-node[data-id="numbers-1"]').get_attribute("data-state") == "Success"


# -- an agent's run, watched live in the notebook --------------------------------------------------
@pytest.fixture(scope="module")
def agent_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real server (SQLite) with a project, and a local agent process for one label."""
    import os
    import subprocess
    import sys
    import uuid

    from prefect_jupyter.client import Client
    from prefect_jupyter.server.process import ServerProcess

    database = tmp_path_factory.mktemp("watch-server") / "server.db"
    label = f"lab-watch-{uuid.uuid4().hex[:8]}"
    with ServerProcess(database_url=f"sqlite:///{database}") as server:
        with Client(api_server=server.graphql_url) as client:
            client.create_project("nb")
        agent = subprocess.Popen(
            [sys.executable, "-c", "from prefect_jupyter.cli import main; main()", "agent", "local",
             "start", "--api", server.url, "--label", label, "--poll-interval", "0.2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            env=os.environ.copy(),
        )  # fmt: skip
        try:
            yield server, label
        finally:
            agent.terminate()
            agent.wait(timeout=30)


def test_an_agent_s_run_is_watched_live_in_the_notebook(
    lab: Any, page: Any, console: Any, artifacts: Any, open_notebook: Any, run_all_cells: Any,
    agent_server: Any,
) -> None:
    server, label = agent_server
    gate = lab.root / "agent-gate.txt"
    gate.unlink(missing_ok=True)
    cells = [
        f"%load_ext prefect_jupyter\nimport prefect_jupyter\n"
        f"prefect_jupyter.config.cloud.graphql = {server.graphql_url!r}",
        f"GATE = {str(gate)!r}",
        "%%task\ndef numbers():\n    return [1, 2, 3]\n",
        "%%task\ndef hold(x):\n    import pathlib, time\n"
        "    while not pathlib.Path(GATE).exists():\n        time.sleep(0.05)\n    return x * 10\n",
        "%%flow agent_demo\nhold.map(numbers())\n",
        f"run_id = %flow register agent_demo --project nb --labels {label} --run --watch",
    ]
    open_notebook("agent.ipynb", cells)
    run_all_cells(timeout=90, shot="agent")  # --watch leaves the cell free: the graph updates on
    widget = cell_widget(page, 5)
    try:
        # the agent's run, seen live: the map reads Running with its 3 children (none done)
        page.wait_for_function(
            """(root) => {
              const g = root.querySelector('.pj-node[data-kind="mapped"]');
              return g && g.dataset.state === 'Running' && g.querySelector('.pj-counts').textContent === '0/3';
            }""",
            arg=widget.element_handle(),
            timeout=90_000,
        )
        assert widget.locator(".pj-header .pj-badge").inner_text() == "Running"
        widget.screenshot(path=artifacts / "agent-run-mid.png")
    finally:
        gate.write_text("open")
    page.wait_for_function(
        "(root) => root.querySelector('.pj-header .pj-badge')?.textContent === 'Success'",
        arg=widget.element_handle(),
        timeout=90_000,
    )
    widget.screenshot(path=artifacts / "agent-run-final.png")
    assert widget.locator('.pj-node[data-kind="mapped"] .pj-counts').text_content() == "3/3"
    assert widget.locator(".pj-header .pj-progress").inner_text() == "2/2 tasks done"


# -- the Dask dashboard, linked from the header while a Dask executor runs -------------------------
DASK_FLOW = """\
import pathlib
import time

from prefect_jupyter import Flow, task
from prefect_jupyter.executors import DaskExecutor

GATE, LINK = pathlib.Path("dask-gate.txt"), pathlib.Path("dask-link.txt")


@task
def on_dask():
    from distributed import get_client

    LINK.write_text(get_client().dashboard_link)  # the URL distributed reports
    deadline = time.monotonic() + 60
    while not GATE.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return "done"


with Flow("dashboard_demo") as dashboard_demo:
    on_dask()
dashboard_demo.executor = DaskExecutor(cluster_kwargs={
    "n_workers": 1, "processes": False, "protocol": "tcp", "host": "127.0.0.1",
    "dashboard_address": "127.0.0.1:0",
})
"""


def test_the_header_links_to_the_dask_dashboard_while_a_dask_executor_runs(
    lab: Any, page: Any, artifacts: Any, open_notebook: Any, run_all_cells: Any
) -> None:
    pytest.importorskip("bokeh")
    import urllib.request

    gate, link_file = lab.root / "dask-gate.txt", lab.root / "dask-link.txt"
    gate.unlink(missing_ok=True)
    link_file.unlink(missing_ok=True)
    open_notebook("dashboard.ipynb", ["%load_ext prefect_jupyter", DASK_FLOW, "%flow run dashboard_demo"])
    seen: dict[str, Any] = {}

    def while_busy() -> None:
        if "href" in seen:
            return
        link = cell_widget(page, 2).locator(".pj-header a.pj-dashboard")
        if not link.count() or not link.is_visible():
            return
        try:
            seen["href"], seen["text"] = link.get_attribute("href"), link.inner_text()
            seen["busy"] = page.evaluate(BUSY, 2)
            direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with direct.open(seen["href"], timeout=60) as answer:  # it opens
                seen["status"], seen["page"] = answer.status, answer.read(4000).decode(errors="replace")
            cell_widget(page, 2).screenshot(path=artifacts / "dask-dashboard-link.png")
        finally:
            gate.write_text("open")  # never leave the kernel waiting

    run_all_cells(timeout=120, while_busy=while_busy, shot="dask-dashboard")
    assert seen.get("busy") is True, seen  # shown while the run went on
    assert seen["href"] == link_file.read_text() and seen["href"].startswith("http://127.0.0.1:")
    assert seen["text"] == "Dask dashboard" and seen["status"] == 200 and "Dask" in seen["page"]
    widget = cell_widget(page, 2)
    page.wait_for_function(
        "(root) => root.querySelector('.pj-header .pj-badge')?.textContent === 'Success'",
        arg=widget.element_handle(), timeout=30_000,
    )
    # the executor's cluster closed with the run: no link to a dashboard that is gone
    assert not widget.locator(".pj-header a.pj-dashboard").is_visible()
