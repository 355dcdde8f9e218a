"""The live widget at 1,000 nodes in a real browser: how far the page lags behind the engine.

A notebook runs a flow of 1,000 short tasks (25 chains of 40) with ``%flow run`` while the
kernel notes the time of every task state event (``StateEvent.timestamp``, ``time.time()``).
In the page, a MutationObserver notes when each node's ``data-state`` changes and the next
animation frame after it (when the change gets painted), a requestAnimationFrame loop notes
every frame, and a listener on the kernel's iopub channel counts the widget's update messages.

Lag of an engine event: from the event to the first frame after the node showed that state or
a later one (the widget coalesces, so a short task may go straight from nothing to Success).
The browser and the kernel share this machine's clock. Measured figures are written to
``tests/artifacts/browser/scale-measurements.json`` (quoted in the README's notebook section).

Noise: the kernel, the server and Chromium share the machine's cores with whatever else runs.
With a 1-minute load average above twice the cores (other test suites running), the same code
measured a lag p95 anywhere from 130 to 590 ms, and bursts of up to 14 message arrivals in one
second although the kernel sends one every 100 ms (13 seen at load 3.7, as arrivals bunch up). So the strict limits (p95 ≤ 250 ms, ≤ 15
arrivals in any second) apply when the machine is not overloaded; on an overloaded one the test
holds generous limits instead and says so in the measurements file (``"strict": false``).
"""

from __future__ import annotations

import bisect
import json
import os
import statistics
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

CHAINS, LENGTH = 25, 40  # 1,000 tasks
MESSAGES_PER_SECOND_LIMIT = 10.5  # the "≤ ~10 messages/s", over the whole run
# (strict, overloaded machine): lag p95 in seconds (the "≤ 250 ms behind the engine"),
# and arrivals in any 1 s window (the run's last push and the final apply_state push may join
# the timer's ten; on a loaded machine the transport delivers in bursts)
LAG_P95_LIMIT = (0.250, 1.0)
MESSAGES_IN_ONE_SECOND_LIMIT = (15, 20)


def overloaded() -> bool:
    """Whether the 1-minute load average is above twice the cores this process may use."""
    return os.getloadavg()[0] > 2 * len(os.sched_getaffinity(0))

FLOW_CELL = f"""\
import json
import pathlib
import time

from prefect_jupyter import Flow, task
from prefect_jupyter.engine import events


@task
def step(x=0):
    time.sleep(0.003)
    return x + 1


with Flow("big") as big:
    for chain in range({CHAINS}):
        value = step()
        for _ in range({LENGTH - 1}):
            value = step(value)

engine_events = []


def note(event):
    if event.task is not None:
        engine_events.append((event.timestamp, big.slugs[event.task], type(event.new_state).__name__))
"""
RUN_CELL_SOURCE = """\
with events.observe(note):
    %flow run big
"""
DUMP_CELL = 'pathlib.Path("big_events.json").write_text(json.dumps(engine_events)); len(engine_events)'
# at the default log level (the test server's kernels start at CRITICAL): ~3,000 INFO lines go
# to the widget's run log and task details, none to stderr (the test fails on stderr output)
CELLS = ["%load_ext prefect_jupyter\n%config PrefectJupyter.log_level = 'INFO'", FLOW_CELL,
         RUN_CELL_SOURCE, DUMP_CELL]
RUN_CELL = 2

