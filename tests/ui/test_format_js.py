"""format.js: the times and durations the web UI and the JupyterLab extension show."""

from __future__ import annotations

import pathlib

from support.node import needs_node, run_es_module

FORMAT_JS = pathlib.Path(__file__).resolve().parents[2] / "prefect_jupyter/ui/static/js/format.js"

pytestmark = needs_node

NOW = "2026-01-02T03:04:05Z"


def test_durations_read_in_the_largest_sensible_unit(tmp_path):
    got = run_es_module(
        tmp_path, {"F": FORMAT_JS},
        "console.log(JSON.stringify(data.map((s) => F.fmtDuration(s))));",
        [None, 0.25, 4.2, 185, 7500],
    )
    assert got == ["—", "250 ms", "4.2 s", "3 min 5 s", "2 h 5 min"]


def test_timestamps_without_a_zone_are_utc_and_relative_times_read_both_ways(tmp_path):
    got = run_es_module(
        tmp_path, {"F": FORMAT_JS},
        """const now = F.ms(data.now);
        console.log(JSON.stringify({
          naive: F.ms("2026-01-02T03:04:05") === now,
          offset: F.ms("2026-01-02T04:04:05+01:00") === now,
          past: F.fmtRelative("2026-01-02T03:01:00Z", now),
          future: F.fmtRelative("2026-01-02T03:04:10Z", now),
          none: F.fmtRelative(null, now),
          took: F.duration("2026-01-02T03:04:00Z", data.now),
          open: F.duration(null, data.now),
        }));""",
        {"now": NOW},
    )
    assert got == {"naive": True, "offset": True, "past": "3 min 5 s ago", "future": "in 5 s",
                   "none": "—", "took": 5, "open": None}
