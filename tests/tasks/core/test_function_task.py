"""``FunctionTask``: naming, docs, signature checks, pickling, and runs in a flow."""

from __future__ import annotations

import datetime
import pickle

import cloudpickle
import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.tasks.core.function import FunctionTask


def add(x: int, y: int = 2) -> int:
    """Add two numbers."""
    return x + y


class TestConstruction:
    def test_the_function_is_wrapped_for_inspect(self) -> None:
        import inspect

        made = FunctionTask(add)
        assert made.__wrapped__ is add and not hasattr(FunctionTask, "__wrapped__")
        assert inspect.unwrap(made) is add

    def test_name_defaults_to_the_function_name(self) -> None:
        assert FunctionTask(add).name == "add"

    def test_a_lambda_is_named_lambda(self) -> None:
        assert FunctionTask(lambda x: x).name == "<lambda>"

    def test_an_explicit_name_wins(self) -> None:
        assert FunctionTask(add, name="plus").name == "plus"

    def test_the_docstring_is_the_functions(self) -> None:
        assert FunctionTask(add).__doc__ == "Add two numbers."

    def test_task_options_are_passed_on(self) -> None:
        t = FunctionTask(add, max_retries=2, retry_delay=datetime.timedelta(0), tags=["math"])
        assert t.max_retries == 2
        assert t.tags == {"math"}

    def test_the_task_decorator_makes_a_function_task(self) -> None:
        decorated = task(add)
        named = task(name="plus")(add)
        assert isinstance(decorated, FunctionTask) and decorated.name == "add"
        assert isinstance(named, FunctionTask) and named.name == "plus"

    def test_a_non_callable_is_rejected(self) -> None:
        with pytest.raises(TypeError, match="must be callable"):
            FunctionTask(1)  # type: ignore[arg-type]


class TestSignatureValidation:
    def test_var_positional_arguments_are_rejected(self) -> None:
        def gather(*args: int) -> int:
            return sum(args)

        with pytest.raises(ValueError, match=r"\*args"):
            FunctionTask(gather)

    @pytest.mark.parametrize("reserved", ["upstream_tasks", "mapped", "task_args", "flow"])
    def test_reserved_argument_names_are_rejected(self, reserved: str) -> None:
        namespace: dict = {}
        exec(f"def fn({reserved}): return 1", namespace)
        with pytest.raises(ValueError, match=f"following argument names: {reserved}"):
            FunctionTask(namespace["fn"])

    def test_var_keyword_arguments_are_allowed(self) -> None:
        t = FunctionTask(lambda **kwargs: sorted(kwargs))
        assert t.run(b=1, a=2) == ["a", "b"]


class TestRunning:
    def test_run_calls_the_function_with_defaults(self) -> None:
        t = FunctionTask(add)
        assert t.run(1) == 3
        assert t.run(1, y=10) == 11

    def test_in_a_flow_the_result_is_the_functions_return_value(self) -> None:
        t = FunctionTask(add)
        with Flow("function") as flow:
            result = t(5, y=6)

        state = flow.run()
        assert state.is_successful()
        assert state.result[result].result == 11

    def test_missing_arguments_are_reported_when_binding(self) -> None:
        flow = Flow("function")
        with pytest.raises(TypeError, match="missing a required argument: 'x'"):
            FunctionTask(add).bind(y=1, flow=flow)


class TestPickling:
    def test_a_lambda_task_round_trips_through_cloudpickle(self) -> None:
        t = FunctionTask(lambda x: x * 3, name="triple")
        restored = cloudpickle.loads(cloudpickle.dumps(t))
        assert restored.name == "triple"
        assert restored.run(2) == 6

    def test_a_closure_task_round_trips_with_its_captured_value(self) -> None:
        offset = 10

        @task
        def shift(x: int) -> int:
            return x + offset

        restored = cloudpickle.loads(cloudpickle.dumps(shift))
        assert restored.name == "shift"
        assert restored.run(1) == 11

    def test_a_restored_task_runs_in_a_new_flow(self) -> None:
        restored = cloudpickle.loads(cloudpickle.dumps(FunctionTask(lambda x: -x, name="neg")))
        with Flow("restored") as flow:
            result = restored(4)

        assert flow.run().result[result].result == -4

    def test_a_module_level_function_task_pickles_with_the_standard_pickle(self) -> None:
        restored = pickle.loads(pickle.dumps(FunctionTask(add)))
        assert restored.name == "add"
        assert restored.run(1) == 3
