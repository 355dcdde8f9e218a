"""The web UI in a real browser, against a real server and a real local agent.

A flow with a slow task, a failing task and a 10,000-child map is registered with
``flow.register`` and started from the UI's Run form. While the agent runs it, an in-page
sampler records every schematic node's successive states and fills, the mapped node's counts
and the run's state, so the test sees the colours change live; then it looks for the failure's
log, pages the task-run table, and so on. Everything is asserted from the DOM.
"""

from __future__ import annotations

import datetime
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import ui_demo_flows as demo

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

RUNNING = "rgb(61, 103, 255)"  # #3d67ff, Prefect 1's Running
SUCCESS = "rgb(40, 167, 69)"  # #28a745
FAILED = "rgb(235, 0, 0)"  # #eb0000
N_CHILDREN = 10_000

# Every 50 ms: the run's state and each schematic node's (state, fill) and counts, each list
# keeping only changes. It lives in the page, so it survives the UI's hash navigation.
SAMPLER = r"""() => {
  const rec = { run: [], nodes: {}, counts: [] };
  window.__pj = rec;
  const push = (list, value) => { if (list[list.length - 1] !== value) list.push(value); };
  setInterval(() => {
    const badge = document.querySelector(".run-head .pj-badge");
    if (badge) push(rec.run, badge.dataset.state);
    for (const g of document.querySelectorAll(".schematic .pj-node")) {
      const fill = getComputedStyle(g.querySelector(".pj-box")).fill;
      push(rec.nodes[g.dataset.id] ||= [], `${g.dataset.state}|${fill}`);
      const counts = g.querySelector(".pj-counts");
      // digits only ("1,234/10,000 · 2 failed" -> "1234/10000·2failed")
      if (counts && counts.textContent) push(rec.counts, counts.textContent.replace(/[\s,]/g, ""));
    }
  }, 50);
}"""


def states_of(page: Any, node: str) -> list[str]:
    return [s.split("|")[0] for s in page.evaluate(f"() => window.__pj.nodes[{node!r}] || []")]


def wait_for_node(page: Any, node: str, state: str, timeout: float = 120_000) -> None:
    page.wait_for_function(
        "([id, state]) => document.querySelector(`.schematic .pj-node[data-id='${id}']`)"
        "?.dataset.state === state",
        arg=[node, state], timeout=timeout,
    )


def node_id(page: Any, name: str) -> str:
    """The schematic id (slug) of the node labelled ``name``."""
    page.wait_for_selector(".schematic .pj-node")
    return page.evaluate(
        "(name) => [...document.querySelectorAll('.schematic .pj-node')]"
        ".find((g) => g.querySelector('.pj-label').textContent === name).dataset.id",
        name,
    )


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.evaluate("() => window.scrollTo(0, 0)")  # the sticky header stays on top
    page.screenshot(path=str(artifacts / f"ui-{name}.png"), full_page=True)


