"""utilities.serialization: the marshmallow fields and base schemas of Prefect 1's schemas."""

from __future__ import annotations

import datetime
import uuid

import pytest

marshmallow = pytest.importorskip("marshmallow", reason="the serialization extra is not installed")
pendulum = pytest.importorskip("pendulum", reason="the serialization extra is not installed")

from marshmallow import ValidationError, fields  # noqa: E402

import prefect_jupyter  # noqa: E402
from prefect_jupyter.utilities.serialization import (  # noqa: E402
    UUID,
    Bytes,
    DateTimeTZ,
    FunctionReference,
    JSONCompatible,
    ObjectSchema,
    SortedList,
    StatefulFunctionReference,
    from_qualified_name,
    to_qualified_name,
)


def every(n: int):
    def check(x: int) -> bool:
        return x % n == 0

    return check


def odd(x: int) -> bool:
    return x % 2 == 1


class Point:
    def __init__(self, x: int, y: int = 0) -> None:
        self.x, self.y = x, y


class PointSchema(ObjectSchema):
    class Meta:
        object_class = Point
        exclude_fields = ["label"]

    x = fields.Int()
    y = fields.Int()
    label = fields.Str()


class Fields(marshmallow.Schema):
    blob = Bytes()
    ident = UUID()
    when = DateTimeTZ(allow_none=True)
    names = SortedList(fields.Str())
    anything = JSONCompatible()
    fn = FunctionReference([odd], reject_invalid=False)
    rule = StatefulFunctionReference([every, odd], allow_none=True)


def test_object_schema_builds_the_object_and_versions_the_json() -> None:
    data = PointSchema().dump(Point(1, 2))
    assert data == {"x": 1, "y": 2, "__version__": prefect_jupyter.__version__}
    point = PointSchema().load({**data, "label": "ignored", "unknown": 1})
    assert isinstance(point, Point) and (point.x, point.y) == (1, 2)
    assert PointSchema().load({"x": 3}, create_object=False) == {"x": 3}


def test_fields_round_trip() -> None:
    ident = str(uuid.uuid4())
    when = pendulum.datetime(2020, 3, 8, 1, tz="America/New_York")
    value = {"blob": b"\x00\xff", "ident": ident, "when": when, "names": ["b", "a"],
             "anything": {"k": [1]}, "fn": odd, "rule": every(3)}
    data = Fields().dump(value)
    assert data["blob"] == "AP8=" and data["names"] == ["a", "b"]
    assert data["when"] == {"dt": "2020-03-08T01:00:00", "tz": "America/New_York"}
    assert data["fn"] == to_qualified_name(odd)
    assert data["rule"] == {"fn": to_qualified_name(every), "kwargs": {"n": 3}}
    loaded = Fields().load(data)
    assert loaded["blob"] == b"\x00\xff" and loaded["ident"] == ident
    assert loaded["when"] == when and loaded["when"].add(hours=2).hour == 4  # DST kept
    assert loaded["fn"] is odd and loaded["rule"](9) and not loaded["rule"](10)


@pytest.mark.parametrize(("zone", "offset"), [("+00:00", 0), ("-05:30", -19800), ("+09:00", 32400)])
def test_a_fixed_offset_zone_loads(zone: str, offset: int) -> None:
    # what pendulum 2 names the zone of a standard-library datetime (and Prefect 1 writes)
    loaded = Fields().load({"when": {"dt": "2099-01-01T00:00:00", "tz": zone}})["when"]
    assert loaded.utcoffset() == datetime.timedelta(seconds=offset)
    assert loaded == datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(seconds=offset)))


def test_stateful_reference_tags_times_and_refuses_unknown_functions() -> None:
    def at(t: datetime.time, d: datetime.timedelta):
        def check() -> bool:
            return bool(t and d)

        return check

    field_schema = type("S", (marshmallow.Schema,), {"f": StatefulFunctionReference([at])})
    data = field_schema().dump({"f": at(datetime.time(9, 30), datetime.timedelta(minutes=5))})
    assert data["f"]["kwargs"] == {"t": "//time:09:30:00", "d": "//timedelta:300.0"}
    assert field_schema().load(data)["f"]()
    with pytest.raises(ValidationError, match="custom functions aren't supported"):
        field_schema().dump({"f": odd})
    with pytest.raises(ValidationError, match="Invalid function reference"):
        field_schema().load({"f": {"fn": "nowhere.fn"}})


def test_json_compatible_names_the_attribute() -> None:
    with pytest.raises(ValidationError, match="`dict.anything` must be JSON compatible"):
        Fields().dump({"anything": object()})


def test_qualified_names() -> None:
    assert to_qualified_name(Point) == f"{__name__}.Point"
    assert from_qualified_name(f"{__name__}.Point") is Point
    with pytest.raises(ValueError, match="hasn't been imported"):
        from_qualified_name("not_imported_anywhere.Thing")
