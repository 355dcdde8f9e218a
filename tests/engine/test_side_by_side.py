"""The same flows on prefect_jupyter and on Prefect 1.4.1: final states, results and log lines.

Prefect 1 runs in its own venv, the one ``scripts/prefect1-venv`` makes (and ``scripts/test``
prepares): ``$PREFECT_JUPYTER_PREFECT1_PYTHON``, ``/opt/prefect1`` or
``~/.cache/prefect-jupyter-bench/prefect1``. Without one the tests skip, saying how to make it.
The flows are in ``side_by_side_flows.py``; each engine runs them in a fresh process and reports
JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "side_by_side_flows.py"
CANDIDATES = [
    os.environ.get("PREFECT_JUPYTER_PREFECT1_PYTHON", ""),
    "/opt/prefect1/bin/python",
    str(Path.home() / ".cache" / "prefect-jupyter-bench" / "prefect1" / "bin" / "python"),
]
PREFECT1 = next((c for c in CANDIDATES if c and Path(c).exists()), None)

# Where the log lines differ on purpose (see the README's "Where we differ"): a retry with a
# short delay happens inside the same task run here; Prefect 1 ends the flow run's pass with the
# task Retrying and runs the flow again.
LOGS_DIFFER = {"retry"}


def report(python: str, package: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(HERE.parents[1]))
    done = subprocess.run(
        [python, str(SCRIPT), package], capture_output=True, text=True, env=env, timeout=600
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, f"{package} did not report (exit {done.returncode}):\n{done.stderr[-3000:]}"
    return json.loads(lines[-1][len("REPORT "):])


@pytest.fixture(scope="module")
def reports() -> tuple[dict, dict]:
    if PREFECT1 is None:
        pytest.skip("no Prefect 1.4.1 side venv (looked at: " + ", ".join(filter(None, CANDIDATES))
                    + "); make one with scripts/prefect1-venv")
    return report(sys.executable, "prefect_jupyter"), report(PREFECT1, "prefect")


FLOWS = ["chain", "map", "signals", "trigger", "terminal", "dates", "loop", "retry"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FLOWS)
def test_same_final_states_and_results(reports, name):
    ours, theirs = (r[name] for r in reports)
    assert ours["flow"] == theirs["flow"]
    assert ours["tasks"] == theirs["tasks"]
    assert ours.get("transitions") == theirs.get("transitions")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(FLOWS) - LOGS_DIFFER))
def test_same_log_lines(reports, name):
    ours, theirs = (r[name] for r in reports)
    assert ours["logs"] == theirs["logs"]


@pytest.mark.slow
def test_the_flows_cover_what_users_see(reports):
    ours, _ = reports
    assert ours["dates"]["tasks"]["dates"][0]["result"] == ["DateTime", "DateTime", True, True]
    assert ours["dates"]["transitions"][0] == "Scheduled -> Running"
    children = ours["map"]["tasks"]["invert"][0]["children"]
    assert [c["type"] for c in children] == ["Success", "Failed", "Success"]
    assert ["invert[2]", "INFO", "inverting 4"] in ours["map"]["logs"]
    assert ours["signals"]["tasks"]["finish_early"][0]["result"] == "SUCCESS: done early"