def test_a_run_started_from_the_ui_updates_live(
    backend: Any, agent: Any, page: Any, artifacts: Path, console: Any
):
    flow_id = backend.register(demo.demo_flow())
    page.goto(f"{backend.ui_url}/#/flow/{flow_id}")
    page.wait_for_selector("form[data-form=run] [data-param=wait]")
    page.evaluate(SAMPLER)
    assert page.locator("h1").inner_text().startswith("ui-demo")
    page.fill("[data-param=wait]", "4")
    page.click("form[data-form=run] button[type=submit]")

    page.wait_for_url(re.compile(r"#/flow-run/[0-9a-f-]+$"))
    run_id = page.url.rsplit("/", 1)[1]
    slow, explode, square = (node_id(page, n) for n in ("slow", "explode", "square"))
    wait_for_node(page, slow, "Running")
    shot(page, artifacts, "run-midrun")
    wait_for_node(page, explode, "Failed")

    # the slow task was seen Running (in Running's colour) before Success, live; colours fade
    # in over 0.15 s, so the settled ones are looked for
    page.wait_for_function(
        "([slow, explode, success, failed]) => window.__pj.nodes[slow].includes(success)"
        " && window.__pj.nodes[explode].includes(failed)",
        arg=[slow, explode, f"Success|{SUCCESS}", f"Failed|{FAILED}"],
    )
    slow_seen = page.evaluate(f"() => window.__pj.nodes[{slow!r}]")
    assert f"Running|{RUNNING}" in slow_seen
    assert f"Success|{SUCCESS}" in slow_seen
    assert slow_seen.index(f"Running|{RUNNING}") < slow_seen.index(f"Success|{SUCCESS}")
    assert f"Failed|{FAILED}" in page.evaluate(f"() => window.__pj.nodes[{explode!r}]")
    assert "Running" in page.evaluate("() => window.__pj.run")
    assert page.locator("[data-param]").count() == 0  # we are on the run page, not the form

    # the mapped node counts its children as they are reported, out of 10,000
    page.wait_for_function(
        "() => window.__pj.counts.filter((c) => /^[1-9]\\d*\\/10000/.test(c)).length >= 2",
        timeout=120_000,
    )
    counts = [c for c in page.evaluate("() => window.__pj.counts") if re.match(r"\d+/10000", c)]
    done = [int(c.split("/")[0]) for c in counts]
    assert done == sorted(done) and len({d for d in done if d > 0}) >= 2, counts

    # the failure's log, at ERROR level, with its traceback
    page.select_option("select[name=level]", "ERROR")
    page.wait_for_function(
        "(text) => document.querySelector('.logs').textContent.includes(text)",
        arg=demo.FAILURE_MESSAGE,
    )
    error_lines = page.locator(".log-line[data-level=ERROR]")
    assert error_lines.count() >= 1
    assert "Traceback" in error_lines.first.inner_text()

    # the task-run table: the failed task by state, then pages of mapped children
    table = page.locator(".task-runs")
    page.select_option("select[name=state]", "Failed")
    page.wait_for_function(
        "() => document.querySelector('.task-runs .pager-info').textContent === '1–1 of 1 task run'"
    )
    assert table.locator("tbody tr").count() == 1
    assert demo.FAILURE_MESSAGE in table.locator("tbody tr").inner_text()
    page.select_option("select[name=state]", "")
    page.wait_for_function(
        "() => document.querySelector('.task-runs .pager-info').textContent !== '1–1 of 1 task run'"
    )
    page.fill("input[name=task-name]", "xplod")
    page.wait_for_function(
        "() => document.querySelector('.task-runs .pager-info').textContent === '1–1 of 1 task run'"
    )
    assert table.locator("tbody .task-name").all_inner_texts() == ["explode"]
    page.fill("input[name=task-name]", "")
    page.wait_for_function(  # the name filter applies 250 ms after the last key
        "() => document.querySelector('.task-runs .pager-info').textContent !== '1–1 of 1 task run'"
    )
    page.select_option("select[name=kind]", "children")
    page.wait_for_function(  # a full first page of children, and more than one page
        "() => { const rows = [...document.querySelectorAll('.task-runs tbody tr[data-map-index]')];"
        " return rows.length === 25 && rows.every((r) => +r.dataset.mapIndex >= 0)"
        " && !document.querySelector('.task-runs button[data-page=next]').disabled; }",
        timeout=120_000,
    )
    first_page = map_indexes(page)
    assert first_page == list(range(25))
    page.click(".task-runs button[data-page=next]")
    page.wait_for_function(
        "() => document.querySelector('.task-runs .pager-page').textContent.startsWith('Page 2 of')"
    )
    assert map_indexes(page) == list(range(25, 50))
    # sorting by map index, descending, shows the highest reported index first
    page.click(".task-runs th:has-text('Map index')")  # ascending
    page.click(".task-runs th:has-text('Map index')")  # descending
    page.wait_for_function(
        "() => document.querySelector('.task-runs th[data-sorted]')?.dataset.sorted === 'desc'"
    )
    page.wait_for_function("() => document.querySelector('.task-runs .pager-page')"
                           ".textContent.startsWith('Page 1 of')")
    descending = map_indexes(page)
    assert descending == sorted(descending, reverse=True) and descending[0] >= 49

    # the timeline has a bar per started task, coloured by state
    bars = page.locator(".timeline .tl-bar")
    assert bars.count() >= 5
    # looked up afresh on each try: a poll may redraw the timeline between two steps
    page.wait_for_function(
        "(red) => [...document.querySelectorAll('.timeline .tl-row')]"
        ".filter((r) => r.textContent.includes('explode'))"
        ".map((r) => r.querySelector('.tl-bar'))"
        ".some((b) => b && getComputedStyle(b).backgroundColor === red)",
        arg=FAILED,
    )
    shot(page, artifacts, "run-failed-and-mapping")

    # parameters as given in the form
    params = json.loads(page.locator(".card:has(h2:text-is('Parameters')) pre").inner_text())
    assert params == {"n": N_CHILDREN, "wait": 4}

    # the run shows on the dashboard while it goes on or after it failed
    page.goto(f"{backend.ui_url}/#/")
    page.wait_for_selector(f"a[href='#/flow-run/{run_id}']")
    shot(page, artifacts, "dashboard")
    assert not console.errors


