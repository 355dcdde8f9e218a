"""``List``/``Tuple``/``Set``/``Dict`` tasks: direct runs, binding, and collections in flows."""

from __future__ import annotations

import random
from typing import Any

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.tasks.core.collections import Dict, List, Set, Tuple


@task
def number(i: int) -> int:
    return i


@task
def identity(x: Any) -> Any:
    return x


def shuffled_args(n: int) -> dict[str, int]:
    """``arg_1=1 ... arg_n=n`` in a random order, so only the keys can order them."""
    items = [(f"arg_{i}", i) for i in range(1, n + 1)]
    random.Random(0).shuffle(items)
    return dict(items)


class TestRun:
    def test_list_orders_by_argument_number_not_by_text(self) -> None:
        # "arg_10" sorts before "arg_2" as text; the task must sort numerically.
        assert List().run(**shuffled_args(12)) == list(range(1, 13))

    def test_tuple_orders_by_argument_number(self) -> None:
        assert Tuple().run(**shuffled_args(12)) == tuple(range(1, 13))

    def test_set_collects_unique_values(self) -> None:
        assert Set().run(arg_1=1, arg_2=1, arg_3=2) == {1, 2}

    def test_list_with_no_arguments_is_empty(self) -> None:
        assert List().run() == []

    def test_dict_pairs_keys_with_values(self) -> None:
        assert Dict().run(keys=["a", "b"], values=[1, 2]) == {"a": 1, "b": 2}

    def test_dict_rejects_a_length_mismatch(self) -> None:
        with pytest.raises(ValueError, match="keys"):
            Dict().run(keys=["a", "b"], values=[1])


def test_binding_positional_arguments_names_them_arg_1_to_arg_n() -> None:
    with Flow("bind") as flow:
        tasks = [number(i) for i in range(11)]
        collected = List().bind(*tasks)

    keys = {edge.key: edge.upstream_task for edge in flow.edges_to(collected)}
    assert keys == {f"arg_{i + 1}": t for i, t in enumerate(tasks)}
    assert flow.run().result[collected].result == list(range(11))


class TestCollectionsInFlows:
    def test_a_list_of_more_than_ten_tasks_keeps_its_order(self) -> None:
        with Flow("list") as flow:
            result = identity([number(i) for i in range(12)])

        assert any(isinstance(t, List) for t in flow.tasks)
        assert flow.run().result[result].result == list(range(12))

    def test_a_tuple_of_tasks_becomes_a_tuple(self) -> None:
        with Flow("tuple") as flow:
            result = identity(tuple(number(i) for i in range(12)))

        assert flow.run().result[result].result == tuple(range(12))

    def test_a_set_of_tasks_becomes_a_set(self) -> None:
        with Flow("set") as flow:
            result = identity({number(1), number(2), number(2)})

        assert flow.run().result[result].result == {1, 2}

    def test_a_dict_with_task_values_keeps_keys_and_order(self) -> None:
        with Flow("dict") as flow:
            result = identity({"a": number(0), "b": number(11), 1: 2})

        value = flow.run().result[result].result
        assert value == {"a": 0, "b": 11, 1: 2}
        assert list(value) == ["a", "b", 1]

    def test_constants_mixed_with_tasks_keep_their_positions(self) -> None:
        with Flow("mixed") as flow:
            result = identity([1, number(2), "x", number(10)])

        assert flow.run().result[result].result == [1, 2, "x", 10]

    def test_nested_collections_are_rebuilt(self) -> None:
        with Flow("nested") as flow:
            result = identity({"k": [number(2), number(3)], "t": (number(4),)})

        assert flow.run().result[result].result == {"k": [2, 3], "t": (4,)}

    def test_a_failed_member_fails_the_collection_downstream(self) -> None:
        @task
        def boom() -> None:
            raise ValueError("no value")

        with Flow("failing member") as flow:
            result = identity([number(1), boom()])

        state = flow.run()
        assert state.is_failed()
        assert state.result[result].is_failed()
        assert type(state.result[result]).__name__ == "TriggerFailed"
