"""Edge: key checks, annotations, identity and display."""

import pytest

from prefect_jupyter import Task, flatten, mapped, unmapped
from prefect_jupyter.core.edge import Edge
from prefect_jupyter.tasks.core.constants import Constant


@pytest.fixture
def a() -> Task:
    return Task("a")


@pytest.fixture
def b() -> Task:
    return Task("b")


class TestKeys:
    @pytest.mark.parametrize("key", ["1x", "has space", "a-b", 5])
    def test_key_must_be_an_identifier(self, a: Task, b: Task, key: object) -> None:
        with pytest.raises(
            ValueError, match=f'Key must be a valid identifier \\(received "{key}"\\)'
        ):
            Edge(a, b, key=key)  # type: ignore[arg-type]

    def test_valid_key(self, a: Task, b: Task) -> None:
        assert Edge(a, b, key="x_1").key == "x_1"

    def test_no_key(self, a: Task, b: Task) -> None:
        assert Edge(a, b).key is None

    def test_a_task_cannot_depend_on_itself(self, a: Task) -> None:
        with pytest.raises(ValueError, match="Edges can not connect a task to itself"):
            Edge(a, a)


class TestEnds:
    def test_tasks(self, a: Task, b: Task) -> None:
        edge = Edge(a, b)
        assert (edge.upstream_task, edge.downstream_task, edge.tasks) == (a, b, {a, b})

    def test_a_constant_upstream_becomes_a_constant_task(self, b: Task) -> None:
        edge = Edge(5, b, key="x")
        assert isinstance(edge.upstream_task, Constant) and edge.upstream_task.value == 5


class TestAnnotations:
    @pytest.mark.parametrize(
        ("wrap", "mapped_arg", "expected"),
        [
            (lambda t: t, False, (False, False)),
            (lambda t: t, True, (True, False)),
            (unmapped, True, (False, False)),
            (mapped, False, (True, False)),
            (flatten, False, (False, True)),
            (flatten, True, (True, True)),
            (lambda t: unmapped(flatten(t)), True, (False, True)),
            (lambda t: flatten(mapped(t)), False, (True, True)),
            # as in Prefect 1, the innermost annotation wins a conflict
            (lambda t: mapped(unmapped(t)), False, (False, False)),
            (lambda t: unmapped(mapped(t)), False, (True, False)),
        ],
        ids=[
            "plain",
            "mapped-arg",
            "unmapped",
            "mapped",
            "flatten",
            "flatten-mapped-arg",
            "unmapped-flatten",
            "flatten-mapped",
            "mapped-unmapped",
            "unmapped-mapped",
        ],
    )
    def test_annotation_flags(
        self, a: Task, b: Task, wrap: object, mapped_arg: bool, expected: tuple[bool, bool]
    ) -> None:
        edge = Edge(wrap(a), b, mapped=mapped_arg)  # type: ignore[operator]
        assert edge.upstream_task is a
        assert (edge.mapped, edge.flattened) == expected


class TestIdentity:
    def test_equal_edges_hash_alike(self, a: Task, b: Task) -> None:
        assert Edge(a, b, key="x") == Edge(a, b, key="x")
        assert len({Edge(a, b), Edge(a, b)}) == 1

    @pytest.mark.parametrize(
        "other", [{"key": "y"}, {"mapped": True}, {"flattened": True}, {"key": None}]
    )
    def test_edges_differing_in_any_field_are_different(
        self, a: Task, b: Task, other: dict
    ) -> None:
        assert Edge(a, b, key="x") != Edge(a, b, **{"key": "x", **other})

    def test_not_equal_to_other_types(self, a: Task, b: Task) -> None:
        assert Edge(a, b) != (a, b)

    def test_repr(self, a: Task, b: Task) -> None:
        assert repr(Edge(a, b, key="x")) == "<Edge(key=x, mapped=False, flattened=False): a to b>"
        assert (
            repr(Edge(a, b, mapped=True, flattened=True))
            == "<Edge(key=None, mapped=True, flattened=True): a to b>"
        )


def test_edges_and_tasks_serialize_as_registration_stores_them() -> None:
    from prefect_jupyter import Flow, Task

    flow = Flow("f")
    up, down = Task(name="up"), Task(name="down")
    edge = flow.add_edge(up, down, key="x", mapped=True)
    dumped = edge.serialize()
    assert dumped["upstream_task"]["slug"] == up.slug
    assert dumped["downstream_task"]["slug"] == down.slug
    assert (dumped["key"], dumped["mapped"], dumped["flattened"]) == ("x", True, False)
    task = up.serialize()
    assert (task["name"], task["slug"]) == ("up", up.slug)
    assert task["type"].endswith("core.task.Task")