def map_indexes(page: Any) -> list[int]:
    page.wait_for_function(
        "() => document.querySelectorAll('.task-runs tbody tr[data-map-index]').length > 0"
    )
    return [int(i) for i in page.eval_on_selector_all(
        ".task-runs tbody tr[data-map-index]", "(rows) => rows.map((r) => r.dataset.mapIndex)"
    )]


def test_user_text_is_shown_as_text_never_as_html(
    backend: Any, agent: Any, page: Any, artifacts: Path, console: Any
):
    flow_id = backend.register(demo.xss_flow())
    page.goto(f"{backend.ui_url}/#/flow/{flow_id}")
    page.wait_for_selector("form[data-form=run] [data-param=text]")
    assert page.locator("h1").inner_text().startswith("<b>xss</b> flow")
    assert page.locator("[data-param=text]").input_value() == "<script>window.__xss=2</script>"
    page.click("form[data-form=run] button[type=submit]")
    page.wait_for_url(re.compile(r"#/flow-run/[0-9a-f-]+$"))
    node = page.wait_for_selector(".schematic .pj-node[data-kind=task]")
    page.wait_for_function(
        "() => document.querySelector('.run-head .pj-badge')?.dataset.state === 'Success'",
        timeout=120_000,
    )
    page.select_option("select[name=level]", "WARNING")
    page.wait_for_function(
        "(name) => document.querySelector('.logs').textContent.includes('logged by ' + name)",
        arg=demo.XSS_NAME,
    )
    shot(page, artifacts, "xss")

    assert node.query_selector(".pj-label").text_content() == demo.XSS_NAME
    task_cells = page.locator(".task-runs td .task-name")
    assert demo.XSS_NAME in task_cells.all_inner_texts()
    assert demo.XSS_NAME in page.locator(".timeline .tl-name").all_inner_texts()
    assert "<script>window.__xss=2</script>" in page.locator("pre.json").first.inner_text()
    # nothing ran and no element was made from the text
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img").count() == 0
    assert page.locator("main script, main b").count() == 0
    page.goto(f"{backend.ui_url}/#/flows")
    page.wait_for_selector("table.data a")
    assert "<b>xss</b> flow" in page.locator("table.data").inner_text()
    assert page.evaluate("() => window.__xss") is None
    assert not console.errors


