"""The widget's details panel in a real browser: click a node, read what the panel shows.

A notebook runs a flow with a task that logs and fails, a task that returns a list and logs, and
a task mapped over 50 items. After the run the test clicks nodes in the live widget and asserts
from the DOM: state, message, duration, inputs, result repr, traceback and log lines; for the
mapped node its 50 children, filtered by a search on the map index, and a child's own details.
While the run goes on it also samples the mapped node: it reads as Running while its children
run and takes Mapped's colour once they have all finished.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

FLOW_CELL = """\
import logging
import time

from prefect_jupyter import Flow, task
from prefect_jupyter.utilities.logging import get_logger

# task log lines go to the widget's details only (the test fails on any stderr output)
get_logger().setLevel(logging.INFO)
for handler in get_logger().handlers:
    handler.setLevel(logging.CRITICAL)


@task
def load():
    get_logger("load").info("loaded %d rows", 50)
    time.sleep(0.3)
    return list(range(50))


@task
def square(x):
    time.sleep(0.06)
    return x * x


@task
def check(rows):
    get_logger("check").warning("checking %d rows", len(rows))
    raise ValueError("row 7 is negative")


with Flow("details_demo") as details_demo:
    rows = load()
    square.map(rows)
    check(rows)
"""
CELLS = ["%load_ext prefect_jupyter", FLOW_CELL, "%flow run details_demo"]
RUN_CELL = 2

RUNNING = "rgb(61, 103, 255)"  # #3d67ff
MAPPED = "rgb(0, 60, 203)"  # #003ccb

# Samples the mapped node every 40 ms: distinct successive (data-state, fill, counts text).
SAMPLER = """(runCell) => {
  const rec = { seen: [] };
  window.__pjMapped = rec;
  rec.timer = setInterval(() => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[runCell];
    const g = cell && cell.querySelector('.pj-node[data-id="square-1"]');
    if (!g) return;
    const now = [g.dataset.state, getComputedStyle(g.querySelector('.pj-box')).fill,
                 g.querySelector('.pj-counts').textContent];
    const last = rec.seen[rec.seen.length - 1];
    if (!last || now.some((v, i) => v !== last[i])) rec.seen.push(now);
  }, 40);
}"""

# The details panel as {"name", "state", "sections": {title: text}, "children": [row texts]}.
READ_PANEL = """(root) => {
  const panel = root.querySelector('.pj-details');
  if (!panel || panel.hidden) return null;
  const sections = {};
  for (const t of panel.querySelectorAll('.pj-section-title')) {
    const body = t.nextElementSibling;
    sections[t.textContent] = body && body.classList.contains('pj-section') ? body.textContent : null;
  }
  return {
    name: panel.querySelector('.pj-details-name')?.textContent,
    state: panel.querySelector('.pj-details-top .pj-badge')?.textContent,
    sections,
    children: [...panel.querySelectorAll('.pj-child')].map((e) => e.textContent),
  };
}"""


def read_panel(widget: Any) -> dict | None:
    return widget.evaluate(READ_PANEL)


def wait_for_panel(widget: Any, name: str, section: str | None = None) -> dict:
    """Wait until the panel shows node ``name`` (and ``section``, if given) from the kernel."""
    widget.page.wait_for_function(
        """([root, name, section]) => {
          const panel = root.querySelector('.pj-details');
          if (!panel || panel.hidden) return false;
          if (panel.querySelector('.pj-details-name')?.textContent !== name) return false;
          if (!section) return true;
          return [...panel.querySelectorAll('.pj-section-title')].some((t) => t.textContent === section);
        }""",
        arg=[widget.element_handle(), name, section],
        timeout=15_000,
    )
    panel = read_panel(widget)
    assert panel is not None
    return panel


def test_details_panel_shows_a_failed_task_a_result_and_mapped_children(
    lab: Any, page: Any, console: Any, artifacts: Any, open_notebook: Any, run_all_cells: Any
) -> None:
    open_notebook("details.ipynb", CELLS)
    page.evaluate(SAMPLER, RUN_CELL)
    run_all_cells(timeout=90, shot="details-timeout")
    page.wait_for_timeout(500)  # the final apply_state push
    mapped_seen = page.evaluate("() => { clearInterval(window.__pjMapped.timer); return window.__pjMapped.seen; }")
    (artifacts / "details-mapped-samples.json").write_text(json.dumps(mapped_seen, indent=1))

    widget = page.locator(".jp-Notebook .jp-Cell").nth(RUN_CELL).locator(".pj-widget")
    widget.scroll_into_view_if_needed()
    assert widget.locator(".pj-header .pj-badge").inner_text() == "Failed"

    # -- a node's tooltip: its name, then its state and message once the pointer is on it ------
    check = widget.locator('.pj-node[data-id="check-1"]')
    assert check.locator("title").text_content() == "check"
    check.hover()
    assert check.locator("title").text_content() == (
        "check: Failed — Error during execution of task: ValueError('row 7 is negative')"
    )

    # -- the failed task: state, message, duration, inputs, traceback, its log line -------------
    check.click()
    panel = wait_for_panel(widget, "check", "Traceback")
    widget.screenshot(path=artifacts / "details-failed-task.png")
    sections = panel["sections"]
    assert panel["state"] == "Failed"
    assert "ValueError('row 7 is negative')" in sections["Message"], sections
    assert re.fullmatch(r"\d+ ms", sections["Duration"]), sections  # under a second: in ms
    # the input's value, then where it came from
    assert sections["Inputs"].startswith("rows = [0, 1, 2, 3,") and sections["Inputs"].endswith("← load")
    assert "Traceback (most recent call last)" in sections["Traceback"]
    assert sections["Traceback"].rstrip().endswith("ValueError: row 7 is negative")
    assert 'raise ValueError("row 7 is negative")' in sections["Traceback"]
    logs = sections["Logs"].splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d INFO check: Task 'check': Starting task run\.\.\.", logs[0]), logs
    assert any(re.fullmatch(r"\d\d:\d\d:\d\d WARNING check: checking 50 rows", line) for line in logs), logs
    assert "final state: 'Failed'" in logs[-1], logs
    assert "Result" not in sections

    # -- a successful task: its result repr and its log line --------------------------------------
    widget.locator('.pj-node[data-id="load-1"]').click()
    panel = wait_for_panel(widget, "load", "Result")
    sections = panel["sections"]
    assert panel["state"] == "Success"
    assert sections["Result"] == repr(list(range(50)))
    assert re.fullmatch(r"\d+ ms", sections["Duration"]), sections
    assert sections["Message"] == "Task run succeeded."
    assert int(sections["Duration"].split()[0]) >= 300
    assert re.search(r"^\d\d:\d\d:\d\d INFO load: loaded 50 rows$", sections["Logs"], re.M), sections
    assert "Traceback" not in sections

    # -- the mapped task: 50 children, searchable by map index ------------------------------------
    widget.locator('.pj-node[data-id="square-1"]').click()
    panel = wait_for_panel(widget, "square", "Children (50)")
    assert panel["state"] == "Mapped"
    assert list(panel["sections"])[:5] == ["Message", "Duration", "Inputs", "Children (50)", "Logs"]
    assert re.fullmatch(r"\d+\.\d s", panel["sections"]["Duration"])  # all 50 children: seconds
    assert len(panel["children"]) == 50
    assert panel["children"][0] == "[0] Success = 0"  # each child's result
    assert all(re.fullmatch(rf"\[{i}\] Success = {i * i}", row) for i, row in enumerate(panel["children"]))
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    search = widget.locator(".pj-details input.pj-search")
    # the first search may race a late push of the run's last state, which draws the panel
    # again: wait for the filtered list, typing again into the panel drawn meanwhile
    for attempt in range(3):
        search.fill("4")
        try:
            widget.page.wait_for_function(
                "(root) => root.querySelectorAll('.pj-child').length === 11",
                arg=widget.element_handle(), timeout=10_000,
            )
            break
        except PlaywrightTimeoutError:
            widget.screenshot(path=artifacts / f"details-search-attempt-{attempt}.png")
            if attempt == 2:
                raise
    rows = read_panel(widget)["children"]
    assert [r.split("]")[0] + "]" for r in rows] == ["[4]", *(f"[{i}]" for i in range(40, 50))]
    search.scroll_into_view_if_needed()
    widget.screenshot(path=artifacts / "details-mapped-search.png")
    search.fill("42")
    widget.page.wait_for_function(
        "(root) => root.querySelectorAll('.pj-child').length === 1", arg=widget.element_handle()
    )
    assert read_panel(widget)["children"] == ["[42] Success = 1764"]
    search.fill("fail")  # a state name matches too
    widget.page.wait_for_function(
        "(root) => root.querySelectorAll('.pj-child').length === 0", arg=widget.element_handle()
    )
    search.fill("succ")
    widget.page.wait_for_function(
        "(root) => root.querySelectorAll('.pj-child').length === 50", arg=widget.element_handle()
    )
    search.fill("42")
    widget.page.wait_for_function(
        "(root) => root.querySelectorAll('.pj-child').length === 1", arg=widget.element_handle()
    )

    # -- one child: its own details, and the way back to the parent --------------------------------
    widget.locator(".pj-child").first.click()
    panel = wait_for_panel(widget, "square[42]", "Result")
    assert panel["state"] == "Success"
    assert panel["sections"]["Result"] == "1764"
    assert panel["children"] == []
    widget.screenshot(path=artifacts / "details-mapped-child.png")
    widget.locator(".pj-details button.pj-up").click()
    wait_for_panel(widget, "square", "Children (50)")
    widget.locator(".pj-details button.pj-close").click()
    widget.page.wait_for_function(
        "(root) => root.querySelector('.pj-details').hidden", arg=widget.element_handle()
    )

    # -- while its children ran, the mapped node read as Running; then Mapped --------------------
    partial = [s for s in mapped_seen if re.fullmatch(r"([1-9]|[1-4]\d)/50", s[2] or "")]
    assert partial, mapped_seen
    assert all(s[0] == "Running" for s in partial), partial
    fills = [s[1] for s in partial]  # the fill eases over 0.15 s: a sample may catch it between
    assert RUNNING in fills and MAPPED not in fills, partial
    assert mapped_seen[-1][:3] == ["Mapped", MAPPED, "50/50"], mapped_seen
    page.screenshot(path=artifacts / "details-final.png", full_page=True)
    assert not [line for line in console.lines if line.startswith("[error]")], console.lines
