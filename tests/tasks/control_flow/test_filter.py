"""``FilterTask`` over real mapped runs: defaults, custom filters and logging."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.state import Failed, Success
from prefect_jupyter.tasks.control_flow import FilterTask
from prefect_jupyter.triggers import all_finished


@task
def reciprocal(x: int) -> float | None:
    if x == 4:
        return None
    return 10 / x  # x == 0 fails this child


@task
def total(values: list) -> float:
    return sum(values)


def test_defaults() -> None:
    filter_task = FilterTask()
    assert filter_task.name == "FilterTask"
    assert filter_task.trigger is all_finished
    assert filter_task.skip_on_upstream_skip is False


def test_run_drops_none_and_exceptions_by_default() -> None:
    assert FilterTask().run([1, None, ValueError("x"), 0, "", 2]) == [1, 0, "", 2]


def test_the_default_filter_drops_failed_and_none_children_of_a_mapped_task() -> None:
    with Flow("filter") as flow:
        results = reciprocal.map([0, 1, 2, 4, 5])
        kept = FilterTask()(results)
        summed = total(kept)

    state = flow.run()
    children = state.result[results].map_states
    assert [type(s) for s in children] == [Failed, Success, Success, Success, Success]
    assert state.result[kept].result == [10.0, 5.0, 2.0]
    assert state.result[summed].result == 17.0
    # Only the terminal (reference) task counts, and it succeeded despite the failed child.
    assert state.is_successful()


def test_a_custom_filter_func() -> None:
    with Flow("custom") as flow:
        numbers = task(lambda x: x, name="number").map(list(range(8)))
        even = FilterTask(filter_func=lambda x: x % 2 == 0)(numbers)

    state = flow.run()
    assert state.is_successful()
    assert state.result[even].result == [0, 2, 4, 6]


def test_a_custom_filter_func_sees_exceptions_too() -> None:
    with Flow("errors only") as flow:
        results = reciprocal.map([0, 1, 0])
        errors = FilterTask(filter_func=lambda r: isinstance(r, Exception))(results)

    state = flow.run()
    found = state.result[errors].result
    assert len(found) == 2
    assert all(isinstance(e, ZeroDivisionError) for e in found)


def test_log_func_output_is_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with Flow("logged") as flow:
        results = reciprocal.map([1, 2, 4])
        FilterTask(log_func=lambda kept: f"Kept: {kept}")(results)

    flow.run()
    records = [r for r in caplog.records if r.getMessage() == "Kept: [10.0, 5.0]"]
    assert len(records) == 1
    assert records[0].levelno == logging.INFO


def test_nothing_is_logged_without_log_func(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with Flow("quiet") as flow:
        FilterTask(name="quiet filter")(reciprocal.map([1, 2]))

    flow.run()
    task_logs = [r for r in caplog.records if r.name.endswith("quiet filter")]
    assert task_logs == []


def test_an_unmapped_list_can_be_filtered() -> None:
    @task
    def numbers() -> list[Any]:
        return [1, None, 3]

    with Flow("plain list") as flow:
        kept = FilterTask()(numbers())

    assert flow.run().result[kept].result == [1, 3]


def test_the_default_filter_also_drops_skipped_children() -> None:
    # Deliberate difference: Prefect 1.4 keeps the SKIP signal a skipped child holds as its
    # result (signals are not ``Exception``s), which then breaks whatever consumes the list.
    @task
    def skip_odd(x: int) -> int:
        if x % 2:
            raise signals.SKIP("odd")
        return x

    with Flow("skipped children") as flow:
        kept = FilterTask()(skip_odd.map([0, 1, 2, 3]))
        summed = total(kept)

    state = flow.run()
    assert state.result[kept].result == [0, 2]
    assert state.result[summed].result == 2
