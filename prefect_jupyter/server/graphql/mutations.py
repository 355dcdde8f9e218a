"""Mutation resolvers: unpack ``input``, call ``server/api``, shape the payload. No logic here."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from prefect_jupyter.server.api import (
    artifacts,
    flow_runs,
    flows,
    heartbeats,
    logs,
    projects,
    reports,
    states,
    task_runs,
)
from prefect_jupyter.server.errors import InvalidInput
from prefect_jupyter.utilities.graphql import decompress

mutation = MutationType()

SUCCESS = {"success": True, "error": None}


def _session(info: GraphQLResolveInfo) -> Any:
    return info.context.session


@mutation.field("create_project")
def resolve_create_project(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    return {"id": projects.create_project(_session(info), input["name"], input.get("description"))}


@mutation.field("delete_project")
def resolve_delete_project(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    projects.delete_project(_session(info), input["project_id"])
    return SUCCESS


def _create_flow(info: GraphQLResolveInfo, input: dict, serialized_flow: Any) -> dict:  # noqa: A002
    flow_id = flows.create_flow(
        _session(info),
        serialized_flow,
        project_id=input["project_id"],
        version_group_id=input.get("version_group_id"),
        set_schedule_active=input.get("set_schedule_active"),
        description=input.get("description"),
        idempotency_key=input.get("idempotency_key"),
    )
    return {"id": flow_id}


@mutation.field("create_flow")
def resolve_create_flow(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    return _create_flow(info, input, input["serialized_flow"])


@mutation.field("create_flow_from_compressed_string")
def resolve_create_flow_from_compressed_string(
    _obj: Any, info: GraphQLResolveInfo, input: dict  # noqa: A002
) -> dict:
    try:
        serialized_flow = decompress(input["serialized_flow"])
    except ValueError as exc:
        raise InvalidInput(f"serialized_flow: {exc}") from exc
    return _create_flow(info, input, serialized_flow)


@mutation.field("archive_flow")
def resolve_archive_flow(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flows.archive_flow(_session(info), input["flow_id"])
    return SUCCESS


@mutation.field("delete_flow")
def resolve_delete_flow(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flows.delete_flow(_session(info), input["flow_id"])
    return SUCCESS


@mutation.field("set_schedule_active")
def resolve_set_schedule_active(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    try:
        flows.set_schedule_active(_session(info), input["flow_id"], True)
    except flows.NoSchedule as exc:  # not an error: Prefect 1's flow.register() always asks
        return {"success": False, "error": str(exc)}
    return SUCCESS


@mutation.field("set_schedule_inactive")
def resolve_set_schedule_inactive(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flows.set_schedule_active(_session(info), input["flow_id"], False)
    return SUCCESS


@mutation.field("create_flow_run")
def resolve_create_flow_run(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    run_id = flow_runs.create_flow_run(
        _session(info),
        flow_id=input.get("flow_id"),
        version_group_id=input.get("version_group_id"),
        parameters=input.get("parameters"),
        context=input.get("context"),
        labels=input.get("labels"),
        scheduled_start_time=input.get("scheduled_start_time"),
        idempotency_key=input.get("idempotency_key"),
        flow_run_name=input.get("flow_run_name"),
        run_config=input.get("run_config"),
    )
    return {"id": run_id}


@mutation.field("get_or_create_task_run_info")
def resolve_get_or_create_task_run_info(
    _obj: Any, info: GraphQLResolveInfo, input: dict  # noqa: A002
) -> dict:
    return task_runs.get_or_create_task_run_info(
        _session(info), input["flow_run_id"], input["task_id"], input.get("map_index")
    )


@mutation.field("create_mapped_task_runs")
def resolve_create_mapped_task_runs(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    indices, count = input.get("map_indices"), input.get("count")
    if (indices is None) == (count is None):
        raise InvalidInput("Give either map_indices (a list of map indices) or count, not "
                           f"{'both' if indices is not None else 'neither'}.")
    if count is not None:
        if count < 1:
            raise InvalidInput(f"count must be 1 or more (children 0 to count - 1), not {count}.")
        indices = list(range(count))
    # each child is a row written and answered: counted like a list of that many rows
    info.context.budget.count_list("create_mapped_task_runs", len(indices))
    runs = task_runs.create_mapped_task_runs(
        _session(info), input["flow_run_id"], input["task_id"], indices
    )
    info.context.budget.count_returned(len(runs))
    return {"task_runs": runs}


@mutation.field("update_flow_run_heartbeat")
def resolve_update_flow_run_heartbeat(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    heartbeats.update_flow_run_heartbeat(_session(info), input["flow_run_id"])
    return SUCCESS


@mutation.field("update_task_run_heartbeat")
def resolve_update_task_run_heartbeat(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    heartbeats.update_task_run_heartbeat(_session(info), input["task_run_id"])
    return SUCCESS


@mutation.field("delete_flow_run")
def resolve_delete_flow_run(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flow_runs.delete_flow_run(_session(info), input["flow_run_id"])
    return SUCCESS


@mutation.field("get_runs_in_queue")
def resolve_get_runs_in_queue(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    ids = flow_runs.get_runs_in_queue(
        _session(info), input.get("before"), input.get("labels"), input.get("agent_id")
    )
    return {"flow_run_ids": ids}


@mutation.field("set_flow_run_states")
def resolve_set_flow_run_states(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    return {"states": states.set_states(_session(info), "flow_run", input["states"])}


@mutation.field("set_task_run_states")
def resolve_set_task_run_states(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    return {"states": states.set_states(_session(info), "task_run", input["states"])}


@mutation.field("cancel_flow_run")
def resolve_cancel_flow_run(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    return {"state": flow_runs.cancel_flow_run(_session(info), input["flow_run_id"])}


@mutation.field("set_flow_run_name")
def resolve_set_flow_run_name(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    flow_runs.set_flow_run_name(_session(info), input["flow_run_id"], input["name"])
    return SUCCESS


@mutation.field("set_task_run_name")
def resolve_set_task_run_name(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    task_runs.set_task_run_name(_session(info), input["task_run_id"], input["name"])
    return SUCCESS


@mutation.field("write_run_report")
def resolve_write_run_report(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    task_run_states, logs_ = input.get("task_run_states"), input.get("logs")
    children = input.get("new_task_runs")
    for name, value in (("task_run_states", task_run_states), ("logs", logs_),
                        ("new_task_runs", children)):
        if isinstance(value, list):  # each item is a row written
            info.context.budget.count_list(f"write_run_report.{name}", len(value))
    return reports.write_run_report(_session(info), input["flow_run_id"], task_run_states, logs_,
                                    children)


@mutation.field("write_run_logs")
def resolve_write_run_logs(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    logs.write_run_logs(_session(info), input["logs"])
    return SUCCESS


@mutation.field("create_task_run_artifact")
def resolve_create_task_run_artifact(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    artifact_id = artifacts.create_task_run_artifact(
        _session(info), input["task_run_id"], input["kind"], input["data"], input.get("tenant_id")
    )
    return {"id": artifact_id}


@mutation.field("update_task_run_artifact")
def resolve_update_task_run_artifact(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    artifacts.update_task_run_artifact(_session(info), input["task_run_artifact_id"], input["data"])
    return SUCCESS


@mutation.field("delete_task_run_artifact")
def resolve_delete_task_run_artifact(_obj: Any, info: GraphQLResolveInfo, input: dict) -> dict:  # noqa: A002
    artifacts.delete_task_run_artifact(_session(info), input["task_run_artifact_id"])
    return SUCCESS
