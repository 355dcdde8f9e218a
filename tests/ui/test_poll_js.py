"""poll.js: the polling loop of the web UI and the JupyterLab extension, run under Node."""

from __future__ import annotations

import pathlib

from support.node import needs_node, run_es_module

POLL_JS = pathlib.Path(__file__).resolve().parents[2] / "prefect_jupyter/ui/static/js/poll.js"

pytestmark = needs_node

# Each call of the polled function stays in flight until the script releases it, and the interval
# is far longer than the script: what happens follows from the order of events alone.
SCRIPT = """
const settle = () => new Promise((r) => setImmediate(r));
let calls = 0, release = null, shown = true;
const fn = () => { calls += 1; return new Promise((r) => { release = r; }); };
const p = new P.Poller(fn, 1e9, { visible: () => shown, watchDocument: false });
const seen = {};
p.start(); seen.started = calls;
p.now(); p.now(); seen.whileInFlight = calls;
release(); await settle(); seen.coalescedOnce = calls;
release(); await settle(); seen.thenWaits = calls;
shown = false; p.now(); seen.hidden = calls;
shown = true; p.stop(); p.now(); seen.stopped = calls;
p.once(); seen.onceWhenStopped = calls;
p.once(); release(); await settle(); seen.noRepeatWhenStopped = calls;
console.log(JSON.stringify(seen));
"""


def test_one_call_in_flight_coalesced_requests_and_no_polling_when_hidden_or_stopped(tmp_path):
    assert run_es_module(tmp_path, {"P": POLL_JS}, SCRIPT) == {
        "started": 1,  # start() polls at once
        "whileInFlight": 1,  # never two calls at a time
        "coalescedOnce": 2,  # the two requests made meanwhile became one call
        "thenWaits": 2,  # then the interval (far away here)
        "hidden": 2,
        "stopped": 2,
        "onceWhenStopped": 3,  # a refresh button works on a stopped view
        "noRepeatWhenStopped": 3,
    }
