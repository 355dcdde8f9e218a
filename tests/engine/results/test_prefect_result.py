import datetime
import json

import pytest

from prefect_jupyter.engine.result import Result
from prefect_jupyter.engine.results import PrefectResult
from prefect_jupyter.engine.serializers import (
    DateTimeSerializer,
    JSONSerializer,
    PickleSerializer,
)


def test_default_serializer_is_json():
    result = PrefectResult()
    assert isinstance(result, Result)
    assert result.serializer == JSONSerializer()


def test_write_stores_the_value_in_the_location():
    result = PrefectResult()
    written = result.write({"rows": [1, 2]}, task_name="ignored")
    assert written.location == '{"rows": [1, 2]}'
    assert written.value == {"rows": [1, 2]}
    assert result.location is None and result.value is None


def test_read_parses_the_location():
    read = PrefectResult().read("[1, 2, 3]")
    assert read.value == [1, 2, 3]
    assert read.location == "[1, 2, 3]"


def test_exists_is_true_for_decodable_locations():
    assert PrefectResult().exists('{"a": 1}')
    assert PrefectResult().exists("3")
    assert not PrefectResult().exists("not json")


@pytest.mark.parametrize("value", [42, [0, 1], (9, 10), {"x": [55]}])
def test_exists_is_false_for_a_value_that_is_not_a_location(value):
    assert PrefectResult().exists(json.dumps(value))
    assert not PrefectResult().exists(value)


def test_datetime_serializer_is_allowed():
    when = datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)
    result = PrefectResult(serializer=DateTimeSerializer())
    written = result.write(when)
    assert written.location == "2024-01-02T00:00:00+00:00"
    assert result.read(written.location).value == when


def test_binary_serializer_is_rejected_with_alternative():
    with pytest.raises(TypeError, match="not PickleSerializer.*LocalResult"):
        PrefectResult(serializer=PickleSerializer())
    result = PrefectResult()
    with pytest.raises(TypeError, match="JSONSerializer or DateTimeSerializer"):
        result.serializer = PickleSerializer()


def test_unserializable_value_raises_a_clear_error():
    with pytest.raises(TypeError, match="JSONSerializer cannot serialize"):
        PrefectResult().write(object())
