"""Task: constructor options and their checks, building flows by calling tasks, operators."""

import datetime
import warnings
from collections.abc import Callable
from typing import Any, Tuple  # noqa: UP035 - Prefect 1 users annotate with typing.Tuple

import pytest

from prefect_jupyter import Flow, Task, context, tags, task, triggers
from prefect_jupyter.engine import cache_validators
from prefect_jupyter.engine.results import LocalResult
from prefect_jupyter.engine.state import Failed, Success
from prefect_jupyter.tasks.core.function import FunctionTask
from prefect_jupyter.utilities.configuration import set_temporary_config
from prefect_jupyter.utilities.edges import flatten, mapped, unmapped

SECOND = datetime.timedelta(seconds=1)


@task
def ident(x: Any) -> Any:
    return x


@task
def add(x: int, y: int = 1) -> int:
    return x + y


@task
def numbers() -> list[int]:
    return [10, 20, 30]


def results(flow: Flow, **parameters: Any) -> Callable[[Task], Any]:
    """Run ``flow`` and return a lookup of task -> result."""
    state = flow.run(**parameters)
    return lambda t: state.result[t].result


class TestInit:
    def test_defaults(self) -> None:
        t = Task()
        assert (t.name, t.slug, t.tags) == ("Task", None, set())
        assert (t.max_retries, t.retry_delay, t.retry_on, t.timeout) == (0, None, None, None)
        assert t.trigger is triggers.all_successful
        assert t.cache_validator is cache_validators.never_use
        assert t.checkpoint is None and t.nout is None and t.skip_on_upstream_skip is True

    def test_name_defaults_to_the_subclass_name(self) -> None:
        class Extract(Task):
            pass

        assert Extract().name == "Extract"
        assert Extract(name="e").name == "e"

    def test_tags_are_a_set(self) -> None:
        assert Task(tags=["a", "b", "a"]).tags == {"a", "b"}

    def test_tags_as_a_string_are_rejected(self) -> None:
        with pytest.raises(TypeError, match="Tags should be a set of tags, not a string"):
            Task(tags="etl")

    def test_max_retries_needs_a_retry_delay(self) -> None:
        with pytest.raises(ValueError, match=r"`retry_delay` must be provided if max_retries > 0"):
            Task(max_retries=2)

    def test_retry_delay_needs_max_retries(self) -> None:
        with pytest.raises(ValueError, match="`max_retries` argument greater than 0 must be"):
            Task(retry_delay=SECOND)

    def test_retry_on_needs_max_retries(self) -> None:
        with pytest.raises(ValueError, match="`max_retries` must be provided if `retry_on` is set"):
            Task(retry_on=KeyError)

    def test_retry_on_is_checked_before_retry_delay(self) -> None:
        # Prefect 1 reports the retry_on problem first
        with pytest.raises(ValueError, match="if `retry_on` is set"):
            Task(retry_delay=SECOND, retry_on=KeyError)

    @pytest.mark.parametrize(
        ("retry_on", "expected"),
        [(KeyError, {KeyError}), ([KeyError, OSError], {KeyError, OSError})],
    )
    def test_retry_on_becomes_a_set(self, retry_on: Any, expected: set) -> None:
        assert Task(max_retries=1, retry_delay=SECOND, retry_on=retry_on).retry_on == expected

    def test_retry_on_an_exception_instance_is_rejected(self) -> None:
        with pytest.raises(TypeError, match="got an instance of KeyError"):
            Task(max_retries=1, retry_delay=SECOND, retry_on=KeyError("k"))

    def test_retry_on_a_non_exception_type_is_rejected(self) -> None:
        with pytest.raises(TypeError, match="Expected an exception subclass"):
            Task(max_retries=1, retry_delay=SECOND, retry_on=int)

    def test_timeout_int(self) -> None:
        assert Task(timeout=5).timeout == 5

    def test_timeout_timedelta_becomes_seconds(self) -> None:
        assert Task(timeout=datetime.timedelta(minutes=2)).timeout == 120

    def test_timeout_below_a_second_is_dropped_with_a_warning(self) -> None:
        with pytest.warns(UserWarning, match="sub-second resolution"):
            t = Task(timeout=datetime.timedelta(seconds=3.5))
        assert t.timeout == 3

    @pytest.mark.parametrize("timeout", [1.5, "5"])
    def test_timeout_of_another_type_is_rejected(self, timeout: Any) -> None:
        with pytest.raises(TypeError, match="Only integer timeouts"):
            Task(timeout=timeout)

    def test_trigger_that_is_not_callable_is_rejected(self) -> None:
        with pytest.raises(TypeError, match="trigger must be a function"):
            Task(trigger="all_successful")  # type: ignore[arg-type]

    def test_cache_validator_that_is_not_callable_is_rejected(self) -> None:
        with pytest.raises(TypeError, match="cache_validator must be a function"):
            Task(cache_validator="all_inputs")  # type: ignore[arg-type]

    def test_cache_validator_without_cache_for_warns(self) -> None:
        with pytest.warns(UserWarning, match="without specifying cache expiration"):
            Task(cache_validator=cache_validators.all_inputs)

    def test_cache_for_defaults_the_validator_to_duration_only(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            t = Task(cache_for=SECOND)
        assert t.cache_validator is cache_validators.duration_only

    def test_target_becomes_the_result_location(self, tmp_path: Any) -> None:
        result = LocalResult(dir=str(tmp_path))
        t = Task(target="out.txt", result=result)
        assert t.result.location == "out.txt"
        assert result.location is None  # the given result is not changed

    def test_target_wins_over_a_result_location_with_a_warning(self, tmp_path: Any) -> None:
        with pytest.warns(UserWarning, match="The `target` value will be used"):
            t = Task(target="out.txt", result=LocalResult(dir=str(tmp_path), location="x"))
        assert t.result.location == "out.txt"

    def test_state_handlers_must_be_a_sequence(self) -> None:
        with pytest.raises(TypeError, match="state_handlers should be iterable"):
            Task(state_handlers=lambda *a: None)  # type: ignore[arg-type]

    def test_on_failure_is_called_with_the_failed_state(self) -> None:
        calls: list[tuple[Task, Any]] = []

        @task(on_failure=lambda t, s: calls.append((t, s)))
        def boom() -> None:
            raise ValueError("no")

        with Flow("f") as flow:
            b = boom()
        flow.run()
        assert len(calls) == 1
        assert calls[0][0] is b and isinstance(calls[0][1], Failed)


class TestConfigDefaults:
    def test_retries_come_from_config(self) -> None:
        with set_temporary_config(
            {"tasks.defaults.max_retries": 2, "tasks.defaults.retry_delay": SECOND}
        ):
            t = Task()
        assert (t.max_retries, t.retry_delay) == (2, SECOND)

    def test_explicit_max_retries_zero_ignores_the_default_delay(self) -> None:
        with set_temporary_config(
            {"tasks.defaults.max_retries": 2, "tasks.defaults.retry_delay": SECOND}
        ):
            t = Task(max_retries=0)
        assert (t.max_retries, t.retry_delay) == (0, None)

    def test_default_max_retries_without_a_default_delay_is_an_error(self) -> None:
        with set_temporary_config({"tasks.defaults.max_retries": 2}):
            with pytest.raises(ValueError, match="`retry_delay` must be provided"):
                Task()

    def test_timeout_comes_from_config(self) -> None:
        with set_temporary_config({"tasks.defaults.timeout": 7}):
            assert Task().timeout == 7


class TestRunSignature:
    def test_var_positional_in_a_subclass_is_rejected(self) -> None:
        with pytest.raises(ValueError, match=r"variable positional arguments \(\*args\)"):

            class Bad(Task):
                def run(self, *args: Any) -> None:  # type: ignore[override]
                    pass

    @pytest.mark.parametrize("name", ["upstream_tasks", "mapped", "task_args", "flow"])
    def test_reserved_names_in_a_subclass_are_rejected(self, name: str) -> None:
        namespace: dict[str, Any] = {"Task": Task}
        with pytest.raises(ValueError, match=f"cannot have the following argument names: {name}"):
            exec(f"class Bad(Task):\n    def run(self, x, {name}):\n        pass", namespace)

    def test_positional_only_in_a_subclass_is_rejected_when_created(self) -> None:
        class Bad(Task):
            def run(self, x: int, /) -> None:  # type: ignore[override]
                pass

        with pytest.raises(TypeError, match=r"positional-only parameters \['x'\]"):
            Bad()

    def test_var_positional_in_a_task_function_is_rejected(self) -> None:
        def f(*values: int) -> None:
            pass

        with pytest.raises(ValueError, match="variable positional arguments"):
            task(f)

    def test_reserved_name_in_a_task_function_is_rejected(self) -> None:
        def f(x: int, upstream_tasks: list) -> None:
            pass

        with pytest.raises(ValueError, match="argument names: upstream_tasks"):
            task(f)

    def test_positional_only_in_a_task_function_is_rejected(self) -> None:
        def f(x: int, /) -> None:
            pass

        with pytest.raises(TypeError, match="positional-only"):
            task(f)

    def test_var_keyword_is_allowed(self) -> None:
        @task
        def f(**kwargs: Any) -> dict:
            return kwargs

        with Flow("f") as flow:
            out = f(a=1, b=2)
        assert results(flow)(out) == {"a": 1, "b": 2}


class TestTaskDecorator:
    def test_without_arguments(self) -> None:
        @task
        def double(x: int) -> int:
            return 2 * x

        assert isinstance(double, FunctionTask)
        assert double.name == "double"
        assert double.run(4) == 8

    def test_with_arguments(self) -> None:
        @task(name="twice", max_retries=1, retry_delay=SECOND, tags=["math"])
        def double(x: int) -> int:
            return 2 * x

        assert (double.name, double.max_retries, double.tags) == ("twice", 1, {"math"})

    def test_non_callable_is_rejected(self) -> None:
        with pytest.raises(TypeError, match="@task decorates a function"):
            task(5)  # type: ignore[arg-type]

    def test_non_callable_with_options_is_rejected(self) -> None:
        with pytest.raises(TypeError, match="must be callable"):
            task(name="x")(5)


class TestCallAndBind:
    def test_call_returns_a_bound_copy(self) -> None:
        with Flow("f") as flow:
            a = add(1, y=2)
        assert a is not add
        assert add not in flow.tasks and a in flow.tasks
        assert flow.constants[a] == {"x": 1, "y": 2}
        assert results(flow)(a) == 3

    def test_call_twice_makes_independent_tasks(self) -> None:
        with Flow("f") as flow:
            a = add(1)
            b = add(a)
        assert a is not b
        assert results(flow)(b) == 3

    def test_bind_binds_the_task_itself(self) -> None:
        t = add.copy()
        with Flow("f") as flow:
            assert t.bind(5) is t
        assert results(flow)(t) == 6

    def test_task_args_set_attributes_on_the_copy(self) -> None:
        with Flow("f"):
            a = add(1, task_args={"name": "first", "tags": ["t"]})
        assert (a.name, a.tags) == ("first", {"t"})
        assert (add.name, add.tags) == ("add", set())

    def test_upstream_tasks_add_state_dependencies(self) -> None:
        with Flow("f") as flow:
            a = add(1)
            b = add(2, upstream_tasks=[a])
        (edge,) = flow.edges_to(b)
        assert edge.upstream_task is a and edge.key is None

    def test_wrong_arguments_name_the_task_and_signature(self) -> None:
        with Flow("f"):
            with pytest.raises(
                TypeError, match=r"<Task: add>.*run\(x: int, y: int = 1\).*too many"
            ):
                add(1, 2, 3)

    def test_bind_outside_a_flow_tells_to_call_run(self) -> None:
        with pytest.raises(ValueError) as info:
            add.bind(1)
        assert "Could not infer an active Flow context while creating edge to <Task: add>" in str(
            info.value
        )
        assert "you need to call `add.run(...)`" in str(info.value)

    def test_call_outside_a_flow_names_the_class_for_task_subclasses(self) -> None:
        class Adder(Task):
            def run(self, x: int) -> int:  # type: ignore[override]
                return x

        with pytest.raises(ValueError, match=r"you need to call `Adder\(\.\.\.\)\.run\(\.\.\.\)`"):
            Adder()(1)

    def test_explicit_flow_argument(self) -> None:
        flow = Flow("f")
        a = add(1, flow=flow)
        assert a in flow.tasks


class TestCopy:
    def test_copy_is_a_new_task_with_the_same_settings(self) -> None:
        t = Task(name="t", max_retries=1, retry_delay=SECOND)
        c = t.copy()
        assert c is not t and (c.name, c.max_retries) == ("t", 1)

    def test_slug_gets_a_copy_suffix(self) -> None:
        assert Task(slug="load").copy().slug == "load-copy"
        assert Task(slug="load").copy(slug="other").slug == "other"

    def test_task_args_are_set(self) -> None:
        assert Task().copy(name="renamed", max_retries=3).max_retries == 3

    def test_unknown_attribute_is_an_attribute_error(self) -> None:
        with pytest.raises(
            AttributeError, match="<Task: Task> does not have colour as an attribute"
        ):
            Task().copy(colour="red")

    def test_copy_of_a_connected_task_warns(self) -> None:
        with Flow("f"):
            a = add(1)
            add(a)
            with pytest.warns(UserWarning, match="copy will not retain those dependencies"):
                a.copy()

    def test_copy_keeps_tags_and_adds_context_tags(self) -> None:
        t = Task(tags=["a"])
        with tags("b"):
            c = t.copy()
        assert c.tags == {"a", "b"} and t.tags == {"a"}


class TestMap:
    def test_map_runs_once_per_element(self) -> None:
        with Flow("f") as flow:
            out = add.map(numbers())
        state = flow.run()
        assert state.result[out].result == [11, 21, 31]

    def test_map_over_a_non_subscriptable_is_refused_when_the_flow_runs(self) -> None:
        # the flow can still be built (and drawn, as in Prefect 1); running it fails before
        # any task runs, naming the task and the argument
        for call in (lambda: add.map(5), lambda: add.map(x=5)):
            with Flow("f") as flow:
                call()
            assert len(flow.tasks) == 2
            with pytest.raises(TypeError, match=r"Cannot map 'add' over argument 'x'.*int \(5\)"):
                flow.run()

    def test_map_resets_nout(self) -> None:
        @task(nout=2)
        def pair(x: int) -> tuple:
            return x, x

        with Flow("f"):
            assert pair.map([1, 2]).nout is None


def _operator_cases() -> list[tuple[str, Callable[[Task, Task], Task], Any]]:
    # (label, build(a=7 task, b=3 task), expected result)
    return [
        ("+", lambda a, b: a + b, 10),
        ("-", lambda a, b: a - b, 4),
        ("*", lambda a, b: a * b, 21),
        ("/", lambda a, b: a / b, 7 / 3),
        ("//", lambda a, b: a // b, 2),
        ("%", lambda a, b: a % b, 1),
        ("**", lambda a, b: a**b, 343),
        ("&", lambda a, b: a & b, 3),
        (">", lambda a, b: a > b, True),
        (">=", lambda a, b: a >= 7, True),
        ("<", lambda a, b: a < b, False),
        ("<=", lambda a, b: a <= 7, True),
        ("r+", lambda a, b: 1 + a, 8),
        ("r-", lambda a, b: 10 - a, 3),
        ("r*", lambda a, b: 2 * a, 14),
        ("r/", lambda a, b: 14 / a, 2.0),
        ("r//", lambda a, b: 15 // a, 2),
        ("r%", lambda a, b: 15 % a, 1),
        ("r**", lambda a, b: 2**b, 8),
        ("r&", lambda a, b: 5 & a, 7),
        ("is_equal", lambda a, b: a.is_equal(7), True),
        ("is_not_equal", lambda a, b: a.is_not_equal(7), False),
        ("not_", lambda a, b: a.not_(), False),
        ("or_", lambda a, b: ident(0).or_(b), 3),
        ("and_", lambda a, b: a.and_(b), 3),
        ("getitem", lambda a, b: numbers()[0], 10),
        ("getitem task key", lambda a, b: numbers()[b - 2], 20),
    ]


class TestOperators:
    @pytest.mark.parametrize(
        ("build", "expected"),
        [(c[1], c[2]) for c in _operator_cases()],
        ids=[c[0] for c in _operator_cases()],
    )
    def test_operator_builds_a_hidden_task_with_the_right_value(
        self, build: Callable[[Task, Task], Task], expected: Any
    ) -> None:
        with Flow("ops") as flow:
            out = build(ident(7), ident(3))
        assert isinstance(out, Task)
        assert results(flow)(out) == expected

    def test_hidden_task_names(self) -> None:
        with Flow("ops"):
            a = ident(7)
            assert (a + 1).name == "Add"
            assert (a > 1).name == "GreaterThan"
            assert numbers()[0].name == "numbers[0]"
            assert numbers()["k"].name == "numbers['k']"

    def test_double_equals_keeps_its_python_meaning(self) -> None:
        a = Task()
        assert (a == a) is True and (a == Task()) is False

    def test_pipe_is_a_dependency(self) -> None:
        with Flow("f") as flow:
            a, b = ident(1), ident(2)
            returned = a | b
        assert returned is b
        assert flow.upstream_tasks(b) == {a}
        assert flow.constants[b] == {"x": 2}

    def test_reversed_pipe_makes_a_constant_upstream(self) -> None:
        with Flow("f") as flow:
            b = ident(2)
            assert (5 | b) is b
        (up,) = flow.upstream_tasks(b)
        assert up.name == "5"


class TestUnpacking:
    def test_nout_makes_a_task_unpackable(self) -> None:
        @task(nout=2)
        def pair() -> list:
            return [1, "a"]

        with Flow("f") as flow:
            x, y = pair()
        get = results(flow)
        assert (get(x), get(y)) == (1, "a")
        assert (x.name, y.name) == ("pair[0]", "pair[1]")

    def test_tuple_annotation_sets_nout(self) -> None:
        @task
        def triple() -> Tuple[int, int, str]:  # noqa: UP006
            return 1, 2, "c"

        @task
        def pair() -> tuple[int, int]:
            return 3, 4

        assert (triple.nout, pair.nout) == (3, 2)
        with Flow("f") as flow:
            a, b, c = triple()
            d, e = pair()
        get = results(flow)
        assert [get(t) for t in (a, b, c, d, e)] == [1, 2, "c", 3, 4]

    def test_empty_tuple_annotation_means_zero_outputs(self) -> None:
        @task
        def nothing() -> Tuple[()]:  # noqa: UP006
            return ()

        assert nothing.nout == 0

    @pytest.mark.parametrize("annotation", [tuple, Tuple, tuple[int, ...], list[int]])  # noqa: UP006
    def test_variable_length_annotations_leave_nout_unknown(self, annotation: Any) -> None:
        def f() -> None:
            pass

        f.__annotations__["return"] = annotation
        assert task(f).nout is None

    def test_iterating_a_task_without_nout_is_a_type_error(self) -> None:
        with Flow("f"):
            with pytest.raises(TypeError, match="Task is not iterable.*pass `nout`"):
                a, b = ident(1)


class TestIntrospection:
    def test_inputs(self) -> None:
        assert add.inputs() == {
            "x": {"type": int, "default": None, "required": True},
            "y": {"type": int, "default": 1, "required": False},
        }
        assert ident.inputs()["x"]["type"] is Any

    def test_outputs(self) -> None:
        class Plain(Task):
            def run(self):  # type: ignore[no-untyped-def]  # no annotation on purpose
                pass

        assert add.outputs() is int
        assert Plain().outputs() is Any

    def test_call_signature_shows_run_arguments_and_call_options(self) -> None:
        import inspect

        params = inspect.signature(add).parameters
        assert list(params)[:2] == ["x", "y"]
        assert {"mapped", "task_args", "upstream_tasks", "flow"} <= set(params)


class TestPipe:
    def test_pipe_calls_the_other_task_with_this_one(self) -> None:
        with Flow("f") as flow:
            out = ident(1).pipe(add, y=10)
        assert results(flow)(out) == 11

    def test_pipes_chain(self) -> None:
        with Flow("f") as flow:
            out = ident(1).pipe(add).pipe(add, y=5)
        assert results(flow)(out) == 7

    def test_an_edge_annotation_in_a_chain_leaves_the_task_as_it_is(self) -> None:
        @task
        def total(numbers: list) -> int:
            return sum(numbers)

        with Flow("f") as flow:
            doubled = ident.map([1, 2, 3])
            out = doubled.pipe(flatten).pipe(mapped).pipe(unmapped).pipe(total)
        assert doubled.pipe(unmapped) is doubled
        assert results(flow)(out) == 6

    def test_self_cannot_be_passed_on(self) -> None:
        with Flow("f"), pytest.raises(ValueError, match='"self" cannot be passed on by .pipe'):
            ident(1).pipe(add, self=2)


class TestRunNameAndTags:
    def test_task_run_name_template(self) -> None:
        @task(task_run_name="load-{x}")
        def load(x: int) -> str:
            return context.get("task_run_name")

        with Flow("f") as flow:
            out = load(5)
        assert results(flow)(out) == "load-5"

    def test_task_run_name_function(self) -> None:
        @task(task_run_name=lambda **kw: f"fn-{kw['x']}")
        def load(x: int) -> str:
            return context.get("task_run_name")

        with Flow("f") as flow:
            out = load(6)
        assert results(flow)(out) == "fn-6"

    def test_tags_block_tags_created_and_called_tasks(self) -> None:
        with Flow("f"):
            with tags("a"):
                t1 = ident(1)
                with tags("b"):
                    t2 = ident(2)
                    t3 = Task(tags=["c"])
            t4 = ident(4)
        assert (t1.tags, t2.tags, t3.tags, t4.tags) == ({"a"}, {"a", "b"}, {"a", "b", "c"}, set())
        assert ident.tags == set()


def test_a_task_that_succeeds_ends_success() -> None:
    with Flow("f") as flow:
        a = add(1)
    state = flow.run()
    assert isinstance(state.result[a], Success)
    assert state.result[a].message == "Task run succeeded."
