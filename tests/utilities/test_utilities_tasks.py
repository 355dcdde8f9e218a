"""utilities.tasks: as_task, apply_map, defaults_from_attrs, tags and pause_task."""

import datetime
from typing import Any

import pytest

from prefect_jupyter import Flow, Parameter, Task, case, context, flatten, task, unmapped
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.engine.state import Mapped, Paused, Skipped, Success
from prefect_jupyter.tasks.control_flow import merge
from prefect_jupyter.tasks.core.collections import Dict, List
from prefect_jupyter.tasks.core.constants import Constant
from prefect_jupyter.utilities.tasks import (
    apply_map,
    as_task,
    defaults_from_attrs,
    pause_task,
    tags,
)


@task
def inc(x: int) -> int:
    return x + 1


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def numbers() -> list[int]:
    return [1, 2, 3]


@task
def is_even(x: int) -> bool:
    return x % 2 == 0


class TestAsTask:
    def test_prefect_1s_path_is_the_graphs_own_function(self) -> None:
        from prefect_jupyter.core.task_values import as_task as graphs

        assert as_task is graphs

    def test_a_task_passes_through(self) -> None:
        t = Task()
        assert as_task(t) is t

    @pytest.mark.parametrize("value", [5, "s", [1, 2], {"k": (1, 2)}, None])
    def test_constants_become_constant_tasks(self, value: Any) -> None:
        made = as_task(value)
        assert isinstance(made, Constant) and made.value == value and made.auto_generated

    def test_annotations_are_unwrapped(self) -> None:
        t = Task()
        assert as_task(unmapped(t)) is t
        assert as_task(flatten(5)).value == 5

    def test_a_list_of_tasks_becomes_a_bound_list_task(self) -> None:
        with Flow("f") as flow:
            t = Task()
            made = as_task([t, 1])
        assert isinstance(made, List) and made.auto_generated
        assert flow.upstream_tasks(made) == {t}

    def test_a_dict_with_tasks_is_bound_in_the_given_flow(self) -> None:
        flow = Flow("f")
        made = as_task({"a": Task()}, flow=flow)
        assert isinstance(made, Dict) and made in flow.tasks

    def test_a_collection_of_tasks_outside_a_flow(self) -> None:
        with pytest.raises(ValueError, match="Could not infer an active Flow context"):
            as_task([Task()])


class TestApplyMap:
    def run(self, flow: Flow, t: Task) -> Any:
        state = flow.run().result[t]
        assert isinstance(state, Mapped)
        return state.result

    def test_maps_a_function_of_tasks(self) -> None:
        with Flow("f") as flow:
            out = apply_map(lambda x: inc(inc(x)), numbers())
        assert self.run(flow, out) == [3, 4, 5]

    def test_unmapped_argument_is_passed_whole(self) -> None:
        with Flow("f") as flow:
            out = apply_map(
                lambda x, y: add(inc(x), y), numbers(), unmapped(Parameter("p", default=5))
            )
        assert self.run(flow, out) == [7, 8, 9]

    def test_keyword_arguments(self) -> None:
        with Flow("f") as flow:
            out = apply_map(lambda x, y: add(x, y), x=[10, 20], y=unmapped(1))
        assert self.run(flow, out) == [11, 21]

    def test_flatten(self) -> None:
        @task
        def nested() -> list[list[int]]:
            return [[1, 2], [3]]

        with Flow("f") as flow:
            out = apply_map(lambda x, y: add(inc(x), y), flatten(nested()), unmapped(1000))
        assert self.run(flow, out) == [1002, 1003, 1004]

    def test_constants_made_inside_are_passed_to_every_child(self) -> None:
        with Flow("f") as flow:
            out = apply_map(lambda x: add(x, 10), [1, 2, 3])
        assert self.run(flow, out) == [11, 12, 13]

    def test_case_and_merge_inside(self) -> None:
        def branch(x: Task) -> Task:
            with case(is_even(x), True):
                even = inc(x)
            with case(is_even(x), False):
                odd = add(x, 100)
            return merge(even, odd)

        with Flow("f") as flow:
            out = apply_map(branch, numbers())
        assert self.run(flow, out) == [101, 3, 103]

    def test_a_task_without_inputs_inside_is_mapped_too(self) -> None:
        # Prefect 1 makes every argument an upstream of such a task, so it runs once per element
        @task
        def hundred() -> int:
            return 100

        with Flow("f") as flow:
            out = apply_map(lambda x: add(hundred(), x), [1, 2, 3])
        assert self.run(flow, out) == [101, 102, 103]
        (made,) = flow.get_tasks(name="hundred")
        assert isinstance(flow.run().result[made], Mapped)

    def test_inside_an_outer_case_block(self) -> None:
        @task
        def no() -> bool:
            return False

        with Flow("f") as flow:
            with case(no(), True):
                out = apply_map(lambda x: inc(x), [1, 2])
        assert isinstance(flow.run().result[out], Skipped)

    def test_an_upstream_task_from_inside_the_case_block(self) -> None:
        @task
        def flag(x: bool) -> bool:
            return x

        states = {}
        for branch in (True, False):
            with Flow("f") as flow:
                with case(flag(branch), True):
                    ten = inc(9)
                    out = apply_map(lambda x, a: add(x, a), [1, 2], unmapped(ten))
            states[branch] = flow.run().result[out]
        assert states[True].result == [11, 12]
        assert isinstance(states[False], Skipped)

    def test_flow_argument_is_passed_to_the_function(self) -> None:
        flow = Flow("f")
        out = apply_map(lambda x, flow: inc(x, flow=flow), [1, 2], flow=flow)
        assert self.run(flow, out) == [2, 3]

    def test_outside_a_flow(self) -> None:
        with pytest.raises(ValueError, match="Couldn't infer a flow in the current context"):
            apply_map(lambda x: inc(x), [1])

    def test_non_sequence_argument(self) -> None:
        with Flow("f"):
            with pytest.raises(
                TypeError, match="Cannot map over non-sequence object of type `int`"
            ):
                apply_map(lambda x: inc(x), 5)

    def test_mapping_inside_is_refused(self) -> None:
        with Flow("f"):
            with pytest.raises(
                ValueError, match="Cannot set `mapped=True` when running from inside"
            ):
                apply_map(lambda x: inc.map(x), [1, 2])


