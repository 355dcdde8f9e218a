"""marshmallow building blocks of Prefect 1's serialization schemas (``prefect.utilities.serialization``).

The schemas in :mod:`prefect_jupyter.serialization` are built from these:

* :class:`ObjectSchema` — a schema that loads to an instance of ``Meta.object_class`` (every
  loaded field becomes a keyword argument, except those in ``Meta.exclude_fields``), writes a
  ``__version__`` key on dump and ignores unknown keys on load. ``schema.load(data,
  create_object=False)`` returns the plain dict instead.
* :class:`OneOfSchema` — polymorphic: the ``type`` key picks the schema in ``type_schemas``.
* fields: :class:`JSONCompatible`, :class:`Nested` (with a function choosing the value),
  :class:`SortedList`, :class:`Bytes` (base64), :class:`UUID` (validated, kept a string),
  :class:`DateTimeTZ` (``{"dt": naive ISO, "tz": zone name}``, loaded as pendulum),
  :class:`FunctionReference` and :class:`StatefulFunctionReference` (a function by its
  qualified name, from an allow-list; a factory-made function with its factory's arguments).

marshmallow 3 is required (``pip install "prefect-jupyter[serialization]"``).

Example:
    >>> class PointSchema(ObjectSchema):
    ...     class Meta:
    ...         object_class = Point
    ...     x = fields.Int()
    >>> PointSchema().load({"x": 1, "__version__": "1.4.1"})
    Point(x=1)
"""

from __future__ import annotations

import base64
import datetime
import inspect
import json
import re
import sys
import types
from collections.abc import Callable
from typing import Any

try:
    import marshmallow_oneofschema
    from marshmallow import (
        EXCLUDE,
        Schema,
        SchemaOpts,
        ValidationError,
        fields,
        missing,
        post_dump,
        post_load,
        pre_load,
    )
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        f"prefect_jupyter's serialization schemas need marshmallow 3 and "
        f"marshmallow-oneofschema ({exc}). Install them with "
        f"`pip install \"prefect-jupyter[serialization]\"`."
    ) from exc

__all__ = [
    "UUID",
    "Bytes",
    "DateTimeTZ",
    "FunctionReference",
    "JSONCompatible",
    "Nested",
    "ObjectSchema",
    "OneOfSchema",
    "SortedList",
    "StatefulFunctionReference",
    "from_qualified_name",
    "to_qualified_name",
]


def to_qualified_name(obj: Any) -> str:
    """``module.QualName`` of a class or function (its import path)."""
    return f"{obj.__module__}.{obj.__qualname__}"


def from_qualified_name(obj_str: str) -> Any:
    """The object at an import path, from modules already imported (nothing is imported).

    Raises:
        ValueError: when no imported module leads to the object.
    """
    parts = obj_str.split(".")
    for split in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:split]))
        if module is None:
            continue
        obj: Any = module
        try:
            for name in parts[split:]:
                obj = getattr(obj, name)
        except AttributeError:
            break
        return obj
    raise ValueError(f'Couldn\'t load "{obj_str}"; maybe it hasn\'t been imported yet?')


def _version() -> str:
    from prefect_jupyter import __version__

    return __version__


class ObjectSchemaOptions(SchemaOpts):
    """``Meta`` options of :class:`ObjectSchema`: ``object_class`` and ``exclude_fields``."""

    def __init__(self, meta: Any, **kwargs: Any) -> None:
        super().__init__(meta, **kwargs)
        self.object_class = getattr(meta, "object_class", None)
        self.exclude_fields = list(getattr(meta, "exclude_fields", None) or [])
        self.unknown = getattr(meta, "unknown", EXCLUDE)


class ObjectSchema(Schema):
    """A schema that loads to an object of ``Meta.object_class`` (see the module docstring).

    ``Meta.object_class`` may also be a function returning the class, for classes that can't
    be imported where the schema is defined.
    """

    OPTIONS_CLASS = ObjectSchemaOptions

    class Meta:
        object_class: type | None = None
        exclude_fields: list[str] = []
        unknown = EXCLUDE

    @pre_load
    def _remove_version(self, data: dict, **kwargs: Any) -> dict:
        return {k: v for k, v in data.items() if k != "__version__"}

    @post_dump
    def _add_version(self, data: dict, **kwargs: Any) -> dict:
        return {**data, "__version__": data.get("__version__", _version())}

    def load(self, data: Any, create_object: bool = True, **kwargs: Any) -> Any:
        """Load ``data``; an object of ``Meta.object_class``, or the dict if not ``create_object``."""
        self.context.setdefault("create_object", create_object)
        return super().load(data, **kwargs)

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """The object built from the loaded fields (or the fields, see :meth:`load`)."""
        if not self.context.get("create_object", True):
            return data
        cls = self.opts.object_class
        if cls is None:
            return data
        if isinstance(cls, types.FunctionType):
            cls = cls()
        excluded = set(self.opts.exclude_fields)
        return cls(**{k: v for k, v in data.items() if k not in excluded})


