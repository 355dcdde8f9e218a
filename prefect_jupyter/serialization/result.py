"""Where a state's value lives, as JSON: ``StateResultSchema`` (Prefect 1's ``prefect.serialization.result``).

A result dumps as its ``type`` (the class name), its ``location`` and the fields that say where
its storage is (``dir``, ``bucket``, ``container``); the value itself never travels, except
inside a ``PrefectResult``, whose location *is* the JSON of the value. A result class the
schema doesn't know dumps as ``CustomResult`` with its qualified name, and loads as a plain
``Result`` at its location.

Example:
    >>> StateResultSchema().dump(PrefectResult(location="42"))
    {'location': '42', '__version__': '0.1.0', 'type': 'PrefectResult'}
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load

from prefect_jupyter.engine.result.base import NoResultType, Result
from prefect_jupyter.tasks.secrets import PrefectSecret
from prefect_jupyter.utilities.serialization import ObjectSchema, OneOfSchema, to_qualified_name

__all__ = ["ResultSchema", "StateResultSchema"]


def _results(name: str) -> Any:
    """A class of prefect_jupyter.engine.results, imported when a schema needs it."""
    def get() -> type:
        from prefect_jupyter.engine import results

        return getattr(results, name)

    return get


class ResultSchema(ObjectSchema):
    """The base ``Result``: only a location."""

    class Meta:
        object_class = Result

    location = fields.Str(allow_none=True)


class NoResultSchema(ObjectSchema):
    """``NoResult``: the state carries no result at all."""

    class Meta:
        object_class = NoResultType


class CustomResultSchema(ObjectSchema):
    """A result class of the user's: dumped with its qualified name, loaded as a ``Result``."""

    class Meta:
        object_class = Result
        exclude_fields = ["type"]

    location = fields.Str(allow_none=True)
    type = fields.Function(lambda result: to_qualified_name(type(result)), lambda x: x)

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """A plain ``Result`` at the location: the custom class may not be importable here."""
        if not self.context.get("create_object", True):
            return data
        return Result(location=data.get("location"))


def _storage_schema(name: str, **storage_fields: fields.Field) -> type[ObjectSchema]:
    meta = type("Meta", (), {"object_class": _results(name)})
    attrs = {"Meta": meta, "location": fields.Str(allow_none=True), **storage_fields}
    return type(f"{name}Schema", (ObjectSchema,), attrs)


ConstantResultSchema = _storage_schema("ConstantResult")
PrefectResultSchema = _storage_schema("PrefectResult")
S3ResultSchema = _storage_schema("S3Result", bucket=fields.Str(allow_none=False))
GCSResultSchema = _storage_schema("GCSResult", bucket=fields.Str(allow_none=False))
AzureResultSchema = _storage_schema("AzureResult", container=fields.Str(allow_none=False))


class LocalResultSchema(ObjectSchema):
    """``LocalResult``: its directory is *not* created when loaded (it may be another host's)."""

    class Meta:
        object_class = _results("LocalResult")

    dir = fields.Str(allow_none=False)
    location = fields.Str(allow_none=True)

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """The ``LocalResult``, built without checking its directory."""
        return super().create_object({**data, "validate_dir": False})


class SecretResultSchema(ObjectSchema):
    """``SecretResult``: the secret's name and the secret task's class name, never its value."""

    class Meta:
        object_class = _results("SecretResult")
        exclude_fields = ["secret_type"]

    location = fields.Str(allow_none=True)
    secret_type = fields.Function(lambda res: type(res.secret_task).__name__, lambda x: x)

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """A ``SecretResult`` whose task is a ``PrefectSecret`` reading the named secret."""
        if not self.context.get("create_object", True):
            return data
        name = data.get("location")
        return super().create_object({**data, "secret_task": PrefectSecret(name)})


class StateResultSchema(OneOfSchema):
    """A state's result: ``type`` names the result class (``CustomResult`` for unknown ones)."""

    type_schemas = {
        "Result": ResultSchema,
        "CustomResult": CustomResultSchema,
        "AzureResult": AzureResultSchema,
        "ConstantResult": ConstantResultSchema,
        "GCSResult": GCSResultSchema,
        "LocalResult": LocalResultSchema,
        "PrefectResult": PrefectResultSchema,
        "S3Result": S3ResultSchema,
        "SecretResult": SecretResultSchema,
        "NoResultType": NoResultSchema,
    }

    def _load(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and data.get("type") not in self.type_schemas:
            data = {**data, "type": "CustomResult"}
        return super()._load(data, *args, **kwargs)

    def get_obj_type(self, obj: Any) -> str:
        """The ``type`` written for ``obj``: its class name, or ``CustomResult``."""
        name = type(obj).__name__
        return name if name in self.type_schemas else "CustomResult"
