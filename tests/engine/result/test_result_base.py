import pathlib
import re

import cloudpickle
import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.engine.result import (
    LocationError,
    NoResult,
    NoResultType,
    Result,
    ResultNotImplementedError,
)
from prefect_jupyter.engine.result.base import render_location
from prefect_jupyter.engine.serializers import JSONSerializer, PickleSerializer
from prefect_jupyter.utilities.configuration import set_temporary_config

CONTEXT = {
    "task_name": "load",
    "task_full_name": "load[2]",
    "map_index": 2,
    "flow_run_name": "brave-otter",
    "today": "2024-05-06",
}


def test_defaults():
    result = Result()
    assert result.value is None
    assert result.location is None
    assert result.serializer == PickleSerializer()
    assert result.validators == []
    assert result.run_validators is True


def test_format_fills_the_template_on_a_copy():
    template = "{flow_run_name}/{today}/{task_full_name}-{task_name}-{map_index}.pkl"
    result = Result(value=1, location=template)
    formatted = result.format(**CONTEXT)
    assert formatted.location == "brave-otter/2024-05-06/load[2]-load-2.pkl"
    assert formatted is not result
    assert result.location == template
    assert formatted.value == 1


def test_format_ignores_unused_kwargs():
    assert Result(location="{task_name}").format(**CONTEXT, extra=object()).location == "load"


def test_format_calls_a_callable_location_with_the_kwargs():
    seen = {}

    def name(**kwargs):
        seen.update(kwargs)
        return f"{kwargs['task_name']}-{kwargs['map_index']:03d}.bin"

    result = Result(location=name)
    assert result.location is None
    assert result.format(**CONTEXT).location == "load-002.bin"
    assert seen == CONTEXT


def test_missing_template_field_names_the_field_and_what_is_available():
    with pytest.raises(LocationError) as info:
        Result(location="{task_name}/{missing}").format(task_name="a", map_index=0)
    message = str(info.value)
    assert "{missing}" in message
    assert "available: map_index, task_name" in message
    assert isinstance(info.value, KeyError)


def test_positional_template_field_is_explained():
    with pytest.raises(LocationError, match=r"positional field.*Name every field"):
        Result(location="out-{}.pkl").format(**CONTEXT)


def test_unbalanced_braces_are_explained():
    with pytest.raises(ValueError, match="not a valid format string"):
        Result(location="out-{task_name.pkl").format(**CONTEXT)


def test_escaped_braces_are_literal():
    assert render_location("{{raw}}-{task_name}", task_name="t") == "{raw}-t"


def test_no_location_gets_a_fresh_default_location():
    first = Result().format().location
    second = Result().format().location
    pattern = r"\d{4}/\d{1,2}/\d{1,2}/[0-9a-f-]{36}\.prefect_result"
    assert re.fullmatch(pattern, first)
    assert first != second


def test_path_location_is_stored_as_a_string():
    assert Result(location=pathlib.Path("a") / "b.pkl").location == str(pathlib.Path("a/b.pkl"))


def test_invalid_location_type_is_rejected():
    with pytest.raises(TypeError, match="got int. Give a template such as"):
        Result(location=42)


class IndexedResult(Result):
    """A result that stores values in a list and names each by its index (Prefect 1 allows it)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stored = []

    def write(self, value, **kwargs):
        new = self.format(**kwargs)
        self.stored.append(value)
        new.location = len(self.stored) - 1
        new.value = value
        return new

    def read(self, location):
        new = self.copy()
        new.location, new.value = location, self.stored[location]
        return new


def test_a_subclass_may_name_a_stored_value_by_something_else_than_a_string():
    result = IndexedResult()

    @task(checkpoint=True, result=result)
    def double(x):
        return 2 * x

    with Flow("indexed") as flow:
        doubled = double.map([1, 2, 3])
    with set_temporary_config({"flows.checkpointing": True}):
        state = flow.run()
    assert state.is_successful()
    children = state.result[doubled].map_states
    assert sorted(child._result.location for child in children) == [0, 1, 2]
    assert sorted(result.stored) == [2, 4, 6]
    assert children[0]._result.format(task_name="double").location == children[0]._result.location


def test_setting_a_string_location_replaces_a_callable_one():
    result = Result(location=lambda **kw: "from-callable")
    result.location = "from-{task_name}"
    assert result.format(task_name="x").location == "from-x"


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("read", lambda r: r.read("somewhere")),
        ("write", lambda r: r.write(1)),
        ("exists", lambda r: r.exists("somewhere")),
    ],
)
def test_base_class_has_no_storage(operation, call):
    with pytest.raises(ResultNotImplementedError, match=f"Result.{operation}.*LocalResult"):
        call(Result())
    assert issubclass(ResultNotImplementedError, NotImplementedError)


def test_from_value_drops_the_string_location():
    result = Result(value=1, location="x.pkl").from_value(2)
    assert result.value == 2
    assert result.location is None


def test_from_value_keeps_a_callable_location():
    result = Result(location=lambda **kw: f"{kw['task_name']}.out").from_value(5)
    assert result.format(task_name="t").location == "t.out"


def test_copy_shares_the_value_but_not_the_validators():
    data = [1, 2]
    result = Result(value=data, validators=[bool])
    copied = result.copy()
    copied.validators.append(callable)
    assert copied.value is data
    assert result.validators == [bool]


def test_equality_compares_type_value_location_and_serializer():
    assert Result(1, location="a") == Result(1, location="a")
    assert Result(1, location="a") != Result(2, location="a")
    assert Result(1, location="a") != Result(1, location="b")
    assert Result(1) != Result(1, serializer=JSONSerializer())
    assert Result(None) != NoResult


def test_equality_survives_values_that_refuse_bool():
    class ElementWise:
        def __eq__(self, other):
            return self

        def __bool__(self):
            raise ValueError("ambiguous")

    assert Result(ElementWise()) != Result(ElementWise())


def test_repr_shows_type_and_value():
    assert repr(Result([1])) == "<Result: [1]>"


def test_validate_runs_every_validator_on_the_result():
    seen = []

    def positive(result):
        seen.append(result)
        return result.value > 0

    assert Result(3, validators=[positive]).validate() is True
    assert Result(-1, validators=[positive, lambda r: True]).validate() is False
    assert [r.value for r in seen] == [3, -1]
    assert Result(3).validate() is True


def test_no_result_is_a_result_without_a_value():
    assert isinstance(NoResult, NoResultType)
    assert isinstance(NoResult, Result)
    assert NoResult.value is None
    assert repr(NoResult) == "NoResult"
    assert NoResult == NoResultType()


def test_result_with_a_callable_location_survives_cloudpickle():
    prefix = "run"
    result = Result(value={"a": 1}, location=lambda **kw: f"{prefix}-{kw['map_index']}")
    restored = cloudpickle.loads(cloudpickle.dumps(result))
    assert restored.value == {"a": 1}
    assert restored.format(map_index=7).location == "run-7"


def test_real_states_wrap_values_in_results():
    state_module = pytest.importorskip("prefect_jupyter.engine.state")
    state = state_module.Success(result=Result(value=4, location="x"))
    assert state.result == 4
    assert state._result.location == "x"
