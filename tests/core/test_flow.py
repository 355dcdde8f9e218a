"""Flow: building the graph, editing it, ordering it and checking it."""

from collections.abc import Callable
from typing import Any

import pytest

from prefect_jupyter import Flow, Parameter, Task, context, tags, task
from prefect_jupyter.core.edge import Edge
from prefect_jupyter.engine.state import Failed, Success
from prefect_jupyter.tasks.core.collections import Dict, List, Set, Tuple
from prefect_jupyter.tasks.core.constants import Constant
from prefect_jupyter.utilities.configuration import set_temporary_config


@task
def ident(x: Any) -> Any:
    return x


@task
def add(x: int, y: int = 1) -> int:
    return x + y


@task
def fail() -> None:
    raise ValueError("boom")


def results(flow: Flow, **parameters: Any) -> Callable[[Task], Any]:
    state = flow.run(**parameters)
    return lambda t: state.result[t].result


def names(tasks: Any) -> list[str]:
    return [t.name for t in tasks]


class TestBuilding:
    def test_calling_tasks_in_the_context_adds_tasks_and_edges(self) -> None:
        with Flow("f") as flow:
            a = add(1)
            b = add(a, y=10)
        assert flow.tasks == {a, b}
        (edge,) = flow.edges
        assert (edge.upstream_task, edge.downstream_task, edge.key) == (a, b, "x")
        assert results(flow)(b) == 12

    def test_context_is_restored_after_the_block(self) -> None:
        with Flow("outer") as outer:
            with Flow("inner") as inner:
                assert context.flow is inner
            assert context.flow is outer
        assert "flow" not in context

    def test_a_flow_needs_a_name(self) -> None:
        with pytest.raises(ValueError, match="A Flow needs a name"):
            Flow("")

    def test_tasks_and_edges_given_to_the_constructor(self) -> None:
        a, b = Task("a"), Task("b")
        flow = Flow("f", tasks=[a], edges=[Edge(a, b)])
        assert flow.tasks == {a, b} and flow.upstream_tasks(b) == {a}

    def test_run_inside_its_own_context_is_refused(self) -> None:
        with Flow("f") as flow:
            add(1)
            with pytest.raises(RuntimeError, match=r"Don't call `flow.run\(\)` from within"):
                flow.run()

    def test_return_tasks_is_refused(self) -> None:
        with Flow("f") as flow:
            add(1)
        with pytest.raises(ValueError, match="The `return_tasks` keyword cannot be provided"):
            flow.run(return_tasks=[])


class TestAddTask:
    def test_non_task_is_a_type_error(self) -> None:
        with pytest.raises(
            TypeError, match=r"Tasks must be Task instances \(received <class 'int'>\)"
        ):
            Flow("f").add_task(5)  # type: ignore[arg-type]

    def test_adding_twice_is_a_no_op(self) -> None:
        flow, t = Flow("f"), Task()
        assert flow.add_task(t) is t
        flow.add_task(t)
        assert flow.tasks == {t}

    def test_slug_clash(self) -> None:
        flow = Flow("f")
        flow.add_task(Task(slug="load"))
        with pytest.raises(ValueError, match='A task with the slug "load" already exists'):
            flow.add_task(Task(slug="load"))

    def test_generated_slugs_count_per_name_and_tags(self) -> None:
        flow = Flow("f")
        with tags("red"):
            tagged = flow.add_task(Task("t"))
        plain = [flow.add_task(Task("t")) for _ in range(2)]
        assert [flow.slugs[t] for t in plain] == ["t-1", "t-2"]
        assert flow.slugs[tagged] == "t-red-1"

    def test_duplicate_parameter_names_are_a_clear_error(self) -> None:
        flow = Flow("f")
        flow.add_task(Parameter("x"))
        with pytest.raises(ValueError, match='already has a parameter named "x"'):
            flow.add_task(Parameter("x", default=1))


