"""LocalExecutor: runs each submission at once, in the calling thread."""

from __future__ import annotations

import threading

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.configuration import config
from prefect_jupyter.executors import Executor, LocalExecutor, default_executor


def test_is_an_executor_with_a_readable_repr():
    executor = LocalExecutor()
    assert isinstance(executor, Executor)
    assert repr(executor) == "<Executor: LocalExecutor>"


def test_submit_runs_at_once_and_returns_the_value():
    ran = []

    def work(x, y=0):
        ran.append((x, y))
        return x + y

    executor = LocalExecutor()
    value = executor.submit(work, 1, y=2)
    assert value == 3
    assert ran == [(1, 2)]


def test_submit_runs_in_the_calling_thread():
    executor = LocalExecutor()
    assert executor.submit(threading.get_ident) == threading.get_ident()


def test_submit_accepts_and_ignores_extra_context():
    assert LocalExecutor().submit(lambda: "ok", extra_context={"task_name": "x"}) == "ok"


def test_submit_lets_errors_through():
    def broken():
        raise ZeroDivisionError("nope")

    with pytest.raises(ZeroDivisionError):
        LocalExecutor().submit(broken)


@pytest.mark.parametrize("futures", [1, [1, 2], (1, 2), {"a": 1}, None])
def test_wait_returns_what_it_is_given(futures):
    assert LocalExecutor().wait(futures) == futures


def test_start_is_a_reusable_context_manager():
    executor = LocalExecutor()
    with executor.start():
        first = executor.submit(lambda: 1)
    with executor.start():
        second = executor.submit(lambda: 2)
    assert (first, second) == (1, 2)


def test_default_executor_is_local():
    assert config.engine.executor.default_class == "prefect_jupyter.executors.LocalExecutor"
    executor = default_executor()
    assert type(executor) is LocalExecutor
    assert default_executor() is not executor


def test_flow_run_with_local_executor_runs_tasks_in_order():
    order = []

    @task
    def first():
        order.append("first")
        return 1

    @task
    def second(x):
        order.append("second")
        return x + 1

    with Flow("local") as flow:
        s = second(first())
    state = flow.run(executor=LocalExecutor())
    assert state.is_successful()
    assert state.result[s].result == 2
    assert order == ["first", "second"]


def test_mapped_flow_with_local_executor():
    @task
    def double(x):
        return threading.get_ident(), 2 * x

    with Flow("local-map") as flow:
        d = double.map([1, 2, 3])
    state = flow.run(executor=LocalExecutor())
    results = state.result[d].result
    assert [value for _, value in results] == [2, 4, 6]
    assert {ident for ident, _ in results} == {threading.get_ident()}


def test_a_custom_executor_gets_every_task_run():
    class CountingExecutor(LocalExecutor):
        def __init__(self) -> None:
            self.submitted = 0

        def submit(self, fn, *args, extra_context=None, **kwargs):
            self.submitted += 1
            return super().submit(fn, *args, **kwargs)

    @task
    def inc(x):
        return x + 1

    with Flow("counting") as flow:
        inc.map([1, 2])
        inc(1)
    executor = CountingExecutor()
    assert flow.run(executor=executor).is_successful()
    # one parent and two children for the map, one for the plain call
    assert executor.submitted == 4
