import pytest

from prefect_jupyter.utilities.graphql import compress, decompress


def test_round_trip_keeps_nested_json():
    value = {"name": "etl", "tasks": [{"slug": "a-1", "tags": ["x"]}], "n": 3, "none": None}
    text = compress(value)
    assert isinstance(text, str) and text.isascii()
    assert decompress(text) == value


def test_garbage_is_a_clear_error():
    with pytest.raises(ValueError, match="could not be decoded"):
        decompress("not base64 at all!")
