"""Resolvers for the Hasura-shaped table queries and the tables' relationship fields.

For every table ``t`` in ``models.MODELS``: ``t(where, order_by, limit, offset)``,
``t_by_pk(id)`` and ``t_aggregate(where)`` on ``Query``, and on type ``t`` one resolver per
relationship field (and ``<relationship>_aggregate``), answered by the request's
:class:`~.loader.Loader`. Rows read and returned count against the request's budget
(``limits.py``): a table query reads at most ``max_list_rows`` + 1 rows, whatever its ``limit``.
"""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, QueryType
from graphql import GraphQLResolveInfo
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import aliased

from prefect_jupyter.server.database.models import MODELS
from prefect_jupyter.server.graphql.aggregates import AggregateRequest, aggregate_rows, empty
from prefect_jupyter.server.graphql.context import RequestContext
from prefect_jupyter.server.graphql.hasura import check_paging, order_clauses, where_clause
from prefect_jupyter.server.graphql.limits import within_budget


def _prefetch(info: GraphQLResolveInfo, model: type, rows: list[Any]) -> None:
    context: RequestContext = info.context
    sets = [n.selection_set for n in info.field_nodes if n.selection_set is not None]
    context.loader.prefetch(info, model, rows, sets, model.__tablename__)


def _list_resolver(model: type) -> Any:
    def resolve(
        _obj: Any,
        info: GraphQLResolveInfo,
        where: dict | None = None,
        order_by: list | dict | None = None,
        limit: int | None = None,
        offset: int | None = None,
        distinct_on: list[str] | None = None,
    ) -> list[Any]:
        context: RequestContext = info.context
        check_paging(limit, offset)
        condition = where_clause(model, where, context.dialect)
        orders = order_clauses(model, order_by)
        budget = context.budget
        if distinct_on:
            stmt = _first_of_each(model, distinct_on, condition, orders)
            stmt = stmt.limit(budget.statement_limit(limit)).offset(offset)
        elif order_by:
            stmt = _sorted_page(model, condition, order_by, budget.statement_limit(limit),
                                offset, orders)
        else:
            stmt = select(model).where(condition).order_by(*orders)
            stmt = stmt.limit(budget.statement_limit(limit)).offset(offset)
        rows = list(context.session.execute(stmt).scalars())
        budget.count_fetched(len(rows))
        budget.count_list(info.field_name, len(rows))
        budget.count_forecast(len(rows))
        budget.count_returned(len(rows))
        _prefetch(info, model, rows)
        return rows

    return resolve


def _sorted_page(model: type, condition: Any, order_by: list | dict, limit: int,
                 offset: int | None, orders: list[Any]) -> Any:
    """The rows of one page in ``orders`` order (``order_by``'s clauses), sorted by their ids
    and sort keys only.

    A database sorts whatever a statement selects: sorting whole rows (JSON states and all) to
    keep 25 of 100,000 task runs made a far page of a big map run take twice as long on SQLite.
    So the page's ids are found first, related rows' sort keys read through joins, then only
    those rows are read whole.
    """
    joins: list[Any] = []
    clauses = order_clauses(model, order_by, joins)
    ids = select(model.id)
    for join in joins:
        ids = ids.outerjoin(join)
    ids = ids.where(condition).order_by(*clauses).limit(limit).offset(offset)
    return select(model).where(model.id.in_(ids)).order_by(*orders)


def _first_of_each(model: type, columns: list[str], condition: Any, orders: list[Any]) -> Any:
    """Rows of ``model`` matching ``condition``: of each distinct combination of ``columns``,
    the first by ``orders``; in ``orders`` order (Hasura's ``distinct_on``, portable).
    """
    group_rank = func.row_number().over(
        partition_by=[getattr(model, c) for c in columns], order_by=orders
    )
    position = func.row_number().over(order_by=orders)
    inner = (
        select(model, group_rank.label("_group_rank"), position.label("_position"))
        .where(condition)
        .subquery()
    )
    return (
        select(aliased(model, inner))
        .where(inner.c._group_rank == 1)
        .order_by(inner.c._position)
    )


def _by_pk_resolver(model: type) -> Any:
    def resolve(_obj: Any, info: GraphQLResolveInfo, id: str) -> Any:  # noqa: A002
        context: RequestContext = info.context
        row = context.session.get(model, id)
        if row is not None:
            context.budget.count_fetched(1)
            context.budget.count_forecast(1)
            context.budget.count_returned(1)
            _prefetch(info, model, [row])
        return row

    return resolve


def _aggregate_resolver(model: type) -> Any:
    def resolve(_obj: Any, info: GraphQLResolveInfo, **args: Any) -> dict:
        context: RequestContext = info.context
        sets = [n.selection_set for n in info.field_nodes if n.selection_set is not None]
        request = AggregateRequest(info, model.__tablename__, args, sets)
        condition = where_clause(model, args.get("where"), context.dialect)
        found = aggregate_rows(context.session, model, request, condition)
        return found.get(None) or empty(model, request)

    return resolve


def _relationship_resolver(model: type) -> Any:
    def resolve(parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        context: RequestContext = info.context
        return context.loader.resolve(info, parent, model, **args)

    return within_budget(resolve)


def table_bindables(query: QueryType) -> list[ObjectType]:
    """Bind the table queries on ``query``; return one ``ObjectType`` per table."""
    objects = []
    for name, model in MODELS.items():
        query.set_field(name, _list_resolver(model))
        query.set_field(f"{name}_by_pk", _by_pk_resolver(model))
        query.set_field(f"{name}_aggregate", _aggregate_resolver(model))
        obj = ObjectType(name)
        resolver = _relationship_resolver(model)
        for rel in inspect(model).relationships:
            obj.set_field(rel.key, resolver)
            if rel.uselist:
                obj.set_field(f"{rel.key}_aggregate", resolver)
        objects.append(obj)
    return objects
