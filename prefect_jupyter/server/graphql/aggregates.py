"""Hasura's aggregates: ``<table>_aggregate(where, distinct_on) { aggregate { count max min sum
avg } }``, at the top level and on array relationships, as Prefect Server 1 exposed them.

``count(columns, distinct)`` counts rows (or non-null / distinct values of ``columns``);
``max``/``min`` take every column that has an order (numbers, text, times), ``sum``/``avg``
the numeric ones. ``distinct_on`` aggregates over the first row (by id) of each distinct
combination of its columns — Prefect 1's ``prefect get projects`` counts flows with
``flows_aggregate(distinct_on: name)``, one per name whatever its versions.

Only what the selection asks is computed, in one statement per batch of parents. The SDL of
the ``<table>_max_fields``... types is made here from the models (:func:`sdl`), so it can't
drift from the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ariadne import ObjectType
from graphql import FieldNode, GraphQLResolveInfo, SelectionSetNode
from graphql.execution.values import get_argument_values
from sqlalchemy import Float, Integer, Numeric, String, Text, distinct, func, select, tuple_
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from prefect_jupyter.server.database.dialects import UTCDateTime
from prefect_jupyter.server.database.models import MODELS
from prefect_jupyter.server.graphql.selections import collect_fields

_FUNCTIONS = {"max": func.max, "min": func.min, "sum": func.sum, "avg": func.avg}
_NUMERIC = (Integer, Float, Numeric)
_ORDERED = (*_NUMERIC, String, Text, UTCDateTime)


def _columns(model: type, function: str) -> list[Any]:
    kinds = _NUMERIC if function in ("sum", "avg") else _ORDERED
    return [c for c in model.__table__.columns if isinstance(c.type, kinds)]


def _gql_type(column: Any, function: str) -> str:
    if function == "avg" or isinstance(column.type, (Float, Numeric)):
        return "Float"
    if isinstance(column.type, Integer):
        return "Int" if function != "sum" else "Float"
    if isinstance(column.type, UTCDateTime):
        return "timestamptz"
    return "String"


def sdl() -> str:
    """The SDL of the aggregate functions' result types, for every table in ``MODELS``."""
    parts = []
    for name, model in MODELS.items():
        functions = [f for f in _FUNCTIONS if _columns(model, f)]
        for function in functions:
            fields = "\n".join(f"  {c.name}: {_gql_type(c, function)}"
                               for c in _columns(model, function))
            parts.append(f"type {name}_{function}_fields {{\n{fields}\n}}")
        extra = "\n".join(f"  {f}: {name}_{f}_fields" for f in functions)
        if extra:
            parts.append(f"extend type {name}_aggregate_fields {{\n{extra}\n}}")
    return "\n\n".join(parts) + "\n"


class AggregateRequest:
    """What one ``*_aggregate`` field asks: its arguments and the ``aggregate`` selection."""

    def __init__(self, info: GraphQLResolveInfo, table: str, args: dict[str, Any],
                 selection_sets: Sequence[SelectionSetNode]) -> None:
        self.where = args.get("where")
        self.distinct_on = _as_list(args.get("distinct_on"))
        self.counts: dict[str, dict[str, Any]] = {}  # response key -> count's arguments
        self.columns: dict[str, list[str]] = {}
        aggregate = collect_fields(info, selection_sets).get("aggregate")
        if aggregate is None:
            return
        for key, request in collect_fields(info, aggregate.selection_sets).items():
            if request.name == "count":
                self.counts[key] = _count_args(info, request.nodes[0], table)
            elif request.name in _FUNCTIONS:
                wanted = collect_fields(info, request.selection_sets)
                self.columns.setdefault(request.name, []).extend(
                    r.name for r in wanted.values() if r.name != "__typename")

    def expressions(self, model: type) -> list[tuple[str, str, Any]]:
        """(function, column or count's response key, SQL expression) of everything asked."""
        found: list[tuple[str, str, Any]] = [
            ("count", key, _count(model, args)) for key, args in self.counts.items()
        ]
        for function, names in self.columns.items():
            allowed = {c.name for c in _columns(model, function)}
            for name in dict.fromkeys(names):
                if name in allowed:
                    found.append((function, name, _FUNCTIONS[function](getattr(model, name))))
        return found or [("count", "count", func.count())]  # e.g. only __typename asked


def _count(model: type, args: dict[str, Any]) -> Any:
    columns = _as_list(args.get("columns"))
    if not columns:
        return func.count()
    values = [getattr(model, c) for c in columns]
    target = values[0] if len(values) == 1 else tuple_(*values)
    return func.count(distinct(target) if args.get("distinct") else target)


def resolve_count(parent: dict[str, Any], info: GraphQLResolveInfo, **_args: Any) -> int:
    """A ``count`` field, by its response key (so aliased counts with other arguments differ)."""
    return parent["count"][info.path.key]


def bindables() -> list[ObjectType]:
    """The ``count`` resolvers of every ``<table>_aggregate_fields`` type."""
    objects = []
    for name in MODELS:
        obj = ObjectType(f"{name}_aggregate_fields")
        obj.set_field("count", resolve_count)
        objects.append(obj)
    return objects


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _count_args(info: GraphQLResolveInfo, node: FieldNode, table: str) -> dict[str, Any]:
    field = info.schema.get_type(f"{table}_aggregate_fields").fields["count"]  # type: ignore[union-attr]
    return get_argument_values(field, node, info.variable_values)


def aggregate_rows(
    session: Any,
    model: type,
    request: AggregateRequest,
    condition: ColumnElement[bool],
    group_column: Any = None,
    keys: Sequence[Any] = (),
) -> dict[Any, dict[str, Any]]:
    """``{parent key: {"aggregate": {...}}}`` (key ``None`` without ``group_column``)."""
    source: Any = model
    if request.distinct_on:
        partition = [getattr(model, c) for c in request.distinct_on]
        if group_column is not None:
            partition.insert(0, group_column)
        rank = func.row_number().over(partition_by=partition, order_by=model.id)
        inner = select(model, rank.label("_rank")).where(condition)
        if group_column is not None:
            inner = inner.where(group_column.in_(keys))
        subquery = inner.subquery()
        source = aliased(model, subquery)
        condition = subquery.c._rank == 1
        if group_column is not None:
            group_column = getattr(source, group_column.key)
    expressions = request.expressions(source)
    stmt = select(*(e for _f, _c, e in expressions)).select_from(source).where(condition)
    if group_column is not None:
        stmt = stmt.add_columns(group_column).where(group_column.in_(keys)).group_by(group_column)
    results: dict[Any, dict[str, Any]] = {}
    for row in session.execute(stmt).all():
        key = row[-1] if group_column is not None else None
        results[key] = _shape(expressions, row)
    return results


def empty(model: type, request: AggregateRequest) -> dict[str, Any]:
    """The aggregate of no rows: count 0, every other value null."""
    expressions = request.expressions(model)
    return _shape(expressions, [0 if f == "count" else None for f, _c, _e in expressions])


def _shape(expressions: list[tuple[str, str, Any]], row: Sequence[Any]) -> dict[str, Any]:
    aggregate: dict[str, Any] = {}
    for (function, column, _expr), value in zip(expressions, row, strict=False):
        if function in ("sum", "avg") and value is not None:
            value = float(value)  # PostgreSQL answers Decimal
        aggregate.setdefault(function, {})[column] = value
    return {"aggregate": aggregate}
