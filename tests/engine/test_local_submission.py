"""The LocalExecutor's task runs are called by the flow runner itself; a replaced submit still runs."""

from __future__ import annotations

from typing import Any

from prefect_jupyter import Flow, task
from prefect_jupyter.executors import LocalExecutor


@task
def inc(x: int) -> int:
    return x + 1


def build() -> tuple[Flow, Any]:
    with Flow("submissions") as flow:
        last = inc.map([1, 2, 3])
        total = inc(4)
    return flow, (last, total)


class CountingExecutor(LocalExecutor):
    def __init__(self) -> None:
        self.submitted: list[Any] = []

    def submit(self, fn: Any, *args: Any, extra_context: dict | None = None, **kwargs: Any) -> Any:
        self.submitted.append((extra_context or {}).get("task_name"))
        return super().submit(fn, *args, extra_context=extra_context, **kwargs)


def test_a_subclass_that_overrides_submit_gets_every_task_run() -> None:
    flow, (mapped, single) = build()
    executor = CountingExecutor()
    state = flow.run(executor=executor)
    assert state.is_successful()
    assert state.result[mapped].result == [2, 3, 4] and state.result[single].result == 5
    # the mapped parent, its three children and the single inc
    assert executor.submitted.count("inc") == 5


def test_an_instance_whose_submit_is_replaced_gets_every_task_run() -> None:
    flow, (mapped, _) = build()
    executor = LocalExecutor()
    calls: list[str] = []

    def submit(fn: Any, *args: Any, extra_context: dict | None = None, **kwargs: Any) -> Any:
        calls.append((extra_context or {}).get("task_name"))
        return fn(*args, **kwargs)

    executor.submit = submit  # type: ignore[method-assign]
    state = flow.run(executor=executor)
    assert state.result[mapped].result == [2, 3, 4]
    assert calls.count("inc") == 5


def test_the_plain_local_executor_gives_the_same_states() -> None:
    flow, (mapped, single) = build()
    state = flow.run(executor=LocalExecutor())
    assert [type(s).__name__ for s in state.result[mapped].map_states] == ["Success"] * 3
    assert state.result[single].result == 5
