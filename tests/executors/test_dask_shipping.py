"""What DaskExecutor ships to the cluster: the driver's configuration, and a mapped task's constants once.

Runs on the real two-worker LocalCluster of ``conftest.py``. Task runs are pickled by the
executor (tasks and configs once per run, a mapped task's shared objects once per task); these
tests check what a user can see of that: the values tasks read on the workers, and how much is
submitted to the scheduler.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import pytest

import prefect_jupyter
from prefect_jupyter import Flow, context, task, unmapped
from prefect_jupyter.executors import DaskExecutor
from prefect_jupyter.utilities.configuration import set_temporary_config

BIG = 200_000  # bytes of the unmapped argument shared by every child


@task
def probe_config(_: Any = None) -> Any:
    """What a task run on a worker reads from its configuration."""
    section = context.config.get("shipping_probe")
    return section.get("value") if section is not None else None


@task
def uses_own_config(_: Any = None) -> bool:
    """Whether the task run's context config is the worker's own configuration object."""
    return context.config is prefect_jupyter.config


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def blob() -> bytes:
    return b"x" * BIG


@task
def plus_size(x: int, data: bytes) -> int:
    return x + len(data)


@task
def inc(x: int) -> int:
    return x + 1


@pytest.fixture
def submissions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int]]]:
    """(key, bytes of the pickled arguments) of every ``Client.submit`` of the test."""
    from distributed import Client

    calls: list[tuple[str, int]] = []
    original = Client.submit

    def submit(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        size = sum(len(a) for a in args if isinstance(a, bytes))
        calls.append((str(kwargs.get("key")), size))
        return original(self, fn, *args, **kwargs)

    monkeypatch.setattr(Client, "submit", submit)
    yield calls


class TestConfiguration:
    def test_unchanged_config_is_the_workers_own(self, dask_address):
        with Flow("own config") as flow:
            single = uses_own_config()
            mapped = uses_own_config.map([1, 2, 3])
        state = flow.run(executor=DaskExecutor(address=dask_address))
        assert state.is_successful()
        assert state.result[single].result is True
        assert [s.result for s in state.result[mapped].map_states] == [True, True, True]

    def test_config_changed_in_the_driver_reaches_task_runs(self, dask_address):
        with Flow("changed config") as flow:
            single = probe_config()
            mapped = probe_config.map([1, 2, 3])
        with set_temporary_config({"shipping_probe.value": "set in the driver"}):
            state = flow.run(executor=DaskExecutor(address=dask_address))
        assert state.is_successful()
        assert state.result[single].result == "set in the driver"
        assert [s.result for s in state.result[mapped].map_states] == ["set in the driver"] * 3

    def test_a_context_config_overlay_reaches_task_runs(self, dask_address):
        with Flow("overlay") as flow:
            single = probe_config()
            mapped = probe_config.map([1, 2])
        with context(config={"shipping_probe": {"value": "overlay"}}):
            state = flow.run(executor=DaskExecutor(address=dask_address))
        assert state.result[single].result == "overlay"
        assert [s.result for s in state.result[mapped].map_states] == ["overlay", "overlay"]

    def test_a_later_run_does_not_see_an_earlier_runs_change(self, dask_address):
        with Flow("two runs") as flow:
            single = probe_config()
            same = uses_own_config()
        with set_temporary_config({"shipping_probe.value": "first run only"}):
            first = flow.run(executor=DaskExecutor(address=dask_address))
        second = flow.run(executor=DaskExecutor(address=dask_address))
        assert first.result[single].result == "first run only"
        assert first.result[same].result is False
        assert second.result[single].result is None
        assert second.result[same].result is True


class TestMappedConstants:
    def test_a_large_unmapped_argument_is_submitted_once(self, dask_address, submissions):
        with Flow("shared argument") as flow:
            sized = plus_size.map(numbers(20), data=unmapped(blob()))
        state = flow.run(executor=DaskExecutor(address=dask_address))
        assert state.is_successful()
        assert [s.result for s in state.result[sized].map_states] == [BIG + i for i in range(20)]
        constants = [key for key, _ in submissions if "-constants-" in key]
        assert len(constants) == 1 and constants[0].startswith("plus_size-constants-")
        children = [
            size
            for key, size in submissions
            if key.startswith("plus_size-") and key.rsplit("-", 1)[-1].isdigit()
        ]
        assert len(children) == 20
        assert max(children) < 2_000  # a child ships its own element, not the shared data
        # the shared value goes to the mapped parent and to the constants, not to each child
        assert sum(size for _, size in submissions) < 3 * BIG

    def test_chained_maps_get_one_constants_key_per_mapped_task(self, dask_address, submissions):
        with Flow("two maps") as flow:
            first = inc.map(numbers(10))
            second = inc.map(first)
        state = flow.run(executor=DaskExecutor(address=dask_address))
        assert [s.result for s in state.result[second].map_states] == [i + 2 for i in range(10)]
        constants = [key for key, _ in submissions if "-constants-" in key]
        assert len(constants) == 2
        assert sum(1 for key, _ in submissions if key.startswith("inc-")) == 2 + 2 * 10 + 2


class TestPickling:
    def test_a_function_defined_in_main_runs_on_the_workers(self, dask_address):
        # a notebook's functions live in __main__, which workers can't import by name
        namespace: dict[str, Any] = {"__name__": "__main__"}
        exec("def double(x):\n    return 2 * x\n", namespace)
        double = namespace["double"]
        assert isinstance(double, types.FunctionType) and double.__module__ == "__main__"
        with Flow("main") as flow:
            single = task(double)(21)
            mapped = task(double).map([1, 2, 3])
        state = flow.run(executor=DaskExecutor(address=dask_address))
        assert state.result[single].result == 42
        assert [s.result for s in state.result[mapped].map_states] == [2, 4, 6]

    def test_lambdas_as_trigger_and_state_handler_still_work(self, dask_address):
        with Flow("lambdas") as flow:
            first = inc(1)
            second = inc(
                first,
                task_args={
                    "trigger": lambda upstream: all(s.is_successful() for s in upstream.values()),
                    "state_handlers": [lambda t, old, new: new],
                },
            )
        state = flow.run(executor=DaskExecutor(address=dask_address))
        assert state.result[second].result == 3

    def test_upstream_tasks_in_edges_are_the_same_objects_as_the_tasks(self, dask_address):
        @task
        def check_edges(x: int) -> bool:
            return True

        def trigger(upstream_states: dict) -> bool:
            # every edge's downstream task is the task being run, its upstream the one before
            (edge,) = upstream_states
            return edge.downstream_task.name == "check_edges" and edge.upstream_task.name == "inc"

        with Flow("edges") as flow:
            checked = check_edges(inc(1), task_args={"trigger": trigger})
        state = flow.run(executor=DaskExecutor(address=dask_address))
        assert state.result[checked].result is True
