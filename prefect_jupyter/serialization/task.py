"""Tasks and parameters as JSON: ``TaskSchema``, ``ParameterSchema`` (Prefect 1's ``prefect.serialization.task``).

A task dumps as its metadata only — ``type`` (qualified class name), ``name``, ``slug``,
``tags``, retries, ``timeout``, ``trigger`` and ``cache_validator`` (function references,
see :class:`~prefect_jupyter.utilities.serialization.StatefulFunctionReference`), caching,
``inputs`` and ``outputs`` (their type names) — never its code. It loads as a plain ``Task``
(the class may not be importable where it is read); an unknown trigger or cache validator
loads as the default. Loading puts each task in ``context["task_cache"]`` under its slug, so
edges and reference tasks loaded with the same context point at the same objects.

When a flow is dumped its slugs come from the flow (``context["slugs"]``, set by
:class:`~prefect_jupyter.serialization.flow.FlowSchema`); otherwise from ``task.slug``.

Example:
    >>> TaskSchema().dump(Task("load", tags=["b", "a"]))["tags"]
    ['a', 'b']
"""

from __future__ import annotations

import typing
from typing import Any

from marshmallow import fields, post_load

from prefect_jupyter import triggers
from prefect_jupyter.core.parameter import Parameter
from prefect_jupyter.core.task import Task
from prefect_jupyter.engine import cache_validators
from prefect_jupyter.utilities.serialization import (
    JSONCompatible,
    ObjectSchema,
    SortedList,
    StatefulFunctionReference,
    to_qualified_name,
)

__all__ = ["ParameterSchema", "TaskSchema"]

TRIGGERS = [
    triggers.all_finished,
    triggers.manual_only,
    triggers.always_run,
    triggers.all_successful,
    triggers.all_failed,
    triggers.any_successful,
    triggers.any_failed,
    triggers.some_failed,
    triggers.some_successful,
]
CACHE_VALIDATORS = [
    cache_validators.never_use,
    cache_validators.duration_only,
    cache_validators.all_inputs,
    cache_validators.all_parameters,
    cache_validators.partial_inputs_only,
    cache_validators.partial_parameters_only,
]


def _type_hints(task: Task) -> dict[str, Any]:
    """``run``'s annotations as types, also where they are strings (``from __future__ import
    annotations``), so that ``-> int`` is written ``"<class 'int'>"`` either way."""
    try:
        return typing.get_type_hints(task.run)
    except Exception:  # an annotation naming something not importable here: keep the text
        return {}


class TaskMethodsMixin:
    """Reading a task's fields (attributes, not items: ``task[0]`` would make a new task)."""

    context: dict

    def get_attribute(self, obj: Any, key: str, default: Any) -> Any:
        """``obj.key``; for a task in a flow being dumped, its slug comes from the flow."""
        if not isinstance(obj, Task):
            return super().get_attribute(obj, key, default)  # type: ignore[misc]
        if key == "slug":
            slugs = self.context.get("slugs") or {}
            if obj in slugs:
                return slugs[obj]
        return getattr(obj, key, default)

    def load_inputs(self, task: Any) -> Any:
        """``{name: {"required": bool, "type": "<class 'int'>"}}`` of the task's ``run``."""
        if not isinstance(task, Task):
            return self.get_attribute(task, "inputs", None)
        hints = _type_hints(task)
        return {
            name: {"required": spec["required"], "type": str(hints.get(name, spec["type"]))}
            for name, spec in task.inputs().items()
        }

    def load_outputs(self, task: Any) -> Any:
        """The return annotation of the task's ``run``, as text."""
        if not isinstance(task, Task):
            return self.get_attribute(task, "outputs", None)
        return str(_type_hints(task).get("return", task.outputs()))

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """The task; one object per slug across everything loaded with this context."""
        data = dict(data)
        auto_generated = data.pop("auto_generated", False)
        cache = self.context.setdefault("task_cache", {})
        slug = data.get("slug")
        if slug not in cache:
            task = super().create_object(data)  # type: ignore[misc]
            if isinstance(task, Task):
                task.auto_generated = auto_generated
            cache[slug] = task
        return cache[slug]


class TaskSchema(TaskMethodsMixin, ObjectSchema):
    """A task's metadata; loads as a plain ``Task``."""

    class Meta:
        object_class = Task
        exclude_fields = ["type", "inputs", "outputs"]

    type = fields.Function(lambda task: to_qualified_name(type(task)), lambda x: x)
    name = fields.String(allow_none=True)
    slug = fields.String(allow_none=True)
    tags = SortedList(fields.String())
    max_retries = fields.Integer(allow_none=True)
    retry_delay = fields.TimeDelta(allow_none=True)
    inputs = fields.Method("load_inputs", allow_none=True)
    outputs = fields.Method("load_outputs", allow_none=True)
    timeout = fields.Integer(allow_none=True)
    # a custom trigger or validator is written by name and loads as the default
    trigger = StatefulFunctionReference(TRIGGERS, reject_invalid=False, allow_none=True)
    skip_on_upstream_skip = fields.Boolean(allow_none=True)
    cache_for = fields.TimeDelta(allow_none=True)
    cache_key = fields.String(allow_none=True)
    cache_validator = StatefulFunctionReference(
        CACHE_VALIDATORS, reject_invalid=False, allow_none=True
    )
    auto_generated = fields.Boolean(allow_none=True)


class ParameterSchema(TaskMethodsMixin, ObjectSchema):
    """A parameter: its name, default (JSON), whether it is required, and tags."""

    class Meta:
        object_class = Parameter
        exclude_fields = ["type", "outputs", "slug"]

    type = fields.Function(lambda task: to_qualified_name(type(task)), lambda x: x)
    name = fields.String(required=True)
    slug = fields.String(allow_none=True)
    default = JSONCompatible(allow_none=True)
    required = fields.Boolean(allow_none=True)
    tags = SortedList(fields.String())
    outputs = fields.Method("load_outputs", allow_none=True)