class TestAddEdge:
    def test_edge_into_a_parameter_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="Parameters must be root tasks"):
            Flow("f").add_edge(Task(), Parameter("p"))

    def test_a_key_bound_twice_is_rejected(self) -> None:
        flow, target = Flow("f"), add.copy()
        flow.add_edge(Task("a"), target, key="x")
        with pytest.raises(ValueError, match='Argument "x" for task <Task: add> has already been'):
            flow.add_edge(Task("b"), target, key="x")

    def test_constants_are_stored_instead_of_tasks(self) -> None:
        flow, target = Flow("f"), add.copy()
        edge = flow.add_edge(5, target, key="x")
        assert isinstance(edge.upstream_task, Constant)
        assert flow.tasks == {target} and flow.edges == set()
        assert flow.constants[target] == {"x": 5}
        assert results(flow)(target) == 6

    def test_mapped_constants_become_constant_tasks(self) -> None:
        flow, target = Flow("f"), add.copy()
        edge = flow.add_edge([1, 2], target, key="x", mapped=True)
        assert isinstance(edge.upstream_task, Constant) and edge.upstream_task in flow.tasks
        assert flow.constants.get(target, {}) == {}
        assert results(flow)(target) == [2, 3]

    def test_unkeyed_constant_is_a_task(self) -> None:
        flow, t = Flow("f"), Task()
        flow.add_edge(5, t)
        (up,) = flow.upstream_tasks(t)
        assert isinstance(up, Constant) and up.value == 5


class TestDependencies:
    def test_set_dependencies(self) -> None:
        flow = Flow("f")
        a, b, c, d = Task("a"), Task("b"), add.copy(), Task("d")
        flow.set_dependencies(
            c, upstream_tasks=[a], downstream_tasks=[d], keyword_tasks={"x": b, "y": 5}
        )
        assert flow.upstream_tasks(c) == {a, b} and flow.downstream_tasks(c) == {d}
        assert {e.key for e in flow.edges_to(c)} == {None, "x"}
        assert flow.constants[c] == {"y": 5}

    def test_set_upstream_and_downstream_with_key(self) -> None:
        with Flow("f") as flow:
            one, two = ident(1), ident(2)
            total = add.copy()
            total.set_upstream(one, key="x")
            two.set_downstream(total, key="y")
        assert results(flow)(total) == 3

    def test_set_upstream_without_key_is_state_only(self) -> None:
        with Flow("f") as flow:
            a, b = Task("a"), Task("b")
            b.set_upstream(a)
        (edge,) = flow.edges
        assert edge.key is None and edge.upstream_task is a

    def test_chain(self) -> None:
        flow = Flow("f")
        a, b, c = Task("a"), Task("b"), Task("c")
        edges = flow.chain(a, b, c)
        assert [(e.upstream_task, e.downstream_task) for e in edges] == [(a, b), (b, c)]
        assert names(flow.sorted_tasks()) == ["a", "b", "c"]


class TestRootTerminalReference:
    def build(self) -> tuple[Flow, Task, Task, Task]:
        with Flow("f") as flow:
            a = ident(1)
            b = add(a)
            c = add(a)
        return flow, a, b, c

    def test_root_and_terminal_tasks(self) -> None:
        flow, a, b, c = self.build()
        assert flow.root_tasks() == {a}
        assert flow.terminal_tasks() == {b, c}

    def test_reference_tasks_default_to_terminal_tasks(self) -> None:
        flow, a, b, c = self.build()
        assert flow.reference_tasks() == {b, c}

    def test_flow_role_decides_default_reference_tasks_and_constant_folding(self) -> None:
        class Builds(Task):
            flow_role = "resource"

        class CleansUp(Task):
            flow_role = "cleanup"

        class Fixed(Task):
            flow_role = "constant"
            value = 3

        flow = Flow("f")
        builds, work, cleans_up = Builds("builds"), Task("work"), CleansUp("cleans up")
        flow.chain(builds, work, cleans_up)
        assert flow.terminal_tasks() == {cleans_up}
        assert flow.reference_tasks() == {work}
        flow.add_edge(Fixed(), work, key="x")
        assert flow.constants[work] == {"x": 3}
        assert len(flow.tasks) == 3

    def test_set_reference_tasks(self) -> None:
        flow, a, b, c = self.build()
        flow.set_reference_tasks([a])
        assert flow.reference_tasks() == {a}

    def test_reference_task_outside_the_flow_is_rejected(self) -> None:
        flow, *_ = self.build()
        with pytest.raises(ValueError, match="reference tasks must be part of the flow: stranger"):
            flow.set_reference_tasks([Task("stranger")])

    def test_reference_tasks_decide_the_flow_state(self) -> None:
        with Flow("f") as flow:
            good = ident(1)
            bad = fail()
        assert isinstance(flow.run(), Failed)
        flow.set_reference_tasks([good])
        state = flow.run()
        assert isinstance(state, Success)
        assert isinstance(state.result[bad], Failed)


