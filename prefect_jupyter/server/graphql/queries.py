"""Resolvers of the custom (non-table) queries."""

from __future__ import annotations

from typing import Any

from ariadne import QueryType
from graphql import GraphQLResolveInfo

from prefect_jupyter import __version__
from prefect_jupyter.server.api import task_runs
from prefect_jupyter.server.api.tenants import DEFAULT_TENANT

query = QueryType()



@query.field("hello")
def resolve_hello(_obj: Any, _info: GraphQLResolveInfo) -> str:
    return "hello"


@query.field("api")
def resolve_api(_obj: Any, info: GraphQLResolveInfo) -> dict:
    return {
        "backend": "SERVER",
        "mode": "normal",
        "version": __version__,
        "database": info.context.dialect,
    }


@query.field("tenant")
def resolve_tenant(
    _obj: Any, _info: GraphQLResolveInfo, limit: int | None = None, offset: int | None = None
) -> list[dict]:
    return [DEFAULT_TENANT][offset or 0 :][: limit if limit is not None else None]


@query.field("mapped_children")
def resolve_mapped_children(_obj: Any, info: GraphQLResolveInfo, task_run_id: str) -> dict:
    return task_runs.mapped_children(info.context.session, task_run_id)


@query.field("get_task_run_info")
def resolve_get_task_run_info(_obj: Any, info: GraphQLResolveInfo, task_run_id: str) -> dict:
    return task_runs.get_task_run_info(info.context.session, task_run_id)
