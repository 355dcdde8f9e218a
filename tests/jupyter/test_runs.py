"""Running flows from the notebook: magic-line parsing, executors, run history and reruns."""

from __future__ import annotations

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.executors import DaskExecutor, LocalDaskExecutor, LocalExecutor
from prefect_jupyter.jupyter import runs
from prefect_jupyter.jupyter.notebook import CellError, Notebook


def test_parse_assignments_reads_literals_and_falls_back_to_strings() -> None:
    assert runs.parse_assignments(["n=3", "xs=[1, 2]", "name=world", "'s=a b'", "flag=True"]) == {
        "n": 3, "xs": [1, 2], "name": "world", "s": "a b", "flag": True,
    }
    with pytest.raises(CellError, match="Expected NAME=VALUE"):
        runs.parse_assignments(["oops"])


def test_make_executor_from_names_and_addresses() -> None:
    assert isinstance(runs.make_executor("local"), LocalExecutor)
    threads = runs.make_executor("threads")
    assert isinstance(threads, LocalDaskExecutor) and threads.scheduler == "threads"
    assert isinstance(runs.make_executor("processes"), LocalDaskExecutor)
    assert isinstance(runs.make_executor("dask"), DaskExecutor)
    assert runs.make_executor("tcp://127.0.0.1:8786").address == "tcp://127.0.0.1:8786"
    with pytest.raises(CellError, match="Unknown executor 'gpu'. Use one of local, threads"):
        runs.make_executor("gpu")


# -- rerun ------------------------------------------------------------------------------------------
def test_rerun_states_keep_successes_and_rerun_failures_and_downstream() -> None:
    calls: list[str] = []

    @task
    def ok() -> int:
        calls.append("ok")
        return 1

    @task
    def flaky(x: int) -> int:
        calls.append("flaky")
        if len(calls) < 3:
            raise ValueError("not yet")
        return x

    @task
    def after(y: int) -> int:
        calls.append("after")
        return y + 1

    with Flow("r") as flow:
        after(flaky(ok()))
    nb = Notebook()
    first = runs.run_flow(nb, flow, {})
    assert first.is_failed() and calls == ["ok", "flaky"]
    states, again = runs.rerun_states(nb, flow, {})
    assert again == ["flaky-1", "after-1"]
    assert [flow.slugs[t] for t in states] == ["ok-1"]
    state, again = runs.rerun_flow(nb, flow, {})
    assert state.is_successful() and calls == ["ok", "flaky", "flaky", "after"]
    assert nb.history("r")["state"].tolist() == ["Failed", "Success"]


def test_rerun_with_changed_only_keeps_failures() -> None:
    @task
    def boom() -> None:
        raise ValueError("no")

    with Flow("c") as flow:
        boom()
    nb = Notebook()
    runs.run_flow(nb, flow, {})
    states, again = runs.rerun_states(nb, flow, {}, failed=False, changed=True)
    assert again == [] and all(s.is_failed() for s in states.values())
