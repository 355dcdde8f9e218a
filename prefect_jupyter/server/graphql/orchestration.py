"""Resolvers of the orchestration API: agents, late runs, restarts. No logic here."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType
from graphql import GraphQLResolveInfo

from prefect_jupyter.server.api import agents, restart
from prefect_jupyter.server.database.models import FlowRun, utcnow

mutation = ObjectType("Mutation")
flow_run = ObjectType("flow_run")

SUCCESS = {"success": True, "error": None}


@mutation.field("register_agent")
def resolve_register_agent(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    agent_id = agents.register_agent(
        info.context.session,
        type=input["type"],
        name=input.get("name"),
        labels=input.get("labels"),
        agent_config_id=input.get("agent_config_id"),
        core_version=input.get("core_version"),
    )
    return {"id": agent_id}


@mutation.field("update_agent_heartbeat")
def resolve_update_agent_heartbeat(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    agents.update_agent_heartbeat(info.context.session, input["agent_id"])
    return SUCCESS


@mutation.field("delete_agent")
def resolve_delete_agent(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    agents.delete_agent(info.context.session, input["agent_id"])
    return SUCCESS


@mutation.field("restart_flow_run")
def resolve_restart_flow_run(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    return restart.restart_flow_run(info.context.session, input["flow_run_id"])


@flow_run.field("late_reason")
def resolve_late_reason(run: FlowRun, info: GraphQLResolveInfo) -> str | None:
    from prefect_jupyter import config

    context = info.context
    if not agents.is_late(run, utcnow()):
        return None
    if not hasattr(context, "agents"):  # once per request, however many runs are listed
        context.agents = agents.load_agents(context.session)
    timeout = config.server.get("services", {}).get("agent_timeout", agents.DEFAULT_AGENT_TIMEOUT)
    return agents.late_reason(run, context.agents, agent_timeout=float(timeout))


#: what ``execute.build_schema`` binds besides the core resolvers
bindables = [mutation, flow_run]
