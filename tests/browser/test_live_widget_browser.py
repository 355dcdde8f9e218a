"""The live DAG widget in a real browser: JupyterLab + headless Chromium, asserted from the DOM.

A notebook loads the extension, defines a flow with a slow task, a failing task with a retry and
a mapped task, shows it and runs it with ``%flow run``. While the run goes on, an in-page sampler
records every node's computed fill colour and the mapped node's counts text, so the test sees
the colours change live (Running before Success, Retrying before Failed) and the counts rise.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

FLOW_CELL = """\
import datetime
import time

from prefect_jupyter import Flow, task


@task
def slow():
    time.sleep(2)
    return 1


@task(max_retries=1, retry_delay=datetime.timedelta(seconds=1))
def flaky(x):
    raise ValueError("boom")


@task
def items():
    return list(range(6))


@task
def each(i):
    time.sleep(0.3)
    return i


with Flow("live_demo") as live_demo:
    flaky(slow())
    each.map(items())
"""
CELLS = ["%load_ext prefect_jupyter", FLOW_CELL, "%flow show live_demo", "%flow run live_demo"]
RUN_CELL = 3

RUNNING = "rgb(61, 103, 255)"  # #3d67ff
SUCCESS = "rgb(40, 167, 69)"  # #28a745
RETRYING = "rgb(246, 106, 10)"  # #f66a0a
FAILED = "rgb(235, 0, 0)"  # #eb0000
MAPPED = "rgb(0, 60, 203)"  # #003ccb

# Samples the run cell's widget every 40 ms: per node, the distinct successive (state, fill,
# counts) triples; plus stderr outputs and busy prompts anywhere in the notebook.
SAMPLER = """(runCell) => {
  const rec = { nodes: {}, stderr: [], svg: false, t0: performance.now() };
  window.__pj = rec;
  const tick = () => {
    rec.stderr = [...document.querySelectorAll(
      ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
      .map((e) => e.textContent);
    rec.busy = [...document.querySelectorAll(".jp-Notebook .jp-InputPrompt")]
      .some((e) => e.textContent.includes("[*]"));
    const cell = document.querySelectorAll(".jp-Notebook .jp-Cell")[runCell];
    const svg = cell && cell.querySelector(".pj-widget svg.pj-graph");
    if (!svg) return;
    if (!rec.svg) cell.scrollIntoView({ block: "start" }); // for the mid-run screenshot
    rec.svg = true;
    for (const g of svg.querySelectorAll(".pj-node")) {
      const id = g.dataset.id;
      const counts = g.querySelector(".pj-counts");
      const now = [g.dataset.state, getComputedStyle(g.querySelector(".pj-box")).fill,
                   counts ? counts.textContent : null];
      const seen = (rec.nodes[id] = rec.nodes[id] || []);
      const last = seen[seen.length - 1];
      if (!last || now.some((v, i) => v !== last[i]))
        seen.push([...now, Math.round(performance.now() - rec.t0)]);
    }
  };
  rec.timer = setInterval(tick, 40);
  tick();
}"""


def sample(page: Any) -> dict:
    return page.evaluate(
        "() => { const r = window.__pj; return {nodes: r.nodes, stderr: r.stderr, svg: r.svg, busy: r.busy}; }"
    )


def fills(seen: list) -> list[str]:
    return [s[1] for s in seen]


def done_mapping(seen: list) -> bool:
    return any(s[2] == "6/6" for s in seen)


def seen_all(rec: dict) -> bool:
    nodes = rec["nodes"]
    slow, flaky, each = nodes.get("slow-1", []), nodes.get("flaky-1", []), nodes.get("each-1", [])
    return (
        bool(slow) and fills(slow)[-1] == SUCCESS
        and bool(flaky) and fills(flaky)[-1] == FAILED
        and done_mapping(each)
    )  # fmt: skip


def test_widget_colours_change_live_in_jupyterlab(
    lab: Any, page: Any, console: Any, artifacts: Any, open_notebook: Any
) -> None:
    open_notebook("live_widget.ipynb", CELLS)
    page.evaluate(SAMPLER, RUN_CELL)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

    mid_shot = False
    deadline = time.monotonic() + 120
    while True:
        lab.check_alive()
        rec = sample(page)
        if rec["stderr"]:
            page.screenshot(path=artifacts / "live-widget-stderr.png", full_page=True)
            pytest.fail("stderr output in the notebook:\n" + "\n---\n".join(rec["stderr"]))
        if console.errors:
            pytest.fail("page errors:\n" + "\n".join(console.errors))
        each = rec["nodes"].get("each-1", [])
        if not mid_shot and any(s[2] not in (None, "0/0", "0/6", "6/6") for s in each):
            page.screenshot(path=artifacts / "live-widget-midrun.png", full_page=True)
            mid_shot = True
        if seen_all(rec) and not rec["busy"]:
            break
        if time.monotonic() > deadline:
            page.screenshot(path=artifacts / "live-widget-timeout.png", full_page=True)
            pytest.fail(f"the run did not finish as expected within 120 s; seen: {rec}")
        time.sleep(0.1)
    time.sleep(0.5)  # the final apply_state push and CSS transitions
    rec = sample(page)
    page.evaluate("() => clearInterval(window.__pj.timer)")
    run_widget = page.locator(".jp-Notebook .jp-Cell").nth(RUN_CELL).locator(".pj-widget")
    run_widget.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "live-widget-final.png", full_page=True)
    run_widget.screenshot(path=artifacts / "live-widget-final-widget.png")

    (artifacts / "live-widget-samples.json").write_text(json.dumps(rec["nodes"], indent=1))
    assert rec["svg"]
    nodes = rec["nodes"]
    assert set(nodes) == {"slow-1", "flaky-1", "items-1", "each-1"}

    # The slow task was seen Running (blue) before it ended Success (green).
    slow = fills(nodes["slow-1"])
    assert RUNNING in slow, nodes["slow-1"]
    assert slow[-1] == SUCCESS
    assert slow.index(RUNNING) < len(slow) - 1 - slow[::-1].index(SUCCESS)

    # The failing task was seen Retrying (orange) and ended Failed (red).
    flaky = fills(nodes["flaky-1"])
    assert RETRYING in flaky, nodes["flaky-1"]
    assert flaky[-1] == FAILED
    assert flaky.index(RETRYING) < len(flaky) - 1 - flaky[::-1].index(FAILED)

    # The mapped node's counts rose through intermediate values to 6/6; it ended Mapped.
    each = nodes["each-1"]
    partial = [int(s[2].split("/")[0]) for s in each if s[2] and s[2].endswith("/6")]
    assert any(0 < k < 6 for k in partial), each
    assert partial == sorted(partial), each
    assert each[-1][2] == "6/6"
    assert each[-1][1] == MAPPED
    assert mid_shot

    # The finished widget: header, labels, edges with arrowheads.
    header = run_widget.locator(".pj-header")
    assert header.locator(".pj-badge").inner_text() == "Failed"
    assert header.locator(".pj-flow").inner_text() == "live_demo"
    assert header.locator(".pj-progress").inner_text() == "4/4 tasks done"
    labels = run_widget.locator(".pj-label").all_text_contents()
    assert sorted(labels) == ["each", "flaky", "items", "slow"]
    edges = run_widget.locator("path.pj-edge")
    assert edges.count() == 2
    for i in range(2):
        assert edges.nth(i).get_attribute("marker-end", timeout=1000).startswith("url(#pj-arrow-")
    assert run_widget.locator("marker path.pj-arrowhead").count() == 1
    out = page.locator(".jp-Notebook .jp-Cell").nth(RUN_CELL).locator(".jp-OutputArea").inner_text()
    assert "flaky" in out and "Failed" in out, out
    assert not [line for line in console.lines if line.startswith("[error]")], console.lines
