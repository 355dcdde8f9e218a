"""A task made inside ``with Flow(...)`` but never added to the flow is reported on exit."""

from __future__ import annotations

import warnings

import pytest

from prefect_jupyter import Flow, Parameter, Task, task


@task
def one() -> int:
    return 1


def test_task_created_but_not_used_warns_and_names_it() -> None:
    with pytest.warns(UserWarning, match=r"not added to the flow: <Task: lonely>.*t\(\)"):
        with Flow("f"):
            Task(name="lonely")


def test_unused_parameter_warns() -> None:
    with pytest.warns(UserWarning, match="<Parameter: p>"):
        with Flow("f"):
            Parameter("p")


def test_used_tasks_operators_and_parameters_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with Flow("f") as flow:
            x = one()
            p = Parameter("p", default=2)
            _ = x + p
            t = Task(name="added later")
            flow.add_task(t)
    assert len(flow.tasks) == 4  # one, p, the Add operator and t


def test_no_warning_when_the_block_raises() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeError):
            with Flow("f"):
                Task(name="lonely")
                raise RuntimeError("boom")
