"""Operator tasks: each task's ``run``, and the operators on ``Task`` that create them."""

from __future__ import annotations

from typing import Any

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.core.task import Task
from prefect_jupyter.tasks.core import operators


@task
def value(x: Any) -> Any:
    return x


class TestBinaryRun:
    @pytest.mark.parametrize(
        ("cls", "x", "y", "expected"),
        [
            (operators.Add, 7, 2, 9),
            (operators.Sub, 7, 2, 5),
            (operators.Mul, 7, 2, 14),
            (operators.Div, 7, 2, 3.5),
            (operators.FloorDiv, 7, 2, 3),
            (operators.Pow, 7, 2, 49),
            (operators.Mod, 7, 2, 1),
            (operators.And, 0, 5, 0),
            (operators.And, 3, 5, 5),
            (operators.Or, 0, 5, 5),
            (operators.Or, 0, "", ""),
            (operators.Equal, 7, 7, True),
            (operators.NotEqual, 7, 7, False),
            (operators.GreaterThan, 7, 2, True),
            (operators.GreaterThanOrEqual, 2, 2, True),
            (operators.LessThan, 7, 2, False),
            (operators.LessThanOrEqual, 2, 2, True),
        ],
    )
    def test_run_evaluates_the_operation(
        self, cls: type[Task], x: Any, y: Any, expected: Any
    ) -> None:
        result = cls().run(x, y)
        assert result == expected
        assert type(result) is type(expected)

    def test_each_task_is_named_after_its_class(self) -> None:
        assert operators.Add().name == "Add"
        assert operators.GreaterThanOrEqual().name == "GreaterThanOrEqual"

    def test_errors_of_the_operation_propagate(self) -> None:
        with pytest.raises(ZeroDivisionError):
            operators.Div().run(1, 0)


class TestUnaryAndLookupRun:
    @pytest.mark.parametrize(("x", "expected"), [(0, True), ([], True), ([1], False), ("a", False)])
    def test_not(self, x: Any, expected: bool) -> None:
        assert operators.Not().run(x) is expected

    def test_get_item_indexes_lists_and_dicts(self) -> None:
        assert operators.GetItem().run([1, 2, 3], 1) == 2
        assert operators.GetItem().run({"a": 1}, "a") == 1

    def test_get_item_without_default_raises_for_a_missing_key(self) -> None:
        with pytest.raises(KeyError, match="b"):
            operators.GetItem().run({"a": 1}, "b")

    def test_get_item_default_given_when_the_task_is_made(self) -> None:
        assert operators.GetItem(default=0).run({"a": 1}, "b") == 0

    def test_get_item_default_given_to_run(self) -> None:
        assert operators.GetItem().run({"a": 1}, "b", default=7) == 7

    def test_get_attr_follows_dotted_names(self) -> None:
        class Box:
            pass

        outer, inner = Box(), Box()
        outer.inner = inner  # type: ignore[attr-defined]
        inner.size = 5  # type: ignore[attr-defined]
        assert operators.GetAttr().run(outer, "inner.size") == 5
        assert operators.GetAttr().run(outer, "inner") is inner

    def test_get_attr_missing_without_default_raises(self) -> None:
        with pytest.raises(AttributeError, match="zz"):
            operators.GetAttr().run(object(), "zz")

    def test_get_attr_default_given_when_the_task_is_made(self) -> None:
        assert operators.GetAttr(default=4).run(object(), "zz") == 4


class TestOperatorsOnTasksInFlows:
    def test_arithmetic_and_comparison_operators(self) -> None:
        with Flow("ops") as flow:
            a, b = value(7), value(2)
            made = {
                "add": a + b, "sub": a - b, "mul": a * b, "div": a / b, "floordiv": a // b,
                "pow": a**b, "mod": a % b, "and": a & b, "gt": a > b, "ge": a >= b,
                "lt": a < b, "le": a <= b,
            }  # fmt: skip

        state = flow.run()
        results = {name: state.result[t].result for name, t in made.items()}
        assert results == {
            "add": 9, "sub": 5, "mul": 14, "div": 3.5, "floordiv": 3, "pow": 49, "mod": 1,
            "and": 2, "gt": True, "ge": True, "lt": False, "le": False,
        }  # fmt: skip
        assert type(made["add"]).__name__ == "Add"
        assert type(made["gt"]).__name__ == "GreaterThan"

    def test_reflected_operators_put_the_constant_first(self) -> None:
        with Flow("reflected") as flow:
            a = value(7)
            made = {"radd": 1 + a, "rsub": 10 - a, "rmul": 3 * a, "rdiv": 14 / a,
                    "rfloordiv": 15 // a, "rpow": 2**a, "rmod": 9 % a}  # fmt: skip

        state = flow.run()
        assert {n: state.result[t].result for n, t in made.items()} == {
            "radd": 8, "rsub": 3, "rmul": 21, "rdiv": 2.0, "rfloordiv": 2, "rpow": 128, "rmod": 2,
        }  # fmt: skip

    def test_named_comparison_methods(self) -> None:
        with Flow("methods") as flow:
            a = value(7)
            negated, equal, not_equal = a.not_(), a.is_equal(7), a.is_not_equal(7)

        state = flow.run()
        assert state.result[negated].result is False
        assert state.result[equal].result is True
        assert state.result[not_equal].result is False

    def test_indexing_a_task_makes_a_named_get_item_task(self) -> None:
        with Flow("index") as flow:
            data = value({"a": 1, "b": [1, 2]})
            item = data["b"]
            defaulted = operators.GetItem(default=9)(data, "c")

        state = flow.run()
        assert isinstance(item, operators.GetItem)
        assert item.name == "value['b']"
        assert state.result[item].result == [1, 2]
        assert state.result[defaulted].result == 9

    def test_a_failing_operation_fails_only_that_task(self) -> None:
        with Flow("zero") as flow:
            a = value(1)
            quotient = a / 0

        state = flow.run()
        assert state.is_failed()
        assert state.result[a].is_successful()
        assert state.result[quotient].is_failed()
        assert isinstance(state.result[quotient].result, ZeroDivisionError)
