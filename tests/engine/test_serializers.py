import base64
import bz2
import datetime
import gzip
import lzma
import pickle
import sys
import zlib

import pytest

from prefect_jupyter.engine.serializers import (
    CompressedSerializer,
    DateTimeSerializer,
    JSONSerializer,
    PandasSerializer,
    PickleSerializer,
    Serializer,
)


class TestSerializerBase:
    def test_unimplemented_methods_name_the_subclass(self):
        class Half(Serializer):
            pass

        with pytest.raises(NotImplementedError, match="Half does not implement serialize"):
            Half().serialize(1)
        with pytest.raises(NotImplementedError, match="Half does not implement deserialize"):
            Half().deserialize(b"1")

    def test_equality_is_by_type(self):
        assert PickleSerializer() == PickleSerializer()
        assert PickleSerializer() != JSONSerializer()
        assert DateTimeSerializer() == DateTimeSerializer()
        assert hash(PickleSerializer()) == hash(PickleSerializer())

    def test_repr_names_the_class(self):
        assert repr(PickleSerializer()) == "PickleSerializer()"


class TestPickleSerializer:
    def test_round_trip_returns_bytes_and_value(self):
        payload = PickleSerializer().serialize({"a": [1, 2.5, None]})
        assert isinstance(payload, bytes)
        assert PickleSerializer().deserialize(payload) == {"a": [1, 2.5, None]}

    def test_round_trips_a_lambda_and_a_closure(self):
        offset = 10

        def add_offset(x):
            return x + offset

        s = PickleSerializer()
        assert s.deserialize(s.serialize(lambda x: x * 3))(2) == 6
        assert s.deserialize(s.serialize(add_offset))(1) == 11

    def test_round_trips_a_locally_defined_class(self):
        class Point:
            def __init__(self, x):
                self.x = x

        s = PickleSerializer()
        assert s.deserialize(s.serialize(Point(4))).x == 4

    def test_reads_legacy_base64_encoded_pickles(self):
        legacy = base64.b64encode(pickle.dumps([1, 2, 3]))
        assert PickleSerializer().deserialize(legacy) == [1, 2, 3]

    def test_garbage_raises_the_original_unpickling_error(self):
        with pytest.raises(pickle.UnpicklingError):
            PickleSerializer().deserialize(b"this is not a pickle")


class TestJSONSerializer:
    def test_round_trip_produces_json_text(self):
        s = JSONSerializer()
        assert s.serialize({"a": [1, "b"]}) == b'{"a": [1, "b"]}'
        assert s.deserialize(b'{"a": [1, "b"]}') == {"a": [1, "b"]}

    def test_unserializable_value_names_the_fix(self):
        with pytest.raises(TypeError, match="dumps_kwargs") as info:
            JSONSerializer().serialize({"when": datetime.date(2024, 1, 1)})
        assert "PickleSerializer" in str(info.value)

    def test_dumps_and_loads_kwargs_are_used(self):
        s = JSONSerializer(
            dumps_kwargs={"default": lambda v: {"__set__": sorted(v)}},
            loads_kwargs={
                "object_hook": lambda d: set(d["__set__"]) if "__set__" in d else d,
            },
        )
        assert s.deserialize(s.serialize({3, 1})) == {1, 3}

    def test_equality_includes_kwargs(self):
        assert JSONSerializer() == JSONSerializer()
        assert JSONSerializer(dumps_kwargs={"indent": 2}) != JSONSerializer()
        assert JSONSerializer(dumps_kwargs={"indent": 2}) == JSONSerializer(
            dumps_kwargs={"indent": 2}
        )


class TestDateTimeSerializer:
    def test_round_trip_of_aware_datetime_keeps_offset(self):
        tz = datetime.timezone(datetime.timedelta(hours=2))
        value = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=tz)
        s = DateTimeSerializer()
        payload = s.serialize(value)
        assert payload == b"2024-05-06T07:08:09.123456+02:00"
        assert s.deserialize(payload) == value
        assert s.deserialize(payload).utcoffset() == datetime.timedelta(hours=2)

    def test_naive_datetime_is_treated_as_utc(self):
        s = DateTimeSerializer()
        assert s.serialize(datetime.datetime(2024, 1, 2, 3, 4, 5)) == b"2024-01-02T03:04:05+00:00"
        parsed = s.deserialize(b"2024-01-02T03:04:05")
        assert parsed.tzinfo is not None and parsed.utcoffset() == datetime.timedelta(0)

    def test_non_datetime_is_rejected_with_alternative(self):
        with pytest.raises(TypeError, match="got str; use JSONSerializer"):
            DateTimeSerializer().serialize("2024-01-01")

    def test_unparseable_text_names_the_expected_format(self):
        with pytest.raises(ValueError, match="cannot parse 'yesterday'"):
            DateTimeSerializer().deserialize(b"yesterday")


