"""Flows of the end-to-end restart and fault tests; the agents' flow-run processes import this
module by name (the tests put this directory on their PYTHONPATH).

Each task leaves a trace in ``out_dir`` (a parameter), so a test can tell what ran how often.
"""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.engine.results import LocalResult


def _append(out_dir: str, name: str) -> None:
    with (Path(out_dir) / f"{name}.txt").open("a") as f:
        f.write(f"{os.getpid()}\n")


@task
def first(out_dir: str) -> int:
    """Appends a line to ``first.txt`` each time it runs."""
    _append(out_dir, "first")
    return 21


@task
def second(x: int, out_dir: str) -> int:
    """Fails the first time it runs (it leaves a flag file), then doubles ``x``."""
    _append(out_dir, "second")
    flag = Path(out_dir) / "second-failed-once"
    if not flag.exists():
        flag.touch()
        raise ValueError("second fails the first time")
    return x * 2


@task
def third(y: int) -> int:
    return y + 1


def restartable_flow(results_dir: str | None) -> Flow:
    """``first(out_dir)`` → ``second`` (fails once) → ``third``; results in ``results_dir``
    (``None``: results are not persisted)."""
    result = LocalResult(dir=results_dir) if results_dir else None
    with Flow("restartable", result=result) as flow:
        out_dir = Parameter("out_dir")
        third(second(first(out_dir), out_dir))
    return flow


@task
def mark(out_dir: str) -> str:
    _append(out_dir, "mark")
    return "marked"


@task(max_retries=1, retry_delay=datetime.timedelta(seconds=0))
def hang(x: str, out_dir: str) -> str:
    """The first time: writes its process id to ``hang.pid`` and hangs (to be killed)."""
    _append(out_dir, "hang")
    pid_file = Path(out_dir) / "hang.pid"
    if not pid_file.exists():
        pid_file.write_text(str(os.getpid()))
        time.sleep(120)
    return x + "!"


@task
def finish(y: str) -> str:
    return y.upper()


def hanging_flow(results_dir: str) -> Flow:
    """``mark`` → ``hang`` (retries once; hangs the first time) → ``finish``."""
    with Flow("hanging", result=LocalResult(dir=results_dir)) as flow:
        out_dir = Parameter("out_dir")
        finish(hang(mark(out_dir), out_dir))
    return flow
