"""The browser's states.js says what Python says: the same state sets, the same node states.

states.js is imported by the notebook widget, the web UI and the JupyterLab extension; here it
runs under Node on the same inputs as prefect_jupyter.viz.model.node_state.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
from collections import Counter

from support.node import needs_node, run_es_module

from prefect_jupyter.engine import state_sets
from prefect_jupyter.engine.state import (
    Cancelled,
    Failed,
    Mapped,
    Pending,
    Retrying,
    Running,
    Success,
    TimedOut,
    ValidationFailed,
)
from prefect_jupyter.viz.model import node_state

ROOT = pathlib.Path(__file__).resolve().parents[2]
STATES_JS = ROOT / "prefect_jupyter" / "jupyter" / "static" / "states.js"

pytestmark = needs_node


def run_js(tmp_path: pathlib.Path, body: str, data: object) -> object:
    """Run ``body`` under Node with states.js as ``S``; the JSON it prints."""
    return run_es_module(tmp_path, {"S": STATES_JS}, body, data)


def test_generated_block_is_current():
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate-states-js"), "--check"],
        capture_output=True, text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_js_sets_equal_python_sets(tmp_path):
    names = {"ALL": "ALL", "RUNNABLE_SCHEDULED": "RUNNABLE_SCHEDULED", "META": "meta_state"}
    names.update({p.upper(): p for p in state_sets.PREDICATES if p != "meta_state"})
    got = run_js(
        tmp_path,
        "console.log(JSON.stringify(Object.fromEntries(data.map((n) => [n, [...S[n]].sort()]))));",
        sorted(names),
    )
    for const, predicate in names.items():
        expected = getattr(state_sets, const) if const in ("ALL", "RUNNABLE_SCHEDULED") else (
            state_sets.STATE_SETS[predicate]
        )
        assert got[const] == sorted(expected), const


def _children(*states):
    return list(states)


CASES = [
    ("task", None),
    ("task", Success("ok")),
    ("task", ValidationFailed("bad result")),
    ("mapped", None),
    ("mapped", Pending()),
    ("mapped", Running()),
    ("mapped", Retrying("again")),
    ("mapped", Mapped("spawned", n_map_states=4)),  # no child reported yet
    ("mapped", Mapped(map_states=_children(Success(), None, Running()), n_map_states=3)),
    ("mapped", Mapped(map_states=_children(Success(), Failed(), TimedOut(), Cancelled()))),
    ("mapped", Mapped(map_states=_children(Success(), Success()), n_map_states=5)),
    ("mapped", Mapped(map_states=_children(*[Success()] * 3, ValidationFailed()))),
    ("mapped", Failed("could not map: not iterable")),
]


def test_node_state_in_js_equals_python(tmp_path):
    inputs, expected = [], []
    for kind, state in CASES:
        children = state.map_states if isinstance(state, Mapped) else []
        counts = Counter(type(c).__name__ for c in children if c is not None)
        inputs.append({
            "kind": kind,
            "state": None if state is None else type(state).__name__,
            "message": None if state is None else state.message,
            "counts": dict(counts) if kind == "mapped" else None,
            "n": state.n_map_states if isinstance(state, Mapped) else None,
        })
        fields = node_state(state, kind)
        del fields["color"]  # the browser takes colours from the stylesheet
        expected.append(fields)
    got = run_js(
        tmp_path,
        "console.log(JSON.stringify(data.map((c) => {"
        " const f = S.nodeState(c.kind, c.state, c.message, c.counts, c.n);"
        " delete f.color; return f; })));",
        inputs,
    )
    assert got == expected


def test_child_progress_counts_finished_and_failed(tmp_path):
    got = run_js(
        tmp_path,
        "console.log(JSON.stringify(S.childProgress(data)));",
        {"Success": 3, "ValidationFailed": 1, "Cancelled": 1, "ClientFailed": 2, "Running": 4},
    )
    assert got == {"done": 5, "failed": 1}  # Cancelled finished without failing
