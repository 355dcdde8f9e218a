"""The live widget at scale in a real browser: a 1,000-task run recorded from both ends.

Shared by the browser test (tests/browser/test_widget_scale_browser.py, which asserts limits) and
the benchmark (tests/benchmarks/widget_scale.py, which prints figures). A notebook runs a flow of
1,000 short tasks (25 chains of 40) with ``%flow run`` at the default log level (INFO) while the
kernel notes the time of every task state event (``StateEvent.timestamp``, ``time.time()``).
In the page (:data:`RECORDER`), a MutationObserver notes when each node's ``data-state`` changes
and the next animation frame after it (when the change gets painted), a requestAnimationFrame
loop notes every frame, and a listener on the kernel's iopub channel notes the widget's update
messages.

Lag of an engine event: from the event to the first frame after the node showed that state or
a later one (the widget coalesces, so a short task may go straight from nothing to Success).
The browser and the kernel share this machine's clock. :func:`measure` turns a recording into
figures: fps and frame gaps while the flow ran, lag percentiles, message rates, long tasks.
"""

from __future__ import annotations

import bisect
import json
import os
import pathlib
import statistics
from typing import Any

CHAINS, LENGTH = 25, 40  # 1,000 tasks


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


#: JS: stop recording and hand the recording over
TAKE_RECORDING = """() => { const r = window.__pjScale; cancelAnimationFrame(r.raf);
  return {mutations: r.mutations, frames: r.frames, comms: r.comms.map((c) => c[0]),
          commKeys: r.comms.map((c) => c[1]), longtasks: r.longtasks, svgAt: r.svgAt}; }"""


def measure(rec: dict[str, Any], root: pathlib.Path, load_before: float) -> dict[str, Any]:
    """Figures of a run from the page's recording ``rec`` (:data:`TAKE_RECORDING`) and the
    kernel's engine events (``big_events.json`` in the lab's ``root``)."""
    engine = json.loads((root / "big_events.json").read_text())
    start, end = min(e[0] for e in engine), max(e[0] for e in engine)
    lags = event_lags(engine, rec["mutations"])
    # frames and long tasks while the flow ran (from its first task event to its last + 0.5 s)
    frames = [f / 1000 for f in rec["frames"] if start * 1000 <= f <= (end + 0.5) * 1000]
    gaps = [b - a for a, b in zip(frames, frames[1:], strict=False)]
    longtasks = [d for t, d in rec["longtasks"] if start * 1000 <= t <= (end + 0.5) * 1000]
    comms = [c / 1000 for c in rec["comms"]]
    in_run = [c for c in comms if start <= c <= end + 0.5]
    duration = end - start

    def ms(values: list[float]) -> dict[str, float]:
        return {"p50": round(1000 * statistics.median(values), 1),
                "p95": round(1000 * percentile(values, 0.95), 1),
                "max": round(1000 * max(values), 1)} if values else {}

    return {
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "cores": len(os.sched_getaffinity(0)),
        "nodes": CHAINS * LENGTH,
        "engine_events": len(engine),
        "run_seconds": round(duration, 2),
        "lag_paint_ms": ms(lags["paint"]),
        "lag_apply_ms": ms(lags["apply"]),
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
