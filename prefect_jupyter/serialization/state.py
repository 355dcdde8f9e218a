"""States as JSON, and back: ``StateSchema`` (Prefect 1's ``prefect.serialization.state``).

A state dumps as ``type`` (its class name), ``message``, ``context``, ``_result`` (where its
value lives, see :mod:`prefect_jupyter.serialization.result`), ``cached_inputs`` (the same, per
input) and its class's own fields: ``start_time`` (Scheduled and its subclasses, Queued),
``run_count`` (Retrying), ``loop_count`` (Looped), ``n_map_states`` (Mapped, which dumps
neither its children nor a result), ``cached_parameters``, ``cached_result_expiration`` and
``hashed_inputs`` (Cached), ``state`` (the wrapped state of Submitted, Queued, ClientFailed).
The JSON is the one Prefect Server 1 stores; a state dumped by Prefect 1.4.1 loads here.

Example:
    >>> data = StateSchema().dump(Retrying("again", run_count=2))
    >>> StateSchema().load(data).run_count
    2
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load

from prefect_jupyter.engine import state
from prefect_jupyter.serialization.result import StateResultSchema
from prefect_jupyter.utilities.serialization import (
    JSONCompatible,
    Nested,
    ObjectSchema,
    OneOfSchema,
)

__all__ = ["StateSchema"]


def get_safe(obj: state.State, context: dict) -> Any:
    """The ``Result`` object to dump: a state's ``_result``, or an input's ``Result``.

    Only where a value lives is dumped; a value travels only if its ``Result`` puts it in the
    location (``PrefectResult``).
    """
    if context.get("attr") == "_result":
        return obj._result
    return context.get("value")


class BaseStateSchema(ObjectSchema):
    """The fields every state has."""

    class Meta:
        object_class = state.State

    context = fields.Dict(keys=fields.Str(), values=JSONCompatible(), allow_none=True)
    message = fields.String(allow_none=True)
    _result = Nested(StateResultSchema, allow_none=False, value_selection_fn=get_safe)
    cached_inputs = fields.Dict(
        keys=fields.Str(),
        values=Nested(StateResultSchema, value_selection_fn=get_safe),
        allow_none=True,
    )

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """The state, with its ``Result`` object (a location, no value) as ``result``."""
        data = dict(data)
        data["result"] = data.pop("_result", None)
        return super().create_object(data)


_WRAPPED = "prefect_jupyter.serialization.state.StateSchema"


def _schema(
    cls: type[state.State], base: type[ObjectSchema], **own: Any
) -> type[ObjectSchema]:
    """A schema for ``cls``: ``base``'s fields, ``own`` fields, and ``cls`` as the object class."""
    meta = type("Meta", (), {"object_class": cls})
    return type(f"{cls.__name__}Schema", (base,), {"Meta": meta, **own})


def _start_time() -> fields.Field:
    return fields.DateTime(allow_none=True)


PendingSchema = _schema(state.Pending, BaseStateSchema)
ScheduledSchema = _schema(state.Scheduled, PendingSchema, start_time=_start_time())
PausedSchema = _schema(state.Paused, ScheduledSchema)
ResumeSchema = _schema(state.Resume, ScheduledSchema)
RetryingSchema = _schema(state.Retrying, ScheduledSchema, run_count=fields.Int(allow_none=True))

MetaStateSchema = _schema(
    state.State, BaseStateSchema, state=fields.Nested(_WRAPPED, allow_none=True)
)
SubmittedSchema = _schema(state.Submitted, MetaStateSchema)
QueuedSchema = _schema(state.Queued, MetaStateSchema, start_time=_start_time())
ClientFailedSchema = _schema(state.ClientFailed, MetaStateSchema)

RunningSchema = _schema(state.Running, BaseStateSchema)
CancellingSchema = _schema(state.Cancelling, RunningSchema)

FinishedSchema = _schema(state.Finished, BaseStateSchema)
LoopedSchema = _schema(state.Looped, BaseStateSchema, loop_count=fields.Int(allow_none=False))
SuccessSchema = _schema(state.Success, FinishedSchema)
SkippedSchema = _schema(state.Skipped, SuccessSchema)
CachedSchema = _schema(
    state.Cached,
    SuccessSchema,
    cached_parameters=JSONCompatible(allow_none=True),
    cached_result_expiration=fields.DateTime(allow_none=True),
    hashed_inputs=fields.Dict(keys=fields.Str(), values=fields.Str(), allow_none=True),
)
FailedSchema = _schema(state.Failed, FinishedSchema)
TriggerFailedSchema = _schema(state.TriggerFailed, FailedSchema)
ValidationFailedSchema = _schema(state.ValidationFailed, FailedSchema)
TimedOutSchema = _schema(state.TimedOut, FinishedSchema)
CancelledSchema = _schema(state.Cancelled, FinishedSchema)


class MappedSchema(SuccessSchema):  # type: ignore[misc,valid-type]
    """``Mapped``: how many children it has; neither their states nor a result."""

    class Meta:
        object_class = state.Mapped
        exclude = ["_result", "map_states"]

    # never dumped (excluded), but a schema can only exclude fields it has
    map_states = fields.Nested(_WRAPPED, many=True)
    n_map_states = fields.Integer()

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """A ``Mapped`` state with ``n_map_states`` unknown (``None``) children."""
        data = dict(data)
        data["map_states"] = [None] * (data.pop("n_map_states", 0) or 0)
        return super().create_object(data)


class StateSchema(OneOfSchema):
    """Any state: ``type`` (the class name) picks the schema."""

    type_schemas = {
        schema.Meta.object_class.__name__: schema
        for schema in (
            PendingSchema, ScheduledSchema, PausedSchema, ResumeSchema, RetryingSchema,
            SubmittedSchema, QueuedSchema, ClientFailedSchema, RunningSchema, CancellingSchema,
            FinishedSchema, LoopedSchema, SuccessSchema, SkippedSchema, CachedSchema,
            MappedSchema, FailedSchema, TriggerFailedSchema, ValidationFailedSchema,
            TimedOutSchema, CancelledSchema,
        )
    }
