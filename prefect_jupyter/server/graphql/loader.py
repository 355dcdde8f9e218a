"""Loading the related rows a query asks for, one SQL query per relationship field.

A GraphQL query such as ``flow_run { name flow { name } task_runs(where: ...) { state } }``
would, resolved naively, run one query per flow run for ``flow`` and another for
``task_runs`` (N+1). Instead, after a table query has loaded its rows, :func:`prefetch` looks
ahead at the selection set, and for each relationship field loads the related rows of *all*
parents at once (``WHERE fk IN (...)``, with the field's own ``where``/``order_by``; a
per-parent ``limit``/``offset`` uses ``row_number() OVER (PARTITION BY fk ...)``), then
recurses into the children's own selection. Results are kept in the request context keyed by
(field node, parent id); the relationship resolvers only look them up. A resolver that finds
nothing prefetched (a shape the look-ahead did not foresee) loads for its one parent instead:
slower, never wrong.

Every statement here counts against the request's :class:`~.limits.RequestBudget`: the time is
checked before each batch, each statement reads at most one row more than the rows the request
has left (so a list without ``limit`` never reads a whole table), and no parent's list may
exceed ``max_list_rows``; :meth:`Loader.resolve` counts the rows it returns, once per parent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from graphql import GraphQLObjectType, GraphQLResolveInfo, SelectionSetNode, get_named_type
from graphql.execution.values import get_argument_values
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import RelationshipDirection, aliased

from prefect_jupyter.server.graphql.aggregates import AggregateRequest, aggregate_rows, empty
from prefect_jupyter.server.graphql.hasura import check_paging, order_clauses, where_clause
from prefect_jupyter.server.graphql.limits import RequestBudget
from prefect_jupyter.server.graphql.selections import collect_fields

_CHUNK = 500  # parent keys per IN (...) list


def _relationship(model: type, field_name: str) -> tuple[Any, bool] | None:
    """(relationship property, is_aggregate) for a relationship field of ``model``."""
    relationships = {rel.key: rel for rel in inspect(model).relationships}
    if field_name in relationships:
        return relationships[field_name], False
    base = field_name.removesuffix("_aggregate")
    if base != field_name and base in relationships:
        return relationships[base], True
    return None


def _keys(rel: Any) -> tuple[str, Any]:
    """(attribute name of the parent's key, the child's key column) of a relationship."""
    (local, remote), = rel.local_remote_pairs
    parent_attr = rel.parent.get_property_by_column(local).key
    return parent_attr, remote


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


class Loader:
    """Per-request store of prefetched relationship rows (see the module docstring)."""

    def __init__(self, session: Any, dialect: str, budget: RequestBudget) -> None:
        self.session = session
        self.dialect = dialect
        self.budget = budget
        self._results: dict[tuple[int, str], Any] = {}

    def prefetch(
        self,
        info: GraphQLResolveInfo,
        model: type,
        rows: Sequence[Any],
        selection_sets: Iterable[SelectionSetNode],
        type_name: str,
        weights: dict[Any, int] | None = None,
    ) -> None:
        """Load every relationship field ``selection_sets`` asks of ``rows``, recursively.

        ``weights`` says how many times each row (by id) appears in the answer (default: once
        each). The children of a row appear as often as it does, so the rows of the whole answer
        are known here, before the answer is built: the request is refused at once when they go
        over ``max_rows`` (:meth:`RequestBudget.count_forecast`).
        """
        if not rows:
            return
        gql_type = info.schema.get_type(type_name)
        assert isinstance(gql_type, GraphQLObjectType)
        for request in collect_fields(info, selection_sets).values():
            found = _relationship(model, request.name)
            if found is None:
                continue
            rel, is_aggregate = found
            field_def = gql_type.fields[request.name]
            args = get_argument_values(field_def, request.nodes[0], info.variable_values)
            if is_aggregate:
                args["_request"] = AggregateRequest(
                    info, rel.mapper.class_.__tablename__, args, request.selection_sets
                )
            child_weights: dict[Any, int] = {}
            children = self.load(rows, rel, is_aggregate, args, id(request.nodes[0]),
                                 weights, child_weights)
            if children:
                target_type = get_named_type(field_def.type).name
                self.prefetch(info, rel.mapper.class_, children, request.selection_sets,
                              target_type, child_weights)

    def load(
        self, parents: Sequence[Any], rel: Any, is_aggregate: bool, args: dict, node_key: int,
        weights: dict[Any, int] | None = None, child_weights: dict[Any, int] | None = None,
    ) -> list[Any]:
        """Load one relationship for ``parents``; store and return the children.

        With ``child_weights``, also count how often each child appears in the answer (from
        the parents' ``weights``, see :meth:`prefetch`) into it, and forecast those rows.
        """
        parent_attr, remote = _keys(rel)
        by_key: dict[Any, list[Any]] = defaultdict(list)
        for parent in parents:
            by_key[getattr(parent, parent_attr)].append(parent)
        keys = [k for k in by_key if k is not None]
        if is_aggregate:
            request: AggregateRequest = args["_request"]
            found = self._aggregate(rel, remote, keys, request)
            for key, group in by_key.items():
                for parent in group:
                    self._results[(node_key, parent.id)] = (
                        found.get(key) or empty(rel.mapper.class_, request)
                    )
            return []
        if rel.direction is RelationshipDirection.MANYTOONE:
            children = self._load_many_to_one(rel, remote, keys)
            grouped = {key: [child] for key, child in children.items()}
            for key, group in by_key.items():
                for parent in group:
                    self._results[(node_key, parent.id)] = children.get(key)
        else:
            grouped = self._load_one_to_many(rel, remote, keys, args)
            for key, group in by_key.items():
                for parent in group:
                    self._results[(node_key, parent.id)] = grouped.get(key, [])
        if child_weights is not None:
            self._weigh(by_key, grouped, weights, child_weights)
        return [child for children in grouped.values() for child in children]

    def _weigh(self, by_key: dict[Any, list[Any]], grouped: dict[Any, list[Any]],
               weights: dict[Any, int] | None, child_weights: dict[Any, int]) -> None:
        """Add each child's appearances in the answer to ``child_weights``; forecast them."""
        rows = 0
        for key, group in by_key.items():
            appearances = sum(weights.get(p.id, 1) if weights else 1 for p in group)
            for child in grouped.get(key, ()):
                child_weights[child.id] = child_weights.get(child.id, 0) + appearances
                rows += appearances
        self.budget.count_forecast(rows)

    def _aggregate(
        self, rel: Any, remote: Any, keys: list[Any], request: AggregateRequest
    ) -> dict[Any, dict[str, Any]]:
        target = rel.mapper.class_
        condition = where_clause(target, request.where, self.dialect)
        found: dict[Any, dict[str, Any]] = {}
        for chunk in _chunks(keys):
            self.budget.check_time()
            found.update(aggregate_rows(self.session, target, request, condition, remote, chunk))
        return found

    def _load_many_to_one(self, rel: Any, remote: Any, keys: list[Any]) -> dict[Any, Any]:
        target = rel.mapper.class_
        found: dict[Any, Any] = {}
        for chunk in _chunks(keys):
            self.budget.check_time()
            rows = self.session.execute(select(target).where(remote.in_(chunk))).scalars().all()
            self.budget.count_fetched(len(rows))
            for row in rows:
                found[row.id] = row
        return found

    def _load_one_to_many(
        self, rel: Any, remote: Any, keys: list[Any], args: dict
    ) -> dict[Any, list[Any]]:
        target = rel.mapper.class_
        limit, offset = args.get("limit"), args.get("offset")
        check_paging(limit, offset)
        condition = where_clause(target, args.get("where"), self.dialect)
        orders = order_clauses(target, args.get("order_by"))
        fk_attr = rel.mapper.get_property_by_column(remote).key
        grouped: dict[Any, list[Any]] = defaultdict(list)
        for chunk in _chunks(keys):
            self.budget.check_time()
            if limit is None and not offset:
                stmt = select(target).where(remote.in_(chunk), condition).order_by(*orders)
            else:
                number = func.row_number().over(partition_by=remote, order_by=orders)
                inner = (
                    select(target, number.label("_row_number"))
                    .where(remote.in_(chunk), condition)
                    .subquery()
                )
                row_number = inner.c._row_number
                alias = aliased(target, inner)
                stmt = select(alias).where(row_number > (offset or 0))
                if limit is not None:
                    stmt = stmt.where(row_number <= (offset or 0) + limit)
                stmt = stmt.order_by(row_number)
            stmt = stmt.limit(self.budget.statement_limit(per_list=False))
            children = self.session.execute(stmt).scalars().all()
            self.budget.count_fetched(len(children))
            for child in children:
                grouped[getattr(child, fk_attr)].append(child)
        name = f"{rel.parent.class_.__tablename__}.{rel.key}"
        for group in grouped.values():
            self.budget.count_list(name, len(group))
        return grouped

    def resolve(self, info: GraphQLResolveInfo, parent: Any, model: type, **args: Any) -> Any:
        """The value of a relationship field of ``parent`` (prefetched, else loaded now)."""
        key = (id(info.field_nodes[0]), parent.id)
        if key not in self._results:
            found = _relationship(model, info.field_name)
            assert found is not None
            rel, is_aggregate = found
            if is_aggregate:
                sets = [n.selection_set for n in info.field_nodes if n.selection_set]
                args["_request"] = AggregateRequest(
                    info, rel.mapper.class_.__tablename__, args, sets
                )
            children = self.load([parent], rel, is_aggregate, args, id(info.field_nodes[0]))
            if children:
                target_type = get_named_type(info.return_type).name
                sets = [n.selection_set for n in info.field_nodes if n.selection_set]
                self.prefetch(info, rel.mapper.class_, children, sets, target_type)
        value = self._results[key]
        if isinstance(value, list):
            self.budget.count_returned(len(value))
        elif value is not None and not isinstance(value, dict):  # a dict is an aggregate
            self.budget.count_returned(1)
        return value
