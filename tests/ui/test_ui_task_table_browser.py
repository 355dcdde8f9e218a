"""The flow-run page's task-run table pages a run of a few thousand mapped children right.

A 3,000-wide map (every 1,000th child fails) is run by the real local agent; the test then opens
the run's page in headless Chromium and walks the table: first page, next page, last page, a
state filter, a sort, and the schematic's count of children. It also checks the page asks the
server for pages and counts, never for every child. Everything is asserted from the DOM and the
page's requests.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import ui_demo_flows as demo

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

CHILDREN = 3_000
ROWS = CHILDREN + 3  # the children, the mapped task's own task run, numbers' and n's
PAGER = ".task-runs .pager-info"


def finished_run(backend: Any) -> str:
    """A finished agent run of the paged flow; its id."""
    flow_id = backend.register(demo.paged_flow(children=CHILDREN))
    with backend.client() as client:
        run_id = client.create_flow_run(flow_id)
    query = "query($id: uuid!) { flow_run_by_pk(id: $id) { state } }"
    while backend.query(query, {"id": run_id})["flow_run_by_pk"]["state"] not in (
        "Success", "Failed"
    ):
        time.sleep(0.3)
    return run_id


def rows(page: Any) -> list[tuple[str, int]]:
    """(task name, map index) of the table's rows."""
    return [(name, int(index)) for name, index in page.eval_on_selector_all(
        ".task-runs tbody tr[data-map-index]",
        "(rows) => rows.map((r) => [r.querySelector('.task-name').textContent,"
        " r.dataset.mapIndex])",
    )]


def wait_pager(page: Any, text: str) -> None:
    try:
        page.wait_for_function(
            "([sel, text]) => document.querySelector(sel)?.textContent === text",
            arg=[PAGER, text], timeout=60_000,
        )
    except Exception:
        shown = page.evaluate("(sel) => document.querySelector(sel)?.textContent", PAGER)
        raise AssertionError(f"the pager shows {shown!r}, not {text!r}") from None


def test_a_map_of_thousands_pages_on_the_server(backend: Any, agent: Any, page: Any,
                                                console: Any):
    run_id = finished_run(backend)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.post_data or "") if r.url.endswith(
        "/api/graphql") else None)
    page.goto(f"{backend.ui_url}/#/flow-run/{run_id}")
    wait_pager(page, f"1–25 of {ROWS:,} task runs")
    # sorted by task name, then map index: numbers, the mapped task, then its children
    assert rows(page) == [("n", -1), ("numbers", -1), ("picky", -1)] + [
        ("picky", i) for i in range(22)]

    page.click(".task-runs button[data-page=next]")
    wait_pager(page, f"26–50 of {ROWS:,} task runs")
    assert rows(page) == [("picky", i) for i in range(22, 47)]
    assert page.locator(".task-runs .pager-page").inner_text() == "Page 2 of 121"

    page.click(".task-runs button[data-page=last]")
    wait_pager(page, f"3,001–{ROWS:,} of {ROWS:,} task runs")
    assert rows(page) == [("picky", 2997), ("picky", 2998), ("picky", 2999)]
    assert page.locator(".task-runs button[data-page=next]").is_disabled()

    # a state filter goes back to the first page and counts on the server
    page.select_option("select[name=state]", "Failed")
    wait_pager(page, "1–3 of 3 task runs")
    assert rows(page) == [("picky", 999), ("picky", 1999), ("picky", 2999)]
    page.select_option("select[name=state]", "")
    page.select_option("select[name=kind]", "children")
    wait_pager(page, f"1–25 of {CHILDREN:,} task runs")
    page.click(".task-runs th:has-text('Map index')")  # ascending
    page.click(".task-runs th:has-text('Map index')")  # descending
    page.wait_for_function(
        "() => document.querySelector('.task-runs th[data-sorted]')?.dataset.sorted === 'desc'"
        " && document.querySelector('.task-runs tbody tr')?.dataset.mapIndex === '2999'"
    )
    assert [i for _name, i in rows(page)] == list(range(2999, 2974, -1))

    # the schematic's mapped node counts every child, from the server's aggregate
    page.wait_for_function(
        "() => [...document.querySelectorAll('.schematic .pj-counts')]"
        ".some((e) => e.textContent === '2997/3000 · 3 failed')"
    )
    # the page asked for pages of 25 and for counts, never for the children themselves
    tables = [q for q in asked if "query TaskRuns" in q]
    assert tables and all('"limit":25' in q for q in tables)
    assert not [q for q in asked if "task_run(" in q and "limit" not in q
                and "map_index: {_eq: -1}" not in q]
    assert not console.errors
