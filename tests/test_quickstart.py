"""The quick start's main job (examples/quickstart.py) end to end: server + UI + agent on SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from prefect_jupyter.server.process import free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quickstart_runs_hello_world_then_a_scheduled_flow_through_the_agent(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PREFECT_JUPYTER__HOME_DIR": str(tmp_path),
        "PREFECT_JUPYTER__SERVER__PORT": str(free_port()),
        "PREFECT_JUPYTER__SERVER__UI__PORT": str(free_port()),
    }
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py"), "--exit"],
        capture_output=True, text=True, timeout=240, env=env, cwd=ROOT,
    )
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert "Hello, world!" in text
    assert "log: Loaded 10 squares, total 385" in out.stdout
    assert "The run ended Success. 10 scheduled runs are queued" in out.stdout
    assert (tmp_path / "server.db").exists()
