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
