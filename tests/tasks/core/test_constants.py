"""``Constant``: naming, its value, and how constants appear in a flow run."""

from __future__ import annotations

from typing import Any

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.tasks.core.constants import Constant


@task
def inc(x: int) -> int:
    return x + 1


class TestConstantName:
    @pytest.mark.parametrize(
        ("value", "name"),
        [
            (1, "1"),
            ("x", "'x'"),
            (None, "None"),
            ({"a": 1}, "{'a': 1}"),
            ((1,), "(1,)"),
            (12345678, "12345678"),
        ],
    )
    def test_short_values_are_named_by_their_repr(self, value: Any, name: str) -> None:
        assert Constant(value).name == name

    @pytest.mark.parametrize(
        ("value", "name"),
        [
            ([1, 2, 3], "Constant[list]"),
            ("abcdefgh", "Constant[str]"),  # its repr has quotes: 10 characters
            (123456789, "Constant[int]"),
            ({"key": "value"}, "Constant[dict]"),
        ],
    )
    def test_long_values_are_named_by_their_type(self, value: Any, name: str) -> None:
        assert Constant(value).name == name

    def test_an_explicit_name_wins(self) -> None:
        assert Constant([1, 2, 3], name="numbers").name == "numbers"


def test_run_returns_the_value_unchanged() -> None:
    value = {"rows": [1, 2]}
    constant = Constant(value)
    assert constant.value is value
    assert constant.run() is value


def test_task_options_are_passed_on() -> None:
    constant = Constant(1, tags=["config"], max_retries=0)
    assert constant.tags == {"config"}


def test_plain_arguments_are_kept_as_flow_constants_not_tasks() -> None:
    with Flow("constants") as flow:
        result = inc(1)

    assert flow.tasks == {result}
    assert flow.constants[result] == {"x": 1}
    assert flow.run().result[result].result == 2


def test_an_explicit_constant_argument_is_also_kept_as_a_flow_constant() -> None:
    with Flow("constants") as flow:
        result = inc(Constant(5))

    assert flow.constants[result] == {"x": 5}
    assert flow.run().result[result].result == 6


def test_a_mapped_over_value_becomes_a_constant_task_that_succeeds() -> None:
    with Flow("mapped constant") as flow:
        result = inc.map([1, 2])

    constants = [t for t in flow.tasks if isinstance(t, Constant)]
    assert [c.name for c in constants] == ["[1, 2]"]

    state = flow.run()
    assert state.is_successful()
    assert state.result[constants[0]].is_successful()
    assert state.result[constants[0]].result == [1, 2]
    assert state.result[result].result == [2, 3]