class JSONCompatible(fields.Field):
    """A field whose value must survive ``json.dumps`` (checked on dump and on load)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validators.insert(0, self._check_json)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        try:
            json.dumps(value)
        except TypeError:
            raise ValidationError(
                "When running with Prefect Cloud/Server, values for "
                f"`{type(obj).__name__}.{attr}` must be JSON compatible. "
                f"Unable to serialize `{value!r}`."
            ) from None
        return super()._serialize(value, attr, obj, **kwargs)

    @staticmethod
    def _check_json(value: Any) -> None:
        try:
            json.dumps(value)
        except TypeError:
            raise ValidationError(f"Values must be JSON compatible, got `{value!r}`") from None


class Nested(fields.Nested):
    """A nested field whose value ``value_selection_fn(obj, context)`` picks on dump.

    The function sees the attribute's own value as ``context["value"]`` and its name as
    ``context["attr"]``; returning ``marshmallow.missing`` leaves the key out.
    """

    def __init__(self, nested: Any, value_selection_fn: Callable | None, **kwargs: Any) -> None:
        super().__init__(nested=nested, **kwargs)
        self.value_selection_fn = value_selection_fn
        if value_selection_fn is not None:
            self._CHECK_ATTRIBUTE = False

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if self.value_selection_fn is not None:
            self.context.update(value=value, attr=attr)
            value = self.value_selection_fn(obj, self.context)
        if value is missing:
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class SortedList(fields.List):
    """A list field dumped in sorted order, so equal sets always serialize the same."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return sorted(super()._serialize(value, attr, obj, **kwargs))


class OneOfSchema(marshmallow_oneofschema.OneOfSchema):
    """A polymorphic schema (``type`` picks one of ``type_schemas``) that ignores unknown keys."""

    class Meta:
        unknown = EXCLUDE


class Bytes(fields.Field):
    """``bytes`` as base64 text."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else base64.b64encode(value).decode("utf-8")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return None if value is None else base64.b64decode(value)


class UUID(fields.UUID):
    """A UUID, validated on load but kept as a string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return str(super()._deserialize(value, attr, data, **kwargs))


class DateTimeTZ(fields.DateTime):
    """A datetime with its time zone *name*: ``{"dt": naive ISO 8601, "tz": "America/New_York"}``.

    Keeping the zone's name (rather than an offset) keeps its daylight-saving rules: adding
    hours to the loaded value crosses a DST change as the original would. Naive datetimes are
    taken as UTC. Loads to a pendulum ``DateTime``.
    """

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        import pendulum

        dt = pendulum.instance(value)
        return {"dt": dt.naive().to_iso8601_string(), "tz": dt.tzinfo.name}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        import pendulum

        return pendulum.parse(value["dt"], tz=_zone(value["tz"]))


def _zone(name: str) -> Any:
    """A zone name, or a fixed offset (``"+00:00"``, ``"-05:30"``), which is what pendulum 2
    names the zone of a standard-library datetime, and which pendulum 2 cannot look up by name."""
    match = re.fullmatch(r"([+-])(\d{2}):(\d{2})", name or "")
    if match is None:
        return name
    from pendulum.tz import fixed_timezone

    sign = -1 if match[1] == "-" else 1
    return fixed_timezone(sign * (int(match[2]) * 3600 + int(match[3]) * 60))


def _allow_list(valid_functions: list[Callable]) -> dict[str, Callable]:
    return {to_qualified_name(f): f for f in valid_functions}


def _ours(name: Any) -> Any:
    """``prefect.x.y`` (written by Prefect 1) as this package's ``prefect_jupyter.x.y``."""
    if isinstance(name, str) and name.startswith("prefect."):
        return "prefect_jupyter." + name[len("prefect."):]
    return name