def test_the_run_form_asks_for_required_parameters(backend: Any, agent: Any, page: Any):
    flow_id = backend.register(demo.greet_flow())
    page.goto(f"{backend.ui_url}/#/flow/{flow_id}")
    page.wait_for_selector("form[data-form=run] [data-param=name]")
    page.click("form[data-form=run] button[type=submit]")
    error = page.locator("form[data-form=run] .form-error")
    assert error.inner_text() == 'The parameter "name" is required.'
    assert "#/flow/" in page.url  # no run was created
    page.fill("[data-param=name]", "Ada Lovelace")
    page.fill("input[name=flow_run_name]", "greeting Ada")
    page.click("form[data-form=run] button[type=submit]")
    page.wait_for_url(re.compile(r"#/flow-run/[0-9a-f-]+$"))
    page.wait_for_function(
        "() => document.querySelector('.run-head .pj-badge')?.dataset.state === 'Success'",
        timeout=120_000,
    )
    assert page.locator(".run-head h1").inner_text() == "greeting Ada"
    params = json.loads(page.locator(".card:has(h2:text-is('Parameters')) pre").inner_text())
    assert params == {"name": "Ada Lovelace"}
    # a finished run offers no Cancel
    assert page.locator("button[data-action=cancel]").count() == 0


def test_cancel_stops_a_running_flow_run(backend: Any, agent: Any, page: Any, artifacts: Path):
    flow_id = backend.register(demo.sleepy_flow())
    page.goto(f"{backend.ui_url}/#/flow/{flow_id}")
    page.wait_for_selector("form[data-form=run] [data-param=wait]")
    page.click("form[data-form=run] button[type=submit]")
    page.wait_for_url(re.compile(r"#/flow-run/[0-9a-f-]+$"))
    wait_for_node(page, node_id(page, "slow"), "Running")
    page.click("button[data-action=cancel]")
    page.wait_for_function(
        "() => ['Cancelling', 'Cancelled'].includes("
        "document.querySelector('.run-head .pj-badge')?.dataset.state)"
    )
    page.wait_for_function(
        "() => document.querySelector('.run-head .pj-badge')?.dataset.state === 'Cancelled'",
        timeout=90_000,
    )
    shot(page, artifacts, "cancelled")
    assert page.locator("button[data-action=cancel]").count() == 0


def test_restart_from_failure(backend: Any, agent: Any, page: Any, artifacts: Path):
    schema = backend.query("{ __schema { mutationType { fields { name } } } }")
    if "restart_flow_run" not in {f["name"] for f in schema["__schema"]["mutationType"]["fields"]}:
        pytest.skip("the server has no restart_flow_run mutation yet; the UI hides the button")
    flow_id = backend.register(demo.demo_flow(name="ui-restart", children=3))
    page.goto(f"{backend.ui_url}/#/flow/{flow_id}")
    page.wait_for_selector("form[data-form=run] [data-param=wait]")
    page.evaluate(SAMPLER)
    page.fill("[data-param=wait]", "0")
    page.click("form[data-form=run] button[type=submit]")
    page.wait_for_url(re.compile(r"#/flow-run/[0-9a-f-]+$"))
    page.wait_for_function(
        "() => document.querySelector('.run-head .pj-badge')?.dataset.state === 'Failed'",
        timeout=120_000,
    )
    slow = node_id(page, "slow")
    assert page.locator("button[data-action=cancel]").count() == 0
    page.click("button[data-action=restart]")
    # the run goes back to be scheduled, runs again from the failure, and fails again
    page.wait_for_function(
        "() => { const r = window.__pj.run; const i = r.indexOf('Failed');"
        " return i >= 0 && r.slice(i + 1).includes('Failed')"
        " && r.slice(i + 1).some((s) => s === 'Scheduled' || s === 'Running'); }",
        timeout=120_000,
    )
    wait_for_node(page, slow, "Success")
    # the failed task ran again
    page.wait_for_function(
        "() => [...document.querySelectorAll('.log-line')].filter((l) => l.textContent"
        ".includes(\"Task 'explode': Exception encountered\")).length === 2",
        timeout=60_000,
    )
    shot(page, artifacts, "restarted")


