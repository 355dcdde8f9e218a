"""LocalDaskExecutor: Dask's local schedulers, each task run computed exactly once, depth first."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psutil
import pytest

from prefect_jupyter import Flow, task, unmapped
from prefect_jupyter.executors import Executor, LocalDaskExecutor

SCHEDULERS = ["synchronous", "threads", "processes"]


def note(directory: str, label: str) -> None:
    with open(os.path.join(directory, "runs.txt"), "a") as f:
        f.write(label + "\n")


def notes(directory: Path) -> list[str]:
    return (directory / "runs.txt").read_text().splitlines()


@task
def numbers(directory: str) -> list[int]:
    note(directory, "numbers")
    return [1, 2, 3]


@task
def size(directory: str, xs: list[int]) -> int:
    note(directory, "size")
    return len(xs)


@task
def double(directory: str, x: int) -> int:
    note(directory, f"double {x}")
    return 2 * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


def worker_processes() -> set[int]:
    return {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if "resource_tracker" not in " ".join(p.cmdline())
    }


class TestConstruction:
    @pytest.mark.parametrize(
        ("given", "scheduler"),
        [
            ("threads", "threads"),
            ("threading", "threads"),
            ("processes", "processes"),
            ("multiprocessing", "processes"),
            ("synchronous", "synchronous"),
            ("sync", "synchronous"),
        ],
    )
    def test_scheduler_names(self, given, scheduler):
        executor = LocalDaskExecutor(given)
        assert isinstance(executor, Executor)
        assert executor.scheduler == scheduler
        assert repr(executor) == f"<Executor: LocalDaskExecutor(scheduler={scheduler!r})>"

    def test_threads_by_default(self):
        assert LocalDaskExecutor().scheduler == "threads"

    def test_an_unknown_scheduler_is_refused(self):
        with pytest.raises(
            ValueError, match="Unknown scheduler 'bogus'.*'threads', 'processes' or 'synchronous'"
        ):
            LocalDaskExecutor("bogus")


@pytest.mark.parametrize("scheduler", SCHEDULERS)
class TestSubmitAndWait:
    def test_futures_are_resolved_inside_structures(self, scheduler):
        executor = LocalDaskExecutor(scheduler, num_workers=2)
        with executor.start():
            a = executor.submit(int.__add__, 1, 2)
            b = executor.submit(int.__mul__, a, 10)
            assert executor.wait(b) == 30
            assert executor.wait({"a": a, "both": [a, b], "plain": 7}) == {
                "a": 3,
                "both": [3, 30],
                "plain": 7,
            }

    def test_a_task_run_executes_once_when_the_flow_runner_waits_part_way(
        self, scheduler, tmp_path
    ):
        # the runner waits for `numbers` before mapping over it; `size` uses it again later
        directory = str(tmp_path)
        with Flow("once") as flow:
            xs = numbers(directory)
            count = size(directory, xs)
            doubled = double.map(directory=unmapped(directory), x=xs)
            result = total(doubled)
        state = flow.run(executor=LocalDaskExecutor(scheduler, num_workers=2))
        assert state.is_successful()
        assert state.result[count].result == 3
        assert state.result[result].result == 12
        assert sorted(notes(tmp_path)) == ["double 1", "double 2", "double 3", "numbers", "size"]


class TestDepthFirst:
    def test_chained_maps_run_element_by_element(self):
        started: list[tuple[str, int, float]] = []
        ended: list[tuple[str, int, float]] = []

        @task
        def first(x: int) -> int:
            started.append(("first", x, time.monotonic()))
            time.sleep(0.05)
            ended.append(("first", x, time.monotonic()))
            return x

        @task
        def second(x: int) -> int:
            started.append(("second", x, time.monotonic()))
            time.sleep(0.05)
            ended.append(("second", x, time.monotonic()))
            return x

        with Flow("depth first") as flow:
            result = second.map(first.map(list(range(8))))
        state = flow.run(executor=LocalDaskExecutor("threads", num_workers=2))
        assert [c.result for c in state.result[result].map_states] == list(range(8))
        first_second_start = min(t for name, _, t in started if name == "second")
        last_first_end = max(t for name, _, t in ended if name == "first")
        # breadth first would finish all 8 first-level children before any second-level one
        assert first_second_start < last_first_end
        order = [name for name, _, _ in sorted(started, key=lambda s: s[2])]
        assert order.index("second") < order.count("first") - 1


class TestPools:
    def test_threads_run_off_the_calling_thread(self):
        @task
        def which_thread() -> int:
            return threading.get_ident()

        with Flow("threads") as flow:
            result = which_thread()
        state = flow.run(executor=LocalDaskExecutor("threads"))
        assert state.result[result].result != threading.get_ident()

    def test_synchronous_runs_in_the_calling_thread(self):
        @task
        def which_thread() -> int:
            return threading.get_ident()

        with Flow("synchronous") as flow:
            result = which_thread()
        state = flow.run(executor=LocalDaskExecutor("synchronous"))
        assert state.result[result].result == threading.get_ident()

    def test_worker_processes_are_gone_after_the_run(self, tmp_path):
        before = worker_processes()
        with Flow("processes") as flow:
            doubled = double.map(directory=unmapped(str(tmp_path)), x=[1, 2, 3, 4])
        seen: list = []
        state = flow.run(
            executor=LocalDaskExecutor("processes", num_workers=2), observers=[seen.append]
        )
        assert [c.result for c in state.result[doubled].map_states] == [2, 4, 6, 8]
        assert seen  # the event manager's process is also gone
        assert worker_processes() == before

    def test_a_task_result_that_cannot_come_back_is_explained(self):
        @task
        def make_lock() -> object:
            return threading.Lock()

        with Flow("lock result") as flow:
            make_lock()
        state = flow.run(executor=LocalDaskExecutor("processes", num_workers=2))
        assert not state.is_successful()
        assert "pickle" in state.message
