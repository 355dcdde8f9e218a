"""Edges as JSON: ``EdgeSchema`` (Prefect 1's ``prefect.serialization.edge``).

An edge dumps its two tasks by slug only, plus ``key``, ``mapped`` and ``flattened``. Loaded
with the context a flow's tasks were loaded with, its tasks are those very task objects.
"""

from __future__ import annotations

from marshmallow import fields

from prefect_jupyter.core.edge import Edge
from prefect_jupyter.serialization.task import TaskSchema
from prefect_jupyter.utilities.serialization import ObjectSchema

__all__ = ["EdgeSchema"]


class EdgeSchema(ObjectSchema):
    """An edge: upstream and downstream task slugs, key, mapped, flattened."""

    class Meta:
        object_class = Edge

    upstream_task = fields.Nested(TaskSchema, only=["slug"])
    downstream_task = fields.Nested(TaskSchema, only=["slug"])
    key = fields.String(allow_none=True)
    mapped = fields.Boolean(allow_none=True)
    flattened = fields.Boolean(allow_none=True)