class TestPandasSerializer:
    def test_missing_pandas_names_the_extra_to_install(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "pandas", None)
        with pytest.raises(ImportError, match=r"pip install prefect-jupyter\[pandas\]"):
            PandasSerializer("csv")

    def test_importing_serializers_does_not_import_pandas(self):
        import subprocess

        code = (
            "import sys, prefect_jupyter.engine.serializers, prefect_jupyter.engine.results; "
            "assert 'pandas' not in sys.modules and 'dask' not in sys.modules"
        )
        subprocess.run([sys.executable, "-c", code], check=True)

    def test_csv_round_trip(self):
        pd = pytest.importorskip("pandas")
        frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
        s = PandasSerializer("csv", serialize_kwargs={"index": False})
        assert s.deserialize(s.serialize(frame)).equals(frame)

    def test_unknown_file_type_fails_at_construction(self):
        pytest.importorskip("pandas")
        with pytest.raises(ValueError, match="read_nope"):
            PandasSerializer("nope")

    def test_equality_compares_options(self):
        pytest.importorskip("pandas")
        assert PandasSerializer("csv") == PandasSerializer("csv")
        assert PandasSerializer("csv") != PandasSerializer("json")
        assert PandasSerializer("csv") != PandasSerializer("csv", serialize_kwargs={"index": False})


class TestCompressedSerializer:
    @pytest.mark.parametrize(
        ("name", "module"), [("bz2", bz2), ("gzip", gzip), ("lzma", lzma), ("zlib", zlib)]
    )
    def test_each_standard_format_round_trips(self, name, module):
        value = {"rows": list(range(200)) * 5}
        s = CompressedSerializer(PickleSerializer(), format=name)
        payload = s.serialize(value)
        assert module.decompress(payload) == PickleSerializer().serialize(value)
        assert len(payload) < len(PickleSerializer().serialize(value))
        assert s.deserialize(payload) == value

    def test_custom_functions_and_kwargs(self):
        s = CompressedSerializer(
            JSONSerializer(),
            compress=zlib.compress,
            decompress=zlib.decompress,
            compress_kwargs={"level": 9},
        )
        assert s.serialize("a" * 100) == zlib.compress(b'"' + b"a" * 100 + b'"', level=9)
        assert s.deserialize(s.serialize([1, 2])) == [1, 2]

    def test_format_and_functions_together_is_an_error(self):
        with pytest.raises(ValueError, match="not both"):
            CompressedSerializer(PickleSerializer(), format="gzip", compress=zlib.compress)

    @pytest.mark.parametrize("kwargs", [{}, {"compress": zlib.compress}])
    def test_missing_compression_lists_the_options(self, kwargs):
        with pytest.raises(ValueError, match="bz2, gzip, lzma, zlib"):
            CompressedSerializer(PickleSerializer(), **kwargs)

    def test_unknown_module_suggests_the_standard_ones(self):
        with pytest.raises(ImportError, match="'snappyish' is not installed.*bz2, gzip, lzma, zlib"):
            CompressedSerializer(PickleSerializer(), format="snappyish")

    def test_module_without_compress_functions(self):
        with pytest.raises(ValueError, match="'json' module does not have 'compress' and 'decompress'"):
            CompressedSerializer(PickleSerializer(), format="json")

    def test_wrapping_a_non_serializer_is_rejected(self):
        with pytest.raises(TypeError, match="wraps a Serializer, got str"):
            CompressedSerializer("pickle", format="gzip")

    def test_equality(self):
        gz = CompressedSerializer(PickleSerializer(), format="gzip")
        assert gz == CompressedSerializer(PickleSerializer(), format="gzip")
        assert gz != CompressedSerializer(PickleSerializer(), format="bz2")
        assert gz != CompressedSerializer(JSONSerializer(), format="gzip")
