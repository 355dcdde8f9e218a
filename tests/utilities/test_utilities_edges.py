"""utilities.edges: unmapped, mapped and flatten, as wrappers and in running flows."""

from typing import Any

import pytest

from prefect_jupyter import Flow, Task, task
from prefect_jupyter.engine.state import Mapped
from prefect_jupyter.utilities.edges import EdgeAnnotation, flatten, mapped, unmapped


@task
def add(x: int, y: int = 0) -> int:
    return x + y


@task
def numbers() -> list[int]:
    return [1, 2, 3]


@task
def nested() -> list[list[int]]:
    return [[1], [2, 3]]


@task
def ident(x: Any) -> Any:
    return x


class TestWrappers:
    @pytest.mark.parametrize(
        ("cls", "flags"),
        [(unmapped, {"mapped": False}), (mapped, {"mapped": True}), (flatten, {"flattened": True})],
    )
    def test_each_wrapper_carries_its_flag(self, cls: type, flags: dict) -> None:
        wrapped = cls(5)
        assert isinstance(wrapped, EdgeAnnotation)
        assert (wrapped.value, wrapped.annotations) == (5, flags)

    def test_nesting_merges_flags_and_keeps_the_inner_value(self) -> None:
        t = Task()
        wrapped = unmapped(flatten(t))
        assert wrapped.value is t
        assert wrapped.annotations == {"mapped": False, "flattened": True}

    def test_the_class_flags_are_not_changed_by_nesting(self) -> None:
        unmapped(flatten(1))
        assert unmapped.annotations == {"mapped": False}

    def test_repr(self) -> None:
        assert repr(unmapped(5)) == "unmapped(5)"


class TestInFlows:
    def test_unmapped_argument_goes_whole_to_every_child(self) -> None:
        with Flow("f") as flow:
            out = add.map(numbers(), y=unmapped(100))
        assert flow.run().result[out].result == [101, 102, 103]

    def test_unmapped_list_constant(self) -> None:
        with Flow("f") as flow:
            out = ident.map(x=unmapped([1, 2]), upstream_tasks=[numbers()])
        assert flow.run().result[out].result == [[1, 2]] * 3

    def test_mapped_in_a_plain_call(self) -> None:
        with Flow("f") as flow:
            out = add(x=mapped(numbers()), y=10)
        state = flow.run().result[out]
        assert isinstance(state, Mapped) and state.result == [11, 12, 13]

    def test_flatten_a_list_of_lists(self) -> None:
        with Flow("f") as flow:
            out = add.map(flatten(nested()))
        assert flow.run().result[out].result == [1, 2, 3]

    def test_flatten_without_mapping_passes_the_flat_list(self) -> None:
        with Flow("f") as flow:
            out = ident(flatten(nested()))
        assert flow.run().result[out].result == [1, 2, 3]
