"""Ctrl-C during ``flow.run``: the run stops, observers hear how it ended, nothing is left behind.

A task sends SIGINT to the process running the flow (its pid comes in as a Parameter), then
sleeps; the interrupt must surface from ``flow.run`` as ``KeyboardInterrupt`` on every executor.
"""

from __future__ import annotations

import os
import pathlib
import signal
import time

import psutil
import pytest

from prefect_jupyter import Flow, Parameter, task, unmapped
from prefect_jupyter.engine.events import StateEvent
from prefect_jupyter.engine.state import Cancelled, Running, Success
from prefect_jupyter.executors import DaskExecutor, LocalDaskExecutor


@task
def warm_up() -> int:
    return 0


@task
def interrupt(pid: int) -> int:
    os.kill(pid, signal.SIGINT)
    time.sleep(2)  # cut short by the interrupt (or left behind on a thread that can't be killed)
    return 1


@task
def never(x: int) -> int:
    return x


def worker_processes() -> set[int]:
    """This process's children, without multiprocessing's lifelong resource tracker."""
    return {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "resource_tracker" not in " ".join(p.cmdline())
    }


def interrupted_flow() -> tuple[Flow, dict[str, object]]:
    with Flow("interrupted") as flow:
        first = warm_up()
        stop = interrupt(Parameter("pid"), upstream_tasks=[first])
        last = never(stop)
    return flow, {"warm_up": first, "interrupt": stop, "never": last}


def run_until_interrupted(flow: Flow, executor: object) -> list[StateEvent]:
    # no wall-clock bound here: a hang is caught by pytest-timeout, and the events below say
    # how the run ended
    seen: list[StateEvent] = []
    with pytest.raises(KeyboardInterrupt):
        flow.run(executor=executor, pid=os.getpid(), observers=[seen.append])
    return list(seen)


def states_of(seen: list[StateEvent], task_: object) -> list[type]:
    return [type(e.new_state) for e in seen if e.task is task_ and e.map_index is None]


def assert_ended_cancelled(seen: list[StateEvent], tasks: dict[str, object]) -> None:
    # the task that was running when the interrupt came is Cancelled
    running = states_of(seen, tasks["interrupt"])
    assert running[0] is Running and running[-1] is Cancelled
    cancelled = [e.new_state for e in seen if e.task is tasks["interrupt"]][-1]
    assert "KeyboardInterrupt" in cancelled.message
    # a task that finished before stays finished
    assert states_of(seen, tasks["warm_up"]) == [Running, Success]
    # a task that never started is not reported as running
    assert Running not in states_of(seen, tasks["never"])
    assert seen[-1].is_flow_event
    assert type(seen[-1].new_state) is Cancelled
    assert seen[-1].new_state.message == "Flow run was interrupted (KeyboardInterrupt)."


def test_keyboard_interrupt_cancels_the_run(executor):
    flow, tasks = interrupted_flow()
    before = worker_processes()
    seen = run_until_interrupted(flow, executor)
    assert_ended_cancelled(seen, tasks)
    # LocalDaskExecutor("processes"): its pool's workers (busy or not) and the event queue's
    # manager process are stopped
    assert worker_processes() == before


def _wait_for_files(folder: pathlib.Path, n: int, timeout: float = 90) -> None:
    """Block until ``folder`` holds ``n`` files (the tasks that make them have started)."""
    deadline = time.monotonic() + timeout  # only a guard against a hang, not a timing guess
    while len(list(folder.iterdir())) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(list(folder.iterdir()))} of {n} tasks started")
        time.sleep(0.05)


def test_worker_processes_stop_even_while_busy(tmp_path: pathlib.Path):
    started, finished = tmp_path / "started", tmp_path / "finished"
    started.mkdir()
    finished.mkdir()

    @task
    def busy(x: int, started: str, finished: str) -> int:
        pathlib.Path(started, str(x)).touch()
        time.sleep(60)  # longer than the test may take: only stopping the worker ends it early
        pathlib.Path(finished, str(x)).touch()
        return x

    @task
    def interrupt_once_busy(pid: int, started: str) -> None:
        _wait_for_files(pathlib.Path(started), 2)  # both children are running
        os.kill(pid, signal.SIGINT)
        time.sleep(5)

    with Flow("busy") as flow:
        interrupt_once_busy(Parameter("pid"), str(started))
        children = busy.map([1, 2], started=unmapped(str(started)), finished=unmapped(str(finished)))
    before = worker_processes()
    seen: list[StateEvent] = []
    with pytest.raises(KeyboardInterrupt):
        flow.run(
            executor=LocalDaskExecutor("processes", num_workers=3),
            pid=os.getpid(),
            observers=[seen.append],
        )
    # the children were stopped, not waited for: neither got to the end of its sleep
    assert sorted(p.name for p in started.iterdir()) == ["1", "2"]
    assert list(finished.iterdir()) == []
    assert worker_processes() == before
    for index in (0, 1):
        assert [type(e.new_state) for e in seen if e.task is children and e.map_index == index] == [
            Running,
            Cancelled,
        ]


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
def test_a_temporary_cluster_is_closed_after_an_interrupt():
    flow, tasks = interrupted_flow()
    before = worker_processes()
    executor = DaskExecutor(cluster_kwargs={"n_workers": 1, "threads_per_worker": 2})
    seen = run_until_interrupted(flow, executor)
    assert_ended_cancelled(seen, tasks)
    assert executor.client is None
    assert worker_processes() == before
