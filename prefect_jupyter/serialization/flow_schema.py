"""Flows as Prefect 1's JSON: ``FlowSchema`` (Prefect 1's ``prefect.serialization.flow``).

Importable as ``prefect_jupyter.serialization.flow.FlowSchema`` (Prefect 1's path). A flow
dumps its metadata — ``name``, ``type``, ``schedule``, ``parameters``, ``tasks``, ``edges``,
``reference_tasks`` (by slug), ``run_config``, ``storage`` — sorted by slug so the same flow
always dumps the same way; never its code. Loading rebuilds the graph with plain ``Task``
objects (the classes may not be importable here), one per slug, so it can be inspected,
compared and drawn but not run: the code comes from the flow's storage.

:func:`prefect_jupyter.serialization.flow.serialize_flow` is what registration sends to this
project's server; this schema reads and writes what Prefect 1.4.1 sends to Prefect Server.

Example:
    >>> data = FlowSchema().dump(flow)
    >>> FlowSchema().load(data).name == flow.name
    True
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, missing, post_load, pre_dump, utils

from prefect_jupyter.core.flow import Flow
from prefect_jupyter.run_configs.schema import RunConfigSchema
from prefect_jupyter.serialization.edge import EdgeSchema
from prefect_jupyter.serialization.schedule_schema import ScheduleSchema
from prefect_jupyter.serialization.task import ParameterSchema, TaskSchema
from prefect_jupyter.storage.schema import StorageSchema
from prefect_jupyter.utilities.serialization import Nested, ObjectSchema, to_qualified_name

__all__ = ["FlowSchema"]


class _Storage(fields.Nested):
    """A storage as :class:`StorageSchema`; loading also reads the ``storage`` entry that
    :func:`~prefect_jupyter.serialization.flow.serialize_flow` writes (what ``flow.serialize()``
    returns): ``Module`` as that storage, ``Pickle`` (the flow's code inline, not a storage
    class) as none."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, dict) and value.get("type") == "Pickle":
            return None
        if isinstance(value, dict) and value.get("type") == "Module" and isinstance(value.get("flow"), dict):
            from prefect_jupyter.storage.module import Module

            return Module(value["flow"]["module"], attribute=value["flow"].get("attribute"))
        return super()._deserialize(value, attr, data, **kwargs)


def _slug_of(task: Any, context: dict) -> str:
    slugs = context.get("slugs") or {}
    return slugs.get(task) or getattr(task, "slug", None) or ""


def _items(name: str, from_flow: Any) -> Any:
    """A value-selection function: ``from_flow(flow)`` for a flow, else ``obj[name]``, by slug."""

    def select(obj: Any, context: dict) -> Any:
        if isinstance(obj, Flow):
            items = from_flow(obj)
        else:
            items = utils.get_value(obj, name)
        if items is missing:
            return items
        return sorted(items, key=lambda t: _slug_of(t, context))

    return select


def _edges(obj: Any, context: dict) -> Any:
    edges = obj.edges if isinstance(obj, Flow) else utils.get_value(obj, "edges")
    if edges is missing:
        return edges
    return sorted(
        edges,
        key=lambda e: (
            _slug_of(e.upstream_task, context), _slug_of(e.downstream_task, context), e.key or ""
        ),
    )


class FlowSchema(ObjectSchema):
    """A flow's metadata and graph (tasks load as plain ``Task`` objects)."""

    class Meta:
        object_class = Flow
        exclude_fields = ["type", "parameters", "project", "version", "description"]

    # Fields load in the order declared (marshmallow >= 3.20 keeps it): parameters and tasks
    # before edges and reference tasks, which find them in the task cache.
    project = fields.String(allow_none=True)
    name = fields.String(required=True, allow_none=True)
    version = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    type = fields.Function(lambda flow: to_qualified_name(type(flow)), lambda x: x)
    schedule = fields.Nested(ScheduleSchema, allow_none=True)
    parameters = Nested(
        ParameterSchema, value_selection_fn=_items("parameters", lambda f: f.parameters()), many=True
    )
    tasks = Nested(TaskSchema, value_selection_fn=_items("tasks", lambda f: f.tasks), many=True)
    edges = Nested(EdgeSchema, value_selection_fn=_edges, many=True)
    reference_tasks = Nested(
        TaskSchema,
        value_selection_fn=_items("reference_tasks", lambda f: f._reference_tasks),
        many=True,
        only=["slug"],
    )
    run_config = fields.Nested(RunConfigSchema, allow_none=True)
    storage = _Storage(StorageSchema, allow_none=True)

    @pre_dump
    def _flow_slugs(self, obj: Any, **kwargs: Any) -> Any:
        # a task's slug belongs to its flow: nested task and edge schemas read them here
        if isinstance(obj, Flow):
            self.context["slugs"] = dict(obj.slugs)
        return obj

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """The flow, its edges taken as they are (plain tasks have no inputs to check)."""
        if not self.context.get("create_object", True):
            return data
        flow = super().create_object({**data, "validate": False})
        if data.get("description") is not None:
            flow.description = data["description"]
        return flow
