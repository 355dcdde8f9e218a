"""``case`` blocks in real flow runs: which branch runs, what skips, and misuse errors."""

from __future__ import annotations

from typing import Any

import pytest

from prefect_jupyter import Flow, apply_map, case, task
from prefect_jupyter.engine.state import Skipped
from prefect_jupyter.tasks.control_flow import merge
from prefect_jupyter.tasks.control_flow.conditional import CompareValue

UPSTREAM_SKIPPED = (
    "Upstream task was skipped; if this was not the intended behavior, consider changing "
    "`skip_on_upstream_skip=False` for this task."
)


@task
def value(x: Any) -> Any:
    return x


@task
def inc(x: int) -> int:
    return x + 1


@task
def label(text: str) -> str:
    return text


def test_the_matching_branch_runs_and_the_other_skips() -> None:
    with Flow("case") as flow:
        condition = value("a")
        with case(condition, "a"):
            ran = label("A")
        with case(condition, "b"):
            skipped = label("B")

    state = flow.run()
    assert state.is_successful()
    assert state.result[ran].result == "A"
    assert isinstance(state.result[skipped], Skipped)
    assert state.result[skipped].message == UPSTREAM_SKIPPED


def test_the_comparison_task_skips_with_the_mismatch_message() -> None:
    with Flow("case") as flow:
        condition = value("a")
        with case(condition, "b"):
            label("B")

    (compare,) = [t for t in flow.tasks if isinstance(t, CompareValue)]
    assert compare.name == "case(b)"
    state = flow.run()
    assert isinstance(state.result[compare], Skipped)
    assert state.result[compare].message == 'Provided value "a" did not match "b"'


@pytest.mark.parametrize(("condition_value", "expected"), [(True, "yes"), (False, "no")])
def test_boolean_branches(condition_value: bool, expected: str) -> None:
    with Flow("bool") as flow:
        condition = value(condition_value)
        with case(condition, True):
            yes = label("yes")
        with case(condition, False):
            no = label("no")
        joined = merge(yes, no)

    assert flow.run().result[joined].result == expected


def test_tasks_in_the_block_may_depend_on_each_other() -> None:
    with Flow("chain") as flow:
        condition = value(1)
        with case(condition, 1):
            first = inc(1)
            second = inc(first)

    state = flow.run()
    assert state.result[second].result == 3
    (compare,) = [t for t in flow.tasks if isinstance(t, CompareValue)]
    # Only the first task of the chain hangs off the comparison.
    assert compare in flow.upstream_tasks(first)
    assert compare not in flow.upstream_tasks(second)


def test_a_chain_in_a_skipped_block_skips_entirely() -> None:
    with Flow("chain skipped") as flow:
        condition = value(2)
        with case(condition, 1):
            first = inc(1)
            second = inc(first)

    state = flow.run()
    assert isinstance(state.result[first], Skipped)
    assert isinstance(state.result[second], Skipped)
    assert state.is_successful()


def test_tasks_downstream_of_a_skipped_block_skip_too() -> None:
    with Flow("downstream") as flow:
        condition = value("a")
        with case(condition, "b"):
            inside = inc(1)
        after = inc(inside)

    state = flow.run()
    assert isinstance(state.result[after], Skipped)
    assert state.result[after].message == UPSTREAM_SKIPPED


def test_a_block_task_may_use_results_from_outside_the_block() -> None:
    with Flow("outside input") as flow:
        outside = value(10)
        condition = value("go")
        with case(condition, "go"):
            inside = inc(outside)

    assert flow.run().result[inside].result == 11


def test_nested_cases_require_both_conditions() -> None:
    with Flow("nested") as flow:
        outer, inner = value(1), value(2)
        with case(outer, 1):
            with case(inner, 3):
                neither = label("1 and 3")
            with case(inner, 2):
                both = label("1 and 2")
        with case(outer, 0):
            with case(inner, 2):
                outer_false = label("0 and 2")

    state = flow.run()
    assert state.result[both].result == "1 and 2"
    assert isinstance(state.result[neither], Skipped)
    assert isinstance(state.result[outer_false], Skipped)


def test_an_empty_block_adds_no_tasks() -> None:
    with Flow("empty") as flow:
        condition = value(1)
        with case(condition, 1):
            pass

    assert flow.tasks == {condition}


def test_a_task_as_the_value_is_a_type_error() -> None:
    with Flow("bad value"):
        condition = value(1)
        with pytest.raises(TypeError, match="`value` cannot be a task"):
            case(condition, value(2))


def test_one_case_used_in_two_flows_is_an_error() -> None:
    shared = case(value, 1)
    with Flow("first"):
        with shared:
            label("first")
    with Flow("second"):
        with shared:
            with pytest.raises(
                ValueError, match="Multiple flows cannot be used with the same case statement"
            ):
                label("second")


def test_case_blocks_inside_apply_map_run_per_element() -> None:
    def branch(x: int) -> Any:
        big = inc(x) > 2
        with case(big, True):
            when_big = inc(x)
        with case(big, False):
            when_small = inc(inc(x))
        return merge(when_big, when_small)

    with Flow("apply_map") as flow:
        results = apply_map(branch, [0, 1, 2, 3])

    state = flow.run()
    assert state.is_successful()
    assert state.result[results].result == [2, 3, 3, 4]
