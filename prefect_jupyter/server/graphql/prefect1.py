"""Resolvers of what Prefect 1's own client asks beyond the tables (``schema/prefect1.graphql``):
the tenant, batched registration, a flow's deployment fields, the flow group's settings. No
logic here.
"""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType
from graphql import GraphQLResolveInfo

from prefect_jupyter.server.api import flow_groups, flows, scheduling, tenants
from prefect_jupyter.server.database.models import Flow

mutation = ObjectType("Mutation")
flow = ObjectType("flow")

SUCCESS = {"success": True, "error": None}


@mutation.field("create_tenant")
def resolve_create_tenant(_obj: Any, _info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    return {"id": tenants.create_tenant(input["name"], input.get("slug"))}


@mutation.field("register_tasks")
def resolve_register_tasks(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flows.register_tasks(info.context.session, input["flow_id"], input["serialized_tasks"])
    return SUCCESS


@mutation.field("register_edges")
def resolve_register_edges(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flows.register_edges(info.context.session, input["flow_id"], input["serialized_edges"])
    return SUCCESS


@mutation.field("disable_flow_heartbeat")
def resolve_disable_flow_heartbeat(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flow_groups.update_settings(info.context.session, input["flow_id"], heartbeat_enabled=False)
    return SUCCESS


@mutation.field("enable_flow_heartbeat")
def resolve_enable_flow_heartbeat(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flow_groups.update_settings(info.context.session, input["flow_id"], heartbeat_enabled=True)
    return SUCCESS


def _serialized(key: str) -> Any:
    def resolve(row: Flow, _info: GraphQLResolveInfo) -> Any:
        return (row.serialized_flow or {}).get(key)

    return resolve


for _key in ("storage", "run_config", "environment"):
    flow.set_field(_key, _serialized(_key))


@flow.field("library")
def resolve_library(row: Flow, _info: GraphQLResolveInfo) -> str | None:
    return flows.library(row.serialized_flow)


@flow.field("settings")
def resolve_settings(row: Flow, info: GraphQLResolveInfo) -> dict:
    return flow_groups.flow_settings(info.context.session, row)


#: what ``execute.build_schema`` binds besides the core resolvers
bindables = [mutation, flow]


@mutation.field("disable_flow_lazarus_process")
def resolve_disable_flow_lazarus_process(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flow_groups.update_settings(info.context.session, input["flow_id"], lazarus_enabled=False)
    return SUCCESS


@mutation.field("enable_flow_lazarus_process")
def resolve_enable_flow_lazarus_process(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flow_groups.update_settings(info.context.session, input["flow_id"], lazarus_enabled=True)
    return SUCCESS


@mutation.field("update_flow_project")
def resolve_update_flow_project(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flows.update_flow_project(info.context.session, input["flow_id"], input["project_id"])
    return {"id": input["flow_id"]}


@mutation.field("delete_flow_group")
def resolve_delete_flow_group(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flows.delete_flow_group(info.context.session, input["flow_group_id"])
    return SUCCESS


@mutation.field("set_flow_group_labels")
def resolve_set_flow_group_labels(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flow_groups.set_labels(info.context.session, input["flow_group_id"], input.get("labels"))
    return SUCCESS


@mutation.field("set_flow_group_description")
def resolve_set_flow_group_description(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flow_groups.set_description(info.context.session, input["flow_group_id"],
                                input.get("description"))
    return SUCCESS


@mutation.field("set_flow_group_default_parameters")
def resolve_set_flow_group_default_parameters(_obj: Any, info: GraphQLResolveInfo,
                                              input: dict) -> dict:  # noqa: A002
    flow_groups.set_default_parameters(info.context.session, input["flow_group_id"],
                                       input["parameters"])
    return SUCCESS


@mutation.field("set_flow_group_run_config")
def resolve_set_flow_group_run_config(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flow_groups.set_run_config(info.context.session, input["flow_group_id"],
                               input.get("run_config"))
    return SUCCESS


@mutation.field("set_flow_group_schedule")
def resolve_set_flow_group_schedule(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    scheduling.set_group_schedule(info.context.session, input["flow_group_id"],
                                  input.get("cron_clocks"), input.get("interval_clocks"),
                                  input.get("timezone"))
    return SUCCESS


@mutation.field("delete_flow_group_schedule")
def resolve_delete_flow_group_schedule(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    scheduling.delete_group_schedule(info.context.session, input["flow_group_id"])
    return SUCCESS