class TestSorting:
    def test_sorted_tasks_respect_edges(self) -> None:
        flow = Flow("f")
        a, b, c, d = (Task(n) for n in "abcd")
        flow.add_edge(c, d)
        flow.add_edge(b, c)
        flow.add_edge(a, b)
        order = flow.sorted_tasks()
        assert order.index(a) < order.index(b) < order.index(c) < order.index(d)

    def test_order_is_deterministic_by_insertion(self) -> None:
        flow = Flow("f")
        tasks = [flow.add_task(Task(str(i))) for i in range(6)]
        assert list(flow.sorted_tasks()) == tasks
        assert list(flow) == tasks

    def test_root_tasks_limit_to_their_downstream(self) -> None:
        flow = Flow("f")
        a, b, c, d = (Task(n) for n in "abcd")
        flow.chain(a, b, c)
        flow.add_task(d)
        assert names(flow.sorted_tasks(root_tasks=[b])) == ["b", "c"]

    def test_unknown_root_task(self) -> None:
        with pytest.raises(
            ValueError, match=r"Task <Task: x> was not found in Flow <Flow: name=\"f\">"
        ):
            Flow("f").sorted_tasks(root_tasks=[Task("x")])

    def test_cycle_names_the_tasks_on_it(self) -> None:
        flow = Flow("loop")
        a, b, c, outside = Task("a"), Task("b"), Task("c"), Task("outside")
        flow.chain(outside, a, b, c)
        flow.add_edge(c, a)
        with pytest.raises(ValueError) as info:
            flow.validate()
        message = str(info.value)
        assert message.startswith("Cycle found; flows must be acyclic!")
        cycle = message.split("has a cycle: ")[1].split(".")[0].split(" -> ")
        assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}

    def test_eager_validation_rejects_a_cycle_when_the_edge_is_added(self) -> None:
        with set_temporary_config({"flows.eager_edge_validation": True}):
            flow = Flow("f")
            a, b = Task("a"), Task("b")
            flow.add_edge(a, b)
            with pytest.raises(ValueError, match='Cycle found; .* Flow "f" has a cycle: ') as info:
                flow.add_edge(b, a)
        assert str(info.value).count(" -> ") == 2  # a two-task loop, both named

    def test_eager_validation_checks_keys_against_run(self) -> None:
        with set_temporary_config({"flows.eager_edge_validation": True}):
            with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
                Flow("f").add_edge(Task(), add.copy(), key="z")


class TestGetTasks:
    def build(self) -> tuple[Flow, Task, Task, Parameter]:
        with Flow("f") as flow:
            p = Parameter("p", default=1)
            a = add(p, task_args={"name": "first"})
            with tags("red"):
                b = add(a)
        return flow, a, b, p

    def test_by_name(self) -> None:
        flow, a, b, p = self.build()
        assert flow.get_tasks(name="first") == [a]

    def test_by_slug(self) -> None:
        flow, a, b, p = self.build()
        assert flow.get_tasks(slug="p") == [p]

    def test_by_tags(self) -> None:
        flow, a, b, p = self.build()
        assert flow.get_tasks(tags=["red"]) == [b]

    def test_by_type(self) -> None:
        flow, a, b, p = self.build()
        assert flow.get_tasks(task_type=Parameter) == [p]

    def test_criteria_combine(self) -> None:
        flow, a, b, p = self.build()
        assert flow.get_tasks(name="add", tags=["red"]) == [b]
        assert flow.get_tasks(name="first", tags=["red"]) == []
        assert len(flow.get_tasks()) == 3