class WithDefaults(Task):
    def __init__(self, greeting: str = "hi", **kwargs: Any) -> None:
        self.greeting = greeting
        super().__init__(**kwargs)

    @defaults_from_attrs("greeting")
    def run(self, name: str = "you", greeting: str | None = None) -> str:  # type: ignore[override]
        return f"{greeting} {name}"


class TestDefaultsFromAttrs:
    def test_missing_argument_comes_from_the_attribute(self) -> None:
        assert WithDefaults(greeting="hello").run() == "hello you"

    def test_given_argument_wins(self) -> None:
        assert WithDefaults(greeting="hello").run(greeting="hey") == "hey you"

    def test_explicit_none_is_kept(self) -> None:
        assert WithDefaults(greeting="hello").run(greeting=None) == "None you"

    def test_in_a_flow(self) -> None:
        with Flow("f") as flow:
            a = WithDefaults(greeting="yo")(name="ann")
            b = WithDefaults(greeting="yo")(name="bob", greeting="hey")
        state = flow.run()
        assert (state.result[a].result, state.result[b].result) == ("yo ann", "hey bob")

    def test_the_run_method_keeps_its_name(self) -> None:
        assert WithDefaults.run.__name__ == "run"


class TestTags:
    def test_tags_nest_and_are_restored(self) -> None:
        with tags("a", "b"):
            assert context.tags == {"a", "b"}
            with tags("c"):
                assert Task().tags == {"a", "b", "c"}
            assert context.tags == {"a", "b"}
        assert "tags" not in context

    def test_tags_are_restored_after_an_error(self) -> None:
        with pytest.raises(KeyError):
            with tags("a"):
                raise KeyError("x")
        assert "tags" not in context


class TestPauseTask:
    def test_raises_pause_with_a_message(self) -> None:
        with pytest.raises(signals.PAUSE, match="wait for approval") as info:
            pause_task("wait for approval")
        assert isinstance(info.value.state, Paused)

    def test_default_message(self) -> None:
        with pytest.raises(signals.PAUSE, match="Pause signal raised during task execution."):
            pause_task()

    def test_duration_sets_the_start_time(self) -> None:
        before = datetime.datetime.now(datetime.UTC)
        with pytest.raises(signals.PAUSE) as info:
            pause_task(duration=datetime.timedelta(minutes=5))
        assert info.value.state.start_time >= before + datetime.timedelta(minutes=5)

    def test_does_nothing_once_resumed(self) -> None:
        with context(resume=True):
            assert pause_task() is None

    def test_in_a_flow_the_task_is_paused_then_resumed_on_approval(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        @task
        def guarded() -> str:
            pause_task("needs a human")
            return "done"

        with Flow("f") as flow:
            g = guarded()
        first = FlowRunner(flow=flow).run(return_tasks=[g])
        assert isinstance(first.result[g], Paused) and first.result[g].message == "needs a human"

        prompts: list[str] = []
        monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "y")
        state = flow.run()
        assert isinstance(state.result[g], Success) and state.result[g].result == "done"
        assert prompts == ["<Task: guarded> is currently Paused; enter 'y' to resume:\n"]