class FunctionReference(fields.Field):
    """A function by its qualified name, from an allow-list.

    Args:
        valid_functions: the functions that may be dumped and that names load back to.
        reject_invalid: if ``False``, any function dumps (by name) and an unknown name loads
            as the name itself.
        **kwargs: marshmallow ``Field`` arguments.
    """

    def __init__(self, valid_functions: list, reject_invalid: bool = True, **kwargs: Any) -> None:
        self.valid_functions = _allow_list(valid_functions)
        self.reject_invalid = reject_invalid
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None and self.allow_none:
            return None
        if self.reject_invalid and value not in self.valid_functions.values():
            raise ValidationError(f"Invalid function reference: {value}")
        return to_qualified_name(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value is None and self.allow_none:
            return None
        if value not in self.valid_functions:
            value = _ours(value) if _ours(value) in self.valid_functions else value
        if self.reject_invalid and value not in self.valid_functions:
            raise ValidationError(f"Invalid function reference: {value}")
        return self.valid_functions.get(value, value)


# markers for the closure values JSON can't hold, as Prefect 1 writes them
_TAGS: tuple[tuple[str, type, Callable[[Any], str]], ...] = (
    ("//datetime:", datetime.datetime, lambda v: v.isoformat()),
    ("//time:", datetime.time, lambda v: v.isoformat()),
    ("//timedelta:", datetime.timedelta, lambda v: str(v.total_seconds())),
)


def _encode_closure_value(value: Any) -> Any:
    for tag, cls, encode in _TAGS:
        if isinstance(value, cls):
            return tag + encode(value)
    return value


def _decode_closure_value(value: Any) -> Any:
    if not isinstance(value, str) or not value.startswith("//"):
        return value
    import pendulum

    if value.startswith("//datetime:"):
        return pendulum.parse(value[len("//datetime:"):])
    if value.startswith("//time:"):
        return pendulum.parse(value[len("//time:"):]).time()
    if value.startswith("//timedelta:"):
        return datetime.timedelta(seconds=float(value[len("//timedelta:"):]))
    return value


class StatefulFunctionReference(fields.Field):
    """A function by name, or a factory-made function as its factory plus arguments.

    ``outer(x=1)`` returning ``inner`` dumps as ``{"fn": "mod.outer", "kwargs": {"x": 1}}``
    (the closure's variables, which must be JSON, datetimes, times or timedeltas); loading calls
    ``outer(x=1)`` again. A plain allowed function dumps with empty ``kwargs`` and loads as
    itself; its bare name (``"prefect_jupyter.triggers.all_successful"``) loads too.

    Args:
        valid_functions: the functions (and factories) that may be dumped and loaded.
        reject_invalid: if ``False``, other functions dump by name and load as ``None``.
        **kwargs: marshmallow ``Field`` arguments.
    """

    def __init__(self, valid_functions: list, reject_invalid: bool = True, **kwargs: Any) -> None:
        self.valid_functions = _allow_list(valid_functions)
        self.reject_invalid = reject_invalid
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None and self.allow_none:
            return None
        try:
            name = to_qualified_name(value)
        except AttributeError:
            name, matches = None, []
        else:
            # an inner function's qualname starts with its factory's: the longest match wins
            matches = sorted((f for f in self.valid_functions if name.startswith(f)), key=len)
        if not matches and self.reject_invalid:
            raise ValidationError(
                "When running with Prefect Cloud/Server, custom functions aren't supported "
                f"for `{type(obj).__name__}.{attr}`. Unable to serialize `{value!r}`."
            )
        closure = inspect.getclosurevars(value).nonlocals
        return {
            "fn": matches[-1] if matches else name,
            "kwargs": {k: _encode_closure_value(v) for k, v in closure.items()},
        }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value is None and self.allow_none:
            return None
        if isinstance(value, str):  # a plain name, as flow.serialize() writes triggers
            value = {"fn": value}
        name = value["fn"]
        if name not in self.valid_functions and _ours(name) in self.valid_functions:
            name = _ours(name)
        if self.reject_invalid and name not in self.valid_functions:
            raise ValidationError(f"Invalid function reference: {value}")
        fn = self.valid_functions.get(name)
        if fn is None:
            return None
        arguments = value.get("kwargs") or {}
        if not arguments:
            return fn
        return fn(**{k: _decode_closure_value(v) for k, v in arguments.items()})