RECORDER = """(runCell) => {
  const now = () => performance.timeOrigin + performance.now();  // ms since the epoch
  const rec = { mutations: [], frames: [], comms: [], longtasks: [], svgAt: null };
  window.__pjScale = rec;
  let pending = null;  // mutations waiting for their frame
  new MutationObserver((records) => {
    const t = now();
    const batch = [];
    for (const m of records) {
      const g = m.target;
      if (g.classList && g.classList.contains('pj-node'))
        batch.push([g.dataset.id, g.getAttribute('data-state'), t, null]);
    }
    if (!batch.length) return;
    rec.mutations.push(...batch);
    if (!pending) {
      pending = [];
      requestAnimationFrame(() => { const f = now(); for (const b of pending) b[3] = f; pending = null; });
    }
    pending.push(...batch);
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  const frame = () => { rec.frames.push(now()); rec.raf = requestAnimationFrame(frame); };
  rec.raf = requestAnimationFrame(frame);
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  kernel.iopubMessage.connect((_, msg) => {
    if (msg.header.msg_type === 'comm_msg' && msg.content.data?.method === 'update')
      rec.comms.push([now(), Object.keys(msg.content.data.state || {})]);
  });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) rec.longtasks.push([performance.timeOrigin + e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: false });
  rec.scroll = setInterval(() => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[runCell];
    if (cell && cell.querySelector('.pj-widget svg.pj-graph')) {
      cell.scrollIntoView({ block: 'start' });  // watch the graph, as a user would
      rec.svgAt = now();
      clearInterval(rec.scroll);
    }
  }, 50);
}"""


def event_lags(engine: list, mutations: list) -> dict[str, list[float]]:
    """Per engine event: seconds until the DOM changed (``apply``) and until the next frame
    (``paint``) showing that state or a later one of the same node."""
    by_node: dict[str, list[tuple[float, str]]] = {}
    for t, node, state in sorted(engine):
        by_node.setdefault(node, []).append((t, state))
    shown: dict[str, list[tuple[float, float, int]]] = {}  # node -> (apply, paint, event index)
    for node, state, t_apply, t_paint in mutations:
        seq = by_node.get(node, [])
        # the latest engine event of this node in this state, at or before the DOM change
        # (5 ms of slack: two processes reading one clock)
        index = max((i for i, (t, s) in enumerate(seq) if s == state and t <= t_apply / 1000 + 0.005), default=None)
        if index is not None:
            shown.setdefault(node, []).append((t_apply / 1000, (t_paint or t_apply) / 1000, index))
    lags: dict[str, list[float]] = {"apply": [], "paint": [], "missing": []}
    for node, seq in by_node.items():
        seen = sorted(shown.get(node, []))
        for k, (t, _) in enumerate(seq):
            later = [s for s in seen if s[2] >= k]
            if not later:
                lags["missing"].append(t)
                continue
            lags["apply"].append(later[0][0] - t)
            lags["paint"].append(min(s[1] for s in later) - t)
    return lags


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def max_in_window(times: list[float], width: float) -> int:
    ordered = sorted(times)
    return max((bisect.bisect_right(ordered, t + width) - i for i, t in enumerate(ordered)), default=0)


