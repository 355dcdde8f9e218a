"""Side by side with Prefect 1.4.1 (in its own venv): the same objects give the same JSON.

``prefect1_objects.py`` builds states, a schedule, run configs, storages and a flow with the same
code on both packages and dumps them with the schemas. Compared after dropping ``__version__``
and reading ``prefect_jupyter.`` as ``prefect.`` in names:

* what each package dumps;
* what each package gives back after loading the other's JSON (Prefect 1 reading its own JSON
  is the reference).

The Prefect 1 interpreter is ``$PREFECT_JUPYTER_PREFECT1_PYTHON``, else the venv made by
``scripts/prefect1-venv`` (the one tests/benchmarks use); without one the tests skip, naming it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("marshmallow", reason="the serialization extra is not installed")

HERE = Path(__file__).parent
SCRIPT = HERE / "prefect1_objects.py"
CANDIDATES = [
    os.environ.get("PREFECT_JUPYTER_PREFECT1_PYTHON", ""),
    "/opt/prefect1/bin/python",
    str(Path.home() / ".cache" / "prefect-jupyter-bench" / "prefect1" / "bin" / "python"),
]


def _prefect1_python() -> str | None:
    for candidate in filter(None, CANDIDATES):
        if Path(candidate).exists():
            probe = subprocess.run(
                [candidate, "-c", "import marshmallow, prefect, prefect.serialization.flow; "
                 "assert prefect.__version__ == '1.4.1'; "
                 "assert int(marshmallow.__version__.split('.')[0]) < 4"],
                capture_output=True, text=True,
            )
            if probe.returncode == 0:
                return candidate
    return None


PREFECT1 = _prefect1_python()
pytestmark = pytest.mark.skipif(
    PREFECT1 is None,
    reason="no Prefect 1.4.1 side venv: run scripts/prefect1-venv, or set "
    "PREFECT_JUPYTER_PREFECT1_PYTHON to an interpreter with prefect==1.4.1, marshmallow<4",
)


def _run(python: str, package: str, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT")}
    done = subprocess.run(
        [python, str(SCRIPT), package, *args], capture_output=True, text=True, env=env,
        cwd=HERE,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if k != "__version__"}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str):
        return value.replace("prefect_jupyter.", "prefect.")
    return value


@pytest.fixture(scope="module")
def dumps(tmp_path_factory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("side-by-side")
    theirs = _run(PREFECT1, "prefect")
    ours = _run(sys.executable, "prefect_jupyter")
    (folder / "theirs.json").write_text(json.dumps(theirs))
    (folder / "ours.json").write_text(json.dumps(ours))
    return {"theirs": theirs, "ours": ours, "folder": folder}


@pytest.mark.parametrize("kind", ["states", "schedule", "run_configs", "storage", "flow"])
def test_same_objects_dump_the_same_json(dumps, kind) -> None:
    assert _normal(dumps["ours"][kind]) == _normal(dumps["theirs"][kind])


def test_prefect_1_json_loads_here_as_prefect_1_loads_it(dumps) -> None:
    theirs_file = str(dumps["folder"] / "theirs.json")
    reference = _run(PREFECT1, "prefect", "--load", theirs_file)
    here = _run(sys.executable, "prefect_jupyter", "--load", theirs_file)
    reference_flow, here_flow = reference.pop("flow"), here.pop("flow")
    assert _normal(here) == _normal(reference)
    # a loaded flow's tasks are plain Tasks (their `outputs` text differs: Prefect 1's base
    # Task.run says `-> None`); its graph, schedule, slugs and triggers are the same
    assert _normal(here_flow)["edges"] == _normal(reference_flow)["edges"]
    assert _normal(here_flow)["schedule"] == _normal(reference_flow)["schedule"]
    assert [t["slug"] for t in here_flow["tasks"]] == [t["slug"] for t in reference_flow["tasks"]]
    assert [t["trigger"] for t in _normal(here_flow)["tasks"]] == [
        t["trigger"] for t in _normal(reference_flow)["tasks"]
    ]


def test_our_states_run_configs_and_storage_load_in_prefect_1(dumps) -> None:
    # what a Prefect 1 agent or client reads from this project's server
    part = {k: dumps["ours"][k] for k in ("states", "run_configs", "storage")}
    ours_file = dumps["folder"] / "ours-part.json"
    ours_file.write_text(json.dumps(part))
    assert _normal(_run(PREFECT1, "prefect", "--load", str(ours_file))) == _normal(part)
