import pytest

from prefect_jupyter.engine.result import Result
from prefect_jupyter.engine.results import ConstantResult
from prefect_jupyter.engine.serializers import JSONSerializer


def test_read_returns_the_constant_itself():
    result = ConstantResult(value=[1, 2])
    assert result.read("anything") is result
    assert result.read("anything").value == [1, 2]


def test_a_constant_always_exists():
    assert ConstantResult(value=1).exists("whatever", task_name="x")


def test_write_is_refused_with_alternatives():
    with pytest.raises(ValueError, match="cannot be written.*LocalResult or PrefectResult"):
        ConstantResult(value=1).write(2)


def test_serializer_argument_is_refused():
    with pytest.raises(ValueError, match="Can't pass a serializer.*Remove the serializer= argument"):
        ConstantResult(value=1, serializer=JSONSerializer())


def test_constant_is_a_result_and_compares_by_value():
    assert isinstance(ConstantResult(), Result)
    assert ConstantResult(value=3) == ConstantResult(value=3)
    assert ConstantResult(value=3) != ConstantResult(value=4)
    assert ConstantResult(value=3) != Result(value=3)
