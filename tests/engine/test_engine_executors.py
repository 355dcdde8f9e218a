"""prefect_jupyter.engine.executors: Prefect 1.4.1's deprecated executor path still runs flows."""

from __future__ import annotations

import pytest

from prefect_jupyter import Flow, executors, task
from prefect_jupyter.engine import executors as old_path


@pytest.mark.parametrize("name", ["LocalExecutor", "LocalDaskExecutor"])
def test_the_old_path_warns_and_runs_flows(name) -> None:
    @task
    def double(x: int) -> int:
        return 2 * x

    with Flow("f") as flow:
        doubled = double.map([1, 2, 3])
    with pytest.warns(UserWarning, match=f"engine.executors.{name} has been moved to `prefect_jupyter.executors.{name}`"):
        executor = getattr(old_path, name)()
    assert isinstance(executor, getattr(executors, name))
    state = flow.run(executor=executor)
    assert state.result[doubled].result == [2, 4, 6]


def test_a_subclass_is_named_after_the_executor_it_stands_for() -> None:
    class Mine(old_path.LocalExecutor):
        pass

    with pytest.warns(UserWarning, match="engine.executors.LocalExecutor has been moved"):
        Mine()
    assert old_path.Executor is executors.Executor