def test_widget_keeps_up_with_a_1000_task_flow(
    lab: Any, page: Any, console: Any, artifacts: Any, open_notebook: Any, run_all_cells: Any
) -> None:
    open_notebook("scale.ipynb", CELLS)
    page.evaluate(RECORDER, RUN_CELL)
    strict = not overloaded()
    load_before = os.getloadavg()[0]
    run_all_cells(timeout=150, shot="scale-timeout")
    strict = strict and not overloaded()
    page.wait_for_timeout(1000)  # the final pushes and a second of idle frames
    rec = page.evaluate(
        """() => { const r = window.__pjScale; cancelAnimationFrame(r.raf);
                   return {mutations: r.mutations, frames: r.frames, comms: r.comms.map((c) => c[0]),
                           commKeys: r.comms.map((c) => c[1]), longtasks: r.longtasks, svgAt: r.svgAt}; }"""
    )
    widget = page.locator(".jp-Notebook .jp-Cell").nth(RUN_CELL).locator(".pj-widget")
    widget.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "scale-final.png")

    engine = json.loads((lab.root / "big_events.json").read_text())
    assert len(engine) == 2 * CHAINS * LENGTH  # Running and Success of each task
    start, end = min(e[0] for e in engine), max(e[0] for e in engine)
    lags = event_lags(engine, rec["mutations"])

    # frames and long tasks while the flow ran (from its first task event to its last + 0.5 s)
    frames = [f / 1000 for f in rec["frames"] if start * 1000 <= f <= (end + 0.5) * 1000]
    gaps = [b - a for a, b in zip(frames, frames[1:], strict=False)]
    longtasks = [d for t, d in rec["longtasks"] if start * 1000 <= t <= (end + 0.5) * 1000]
    comms = [c / 1000 for c in rec["comms"]]
    in_run = [c for c in comms if start <= c <= end + 0.5]
    duration = end - start
    figures = {
        "strict": strict,
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "cores": len(os.sched_getaffinity(0)),
        "nodes": CHAINS * LENGTH,
        "engine_events": len(engine),
        "run_seconds": round(duration, 2),
        "lag_paint_ms": {
            "p50": round(1000 * statistics.median(lags["paint"]), 1),
            "p95": round(1000 * percentile(lags["paint"], 0.95), 1),
            "max": round(1000 * max(lags["paint"]), 1),
        },
        "lag_apply_ms": {
            "p50": round(1000 * statistics.median(lags["apply"]), 1),
            "p95": round(1000 * percentile(lags["apply"], 0.95), 1),
            "max": round(1000 * max(lags["apply"]), 1),
        },
        "events_never_shown": len(lags["missing"]),
        "update_messages_in_run": len(in_run),
        "messages_per_second": round(len(in_run) / max(duration, 1e-9), 2),
        "max_messages_in_1s": max_in_window(comms, 1.0),
        "update_message_traits": sorted({k for keys in rec["commKeys"] for k in keys}),
        "frames_in_run": len(frames),
        "fps": round(len(frames) / max(duration + 0.5, 1e-9), 1),
        "longest_frame_gap_ms": round(1000 * max(gaps), 1) if gaps else None,
        "frame_gap_p95_ms": round(1000 * percentile(gaps, 0.95), 1) if gaps else None,
        "frame_gaps_over_50ms": sum(1 for g in gaps if g > 0.05),
        "longtasks_ms": sorted((round(d) for d in longtasks), reverse=True)[:10],
    }
    (artifacts / "scale-measurements.json").write_text(json.dumps(figures, indent=1) + "\n")

    assert not lags["missing"], f"{len(lags['missing'])} engine events never reached the page: {figures}"
    limit = 0 if strict else 1
    assert figures["lag_paint_ms"]["p95"] <= 1000 * LAG_P95_LIMIT[limit], figures
    assert figures["messages_per_second"] <= MESSAGES_PER_SECOND_LIMIT, figures
    assert figures["max_messages_in_1s"] <= MESSAGES_IN_ONE_SECOND_LIMIT[limit], figures
    # every task ended green in the page
    final = widget.evaluate(
        "(root) => [...root.querySelectorAll('.pj-node')].map((g) => g.dataset.state)"
    )
    assert len(final) == CHAINS * LENGTH and set(final) == {"Success"}
    assert widget.locator(".pj-header .pj-progress").inner_text() == "1000/1000 tasks done"
    # Fit scales the whole drawing into the visible box; + zooms back in
    size = "(root) => { const s = root.querySelector('svg.pj-graph'); const b = root.querySelector('.pj-scroll');" \
        " return [Number(s.getAttribute('width')), Number(s.getAttribute('height')), b.clientWidth]; }"
    width, height, box = widget.evaluate(size)
    assert width > box  # 25 chains side by side: wider than the output area
    widget.locator(".pj-zoom button[title='Fit the whole graph']").click()
    fit_w, fit_h, box = widget.evaluate(size)
    assert fit_w <= box and fit_h <= 560 and fit_w / fit_h == pytest.approx(width / height, rel=0.01)
    widget.locator(".pj-zoom button[title='Zoom in']").click()
    assert widget.evaluate(size)[0] == pytest.approx(fit_w * 1.25, rel=0.01)
    assert not [line for line in console.lines if line.startswith("[error]")], console.lines
