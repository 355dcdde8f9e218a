"""Task ordering on its own: ties keep insertion order, and a cycle is named."""

from __future__ import annotations

import pytest

from prefect_jupyter import Flow, Task


def test_independent_tasks_keep_insertion_order_and_upstream_comes_first() -> None:
    flow = Flow("order")
    c, a, b = Task(name="c"), Task(name="a"), Task(name="b")
    flow.add_task(c)
    flow.add_task(a)
    flow.add_edge(b, a)
    assert [t.name for t in flow.sorted_tasks()] == ["c", "b", "a"]


def test_a_cycle_names_its_tasks() -> None:
    flow = Flow("loop")
    a, b = Task(name="a"), Task(name="b")
    flow.add_edge(a, b)
    flow.add_edge(b, a, validate=False)
    with pytest.raises(ValueError, match=r'Flow "loop" has a cycle: .*a.*b'):
        flow.sorted_tasks()


def test_tasks_added_in_dependency_order_keep_it() -> None:
    flow = Flow("in order")
    a, b, c, d = (Task(name=n) for n in "abcd")
    flow.add_task(a)
    flow.add_task(b)
    flow.add_task(d)  # independent, added before c
    flow.add_edge(a, c)
    flow.add_edge(b, c)
    assert [t.name for t in flow.sorted_tasks()] == ["a", "b", "d", "c"]


def test_an_edge_against_insertion_order_moves_only_what_it_must() -> None:
    flow = Flow("mixed")
    a, b, c, d = (Task(name=n) for n in "abcd")
    flow.add_edge(a, c)  # inserted: a, c
    flow.add_edge(b, c)  # then b, which c depends on
    flow.add_edge(c, d)
    assert [t.name for t in flow.sorted_tasks()] == ["a", "b", "c", "d"]


def test_a_downstream_task_added_first_still_comes_after_its_upstream_tasks() -> None:
    flow = Flow("out of order")
    a, b, c = Task(name="a"), Task(name="b"), Task(name="c")
    flow.add_task(c)
    flow.add_task(b)
    flow.add_task(a)
    flow.add_edge(b, c)
    flow.add_edge(a, b)
    assert [t.name for t in flow.sorted_tasks()] == ["a", "b", "c"]
