"""The live widget at 1,000 nodes in a real browser: every state change reaches the page.

The run, the in-page recorder and the figures are in ``tests/support/widget_scale.py`` (shared
with the benchmark ``tests/benchmarks/widget_scale.py``, whose figures the README quotes). The
figures of this run are written to ``tests/artifacts/browser/scale-measurements.json``.

No wall-clock limits: how fast the page follows (fps, frame gaps, lag behind the engine) depends
on what else the machine runs, so the benchmark measures it and the README quotes it. The test
checks what does not: every engine event reached the page, the widget coalesced its updates (at
most one message per ``FLUSH_INTERVAL`` while the run went on, plus the run's first and last
pushes), the final states, the header and the zoom buttons.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from support.widget_scale import (
    CELLS,
    CHAINS,
    LENGTH,
    RECORDER,
    RUN_CELL,
    TAKE_RECORDING,
    measure,
)

from prefect_jupyter.jupyter.live import FLUSH_INTERVAL

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

#: pushes besides the timer's (the run's start and end, the final apply_state) and arrivals
#: from just before the first task event
EXTRA_MESSAGES = 5


def test_widget_keeps_up_with_a_1000_task_flow(
    lab: Any, page: Any, console: Any, artifacts: Any, open_notebook: Any, run_all_cells: Any
) -> None:
    open_notebook("scale.ipynb", CELLS)
    page.evaluate(RECORDER, RUN_CELL)
    load_before = os.getloadavg()[0]
    run_all_cells(timeout=150, shot="scale-timeout")
    page.wait_for_timeout(1000)  # the final pushes and a second of idle frames
    rec = page.evaluate(TAKE_RECORDING)
    widget = page.locator(".jp-Notebook .jp-Cell").nth(RUN_CELL).locator(".pj-widget")
    widget.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "scale-final.png")

    engine = json.loads((lab.root / "big_events.json").read_text())
    assert len(engine) == 2 * CHAINS * LENGTH  # Running and Success of each task
    figures = measure(rec, lab.root, load_before)
    (artifacts / "scale-measurements.json").write_text(json.dumps(figures, indent=1) + "\n")

    assert not figures["events_never_shown"], f"engine events never reached the page: {figures}"
    # coalesced: the timer pushes at most once per FLUSH_INTERVAL (arrivals may bunch, but
    # none are added), whatever the machine's load
    most = (figures["run_seconds"] + 0.5) / FLUSH_INTERVAL + EXTRA_MESSAGES
    assert 0 < figures["update_messages_in_run"] <= most, figures
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