def test_the_dashboard_says_why_a_run_is_late(
    backend: Any, agent: Any, page: Any, artifacts: Path
):
    flow_id = backend.register(demo.greet_flow(name="ui-late"))
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    with backend.client() as client:
        run_id = client.create_flow_run(
            flow_id=flow_id, parameters={"name": "late"}, labels=["gpu-nowhere"],
            scheduled_start_time=past, run_name="late-run",
        )
    page.goto(f"{backend.ui_url}/#/")
    row = page.locator("tr", has=page.locator(f"a[href='#/flow-run/{run_id}']"))
    row.wait_for()
    assert row.locator(".late-tag").inner_text() == "late"
    reason = row.locator(".late-reason").inner_text()
    run_fields = backend.query('{ __type(name: "flow_run") { fields { name } } }')["__type"]["fields"]
    if "late_reason" in {f["name"] for f in run_fields}:  # the server explains it
        assert reason.startswith("Late by ")
        assert "no running agent has all of its labels [gpu-nowhere]" in reason
        assert "agent 'ui-test-agent' with labels []" in reason
    else:  # the UI works it out from the agent table
        assert reason.startswith("no agent has polled in the last 60 s")
    if backend.query("{ agent { name } }")["agent"]:  # the agent registered: it is listed
        agent_row = page.locator(".card:has(h2:text-is('Agents')) tr", has_text="ui-test-agent")
        assert agent_row.locator(".fresh").count() == 1  # it polled lately
    late_tile = page.locator(".tile", has_text="Late").locator(".tile-n")
    assert int(late_tile.inner_text()) >= 1
    shot(page, artifacts, "dashboard-late")


def test_flows_list_and_schedule_switch(backend: Any, page: Any, artifacts: Path):
    flow_id = backend.register(demo.scheduled_flow())
    page.goto(f"{backend.ui_url}/#/flows")
    row = page.locator("tr", has=page.locator(f"a[href='#/flow/{flow_id}']"))
    row.wait_for()
    assert "every hour" in row.inner_text() and "on" in row.locator(".pill").inner_text()
    shot(page, artifacts, "flows")
    # the row may also link the flow's latest run once the scheduler has made one
    row.locator(f"a[href='#/flow/{flow_id}']").click()
    page.wait_for_selector("button[data-action=schedule]")
    assert page.locator(".schedule .pill").inner_text() == "on"
    page.click("button[data-action=schedule]")
    page.wait_for_function("() => document.querySelector('.schedule .pill')?.textContent === 'off'")
    flow = backend.query("query ($id: uuid!) { flow_by_pk(id: $id) { is_schedule_active } }",
                         {"id": flow_id})["flow_by_pk"]
    assert flow["is_schedule_active"] is False
    assert page.locator(".schematic .pj-node[data-kind=task] .pj-label").text_content() == "greet"
    shot(page, artifacts, "flow")
    page.click("button[data-action=schedule]")
    page.wait_for_function("() => document.querySelector('.schedule .pill')?.textContent === 'on'")


HIDE = """(hidden) => {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", { configurable: true,
    get: () => (hidden ? "hidden" : "visible") });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_polling_pauses_while_the_tab_is_hidden(backend: Any, page: Any):
    page.goto(f"{backend.ui_url}/#/")
    page.wait_for_selector(".tiles .tile")
    def graphql(r: Any) -> bool:
        return r.url.endswith("/api/graphql")

    for _ in range(2):  # the dashboard refreshes on its own, again and again
        with page.expect_request(graphql, timeout=30_000):
            pass
    sent: list[float] = []
    page.on("request", lambda r: sent.append(time.monotonic()) if graphql(r) else None)
    page.evaluate(HIDE, True)
    page.wait_for_function("() => document.getElementById('live').dataset.status === 'paused'")
    before = len(sent)
    page.wait_for_timeout(3000)  # a quiet spell: a slow machine only sends fewer requests
    assert len(sent) - before <= 1  # at most the request that was on its way
    page.evaluate(HIDE, False)
    page.wait_for_function("() => document.getElementById('live').dataset.status === 'live'")
    for _ in range(2):  # polling again
        with page.expect_request(graphql, timeout=30_000):
            pass