class TestWholeFlowOperations:
    def build(self) -> tuple[Flow, Task, Task]:
        with Flow("f") as flow:
            p = Parameter("p", default=1)
            a = add(p)
            b = add(a, y=10)
        return flow, a, b

    def test_copy_is_independent(self) -> None:
        flow, a, b = self.build()
        copied = flow.copy()
        extra = Task("extra")
        copied.add_edge(b, extra)
        copied.constants[a]["y"] = 100
        assert extra not in flow.tasks and flow.terminal_tasks() == {b}
        assert flow.constants[a] == {} and len(flow.edges) == 2
        assert copied == copied.copy()

    def test_update_adds_tasks_edges_and_constants(self) -> None:
        flow, a, b = self.build()
        other = Flow("other")
        c = add.copy()
        other.add_edge(3, c, key="x")
        flow.update(other)
        assert c in flow.tasks and flow.constants[c] == {"x": 3}
        assert results(flow)(c) == 4

    def test_update_with_a_same_named_parameter_needs_merge(self) -> None:
        flow, a, b = self.build()
        with Flow("other") as other:
            add(Parameter("p", default=2))
        with pytest.raises(ValueError, match='already has a parameter named "p"'):
            flow.update(other)

    def test_update_merge_parameters_uses_the_incoming_parameter(self) -> None:
        flow, a, b = self.build()
        with Flow("other") as other:
            theirs = Parameter("p", default=2)
            c = add(theirs, y=100)
        flow.update(other, merge_parameters=True)
        assert flow.parameters() == {theirs}
        get = results(flow)
        assert (get(b), get(c)) == (13, 102)

    def test_update_merge_reference_tasks(self) -> None:
        flow, a, b = self.build()
        other = Flow("other", tasks=[Task("o")])
        flow.set_reference_tasks([a])
        flow.update(other, merge_reference_tasks=True)
        assert flow.reference_tasks() == {a, *other.tasks}

    def test_replace_moves_edges_constants_and_reference_status(self) -> None:
        flow, a, b = self.build()
        flow.set_reference_tasks([a])
        new = add.copy(name="new")
        flow.replace(a, new)
        assert a not in flow.tasks and new in flow.tasks
        assert flow.downstream_tasks(new) == {b}
        assert {e.key for e in flow.edges_to(new)} == {"x"}
        assert flow.reference_tasks() == {new}
        flow.replace(b, add.copy(name="b2"))
        (b2,) = flow.get_tasks(name="b2")
        assert flow.constants[b2] == {"y": 10}
        assert results(flow)(b2) == 12

    def test_replace_unknown_task(self) -> None:
        with pytest.raises(ValueError, match="Task <Task: x> was not found in Flow"):
            Flow("f").replace(Task("x"), Task("y"))

    @pytest.mark.parametrize("method", ["edges_to", "edges_from"])
    def test_edges_of_an_unknown_task(self, method: str) -> None:
        with pytest.raises(ValueError, match="Task <Task: x> was not found in Flow"):
            getattr(Flow("f"), method)(Task("x"))

    def test_repr(self) -> None:
        assert repr(Flow("my flow")) == '<Flow: name="my flow">'

    def test_equality(self) -> None:
        a, b = Task("a"), Task("b")
        one, two = Flow("f", tasks=[a, b]), Flow("f", tasks=[a, b])
        assert one == two and one != Flow("g", tasks=[a, b]) and one != "f"
        one.set_reference_tasks([a])
        assert one != two


class TestCollectionArguments:
    @pytest.mark.parametrize(
        ("make", "kind", "expected"),
        [
            (lambda a, b: [a, b, 3], List, [1, 2, 3]),
            (lambda a, b: (a, 5), Tuple, (1, 5)),
            (lambda a, b: {a, b}, Set, {1, 2}),
            (lambda a, b: {"x": a, "y": 4}, Dict, {"x": 1, "y": 4}),
        ],
        ids=["list", "tuple", "set", "dict"],
    )
    def test_collection_of_tasks_becomes_a_collection_task(
        self, make: Callable[[Task, Task], Any], kind: type, expected: Any
    ) -> None:
        with Flow("f") as flow:
            out = ident(make(ident(1), ident(2)))
        (collection,) = flow.upstream_tasks(out)
        assert isinstance(collection, kind) and collection.auto_generated
        assert results(flow)(out) == expected

    def test_nested_collections(self) -> None:
        with Flow("f") as flow:
            out = ident([[ident(1)], {"k": (ident(2),)}])
        assert results(flow)(out) == [[1], {"k": (2,)}]

    def test_collection_of_constants_stays_a_constant(self) -> None:
        with Flow("f") as flow:
            out = ident([1, 2])
        assert flow.tasks == {out} and flow.constants[out] == {"x": [1, 2]}
