"""Registering flows: version groups, idempotency, archiving, and task/edge rows.

A *version group* holds the versions of one flow. :func:`create_flow` picks the group (the one
given, else the group of the flow with the same name in the same project, else a new one),
returns the group's latest unarchived flow unchanged when it has the same idempotency key
(registering an unchanged flow again is a no-op), and otherwise adds version ``max + 1`` and
archives every older unarchived version (an archived flow cannot be run).

``serialized_flow`` is ``flow.serialize()``'s dict (see the server contract). Its tasks and
edges become ``task`` and ``edge`` rows; parameters are tasks too (as in Prefect), so a
parameter missing from ``tasks`` gets a task row of its own. The server never unpickles
``storage``; it stores the dict as given. The versions of one group share one ``flow_group``
row (settings such as ``heartbeat_enabled``, labels).

*Batched registration* (Prefect 1's ``Client.register``): a ``serialized_flow`` without a
``tasks`` key is followed by :func:`register_tasks` batches, then :func:`register_edges`. Until
its first edges arrive, the new version is *pending*: archived, so nothing runs or schedules
it, and the group's other versions stay as they were. The first :func:`register_edges` makes
it the live version and only then archives the older ones — a registration that fails
part-way never archives the good version.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from prefect_jupyter.server.api import flow_groups
from prefect_jupyter.server.api.common import get_or_404
from prefect_jupyter.server.api.run_history import delete_run_history
from prefect_jupyter.server.api.scheduling import delete_auto_scheduled_runs, schedule_of
from prefect_jupyter.server.database import bulk, dialects
from prefect_jupyter.server.database.models import (
    Edge,
    Flow,
    FlowGroup,
    FlowRun,
    Project,
    Task,
    new_id,
)
from prefect_jupyter.server.errors import InvalidInput

_TASK_FLAGS = ("mapped", "is_reference_task", "is_root_task", "is_terminal_task", "auto_generated")


def create_flow(
    session: Session,
    serialized_flow: Any,
    project_id: str,
    version_group_id: str | None = None,
    set_schedule_active: bool | None = None,
    description: str | None = None,
    idempotency_key: str | None = None,
) -> str:
    """Register ``serialized_flow`` in a project and return the flow's id (see module doc)."""
    check_serialized_flow(serialized_flow)
    get_or_404(session, Project, project_id)
    name = serialized_flow["name"]
    dialects.advisory_lock(session, f"flow:{project_id}:{name}")
    group = version_group_id or _existing_group(session, project_id, name) or str(uuid.uuid4())
    if version_group_id:
        dialects.advisory_lock(session, f"version_group:{group}")
    if idempotency_key is not None:
        same = session.execute(
            select(Flow.id)
            .where(Flow.version_group_id == group, Flow.archived.is_(False))
            .where(Flow.idempotency_key == idempotency_key)
            .order_by(Flow.version.desc())
            .limit(1)
        ).scalar()
        if same is not None:
            return same
    latest = session.execute(
        select(func.max(Flow.version)).where(Flow.version_group_id == group)
    ).scalar()
    pending = "tasks" not in serialized_flow
    if not pending:
        _archive_group(session, group)
    schedule = serialized_flow.get("schedule")
    flow = Flow(
        project_id=project_id,
        name=name,
        version=(latest or 0) + 1,
        version_group_id=group,
        description=description if description is not None else serialized_flow.get("description"),
        core_version=serialized_flow.get("__version__"),
        serialized_flow=serialized_flow,
        parameters=serialized_flow.get("parameters") or [],
        schedule=schedule,
        is_schedule_active=(
            not pending and schedule is not None and set_schedule_active is not False
        ),
        labels=registered_labels(serialized_flow),
        idempotency_key=idempotency_key,
        archived=pending,
        flow_group_id=_flow_group_id(session, group, name),
    )
    session.add(flow)
    session.flush()
    _insert_tasks_and_edges(session, flow.id, serialized_flow)
    return flow.id


def registered_labels(serialized_flow: dict[str, Any]) -> list[str]:
    """The labels a flow's runs get by default, as Prefect Server 1 chose them: the flow's
    ``labels`` (ours carry its run config's), else its run config's, else its environment's.
    A flow group's labels, when set, override these (``flow_groups.run_labels``)."""
    found = serialized_flow.get("labels")
    for deployment in ("run_config", "environment"):
        if found is None and isinstance(serialized_flow.get(deployment), dict):
            found = serialized_flow[deployment].get("labels")
    if found is not None and not (
        isinstance(found, list) and all(isinstance(label, str) for label in found)
    ):
        raise InvalidInput(f"A flow's labels must be a list of strings, not {found!r}.")
    return sorted(set(found or []))


def library(serialized_flow: dict[str, Any] | None) -> str | None:
    """The library whose ``flow.serialize()`` made ``serialized_flow``: the top package of its
    ``type`` (``prefect_jupyter``, or ``prefect`` for Prefect 1), ``None`` when untyped."""
    flow_type = (serialized_flow or {}).get("type")
    return flow_type.split(".", 1)[0] if isinstance(flow_type, str) and flow_type else None


def _archive_group(session: Session, group: str) -> None:
    archived = session.execute(
        update(Flow)
        .where(Flow.version_group_id == group, Flow.archived.is_(False))
        .values(archived=True, is_schedule_active=False)
        .returning(Flow.id)
    ).scalars().all()
    delete_auto_scheduled_runs(session, archived)


def _flow_group_id(session: Session, version_group_id: str, name: str) -> str:
    """The flow group of a version group's versions; a new one for its first version."""
    existing = session.execute(
        select(Flow.flow_group_id)
        .where(Flow.version_group_id == version_group_id, Flow.flow_group_id.is_not(None))
        .limit(1)
    ).scalar()
    if existing is not None:
        return existing
    group = FlowGroup(name=name, settings={})
    session.add(group)
    session.flush()
    return group.id


def _existing_group(session: Session, project_id: str, name: str) -> str | None:
    return session.execute(
        select(Flow.version_group_id)
        .where(Flow.project_id == project_id, Flow.name == name)
        .order_by(Flow.version.desc())
        .limit(1)
    ).scalar()


def check_serialized_flow(data: Any) -> None:
    """Raise :class:`InvalidInput` naming the first thing ``data`` lacks to be a flow."""
    if not isinstance(data, dict):
        raise InvalidInput(
            f"serialized_flow must be a JSON object made by flow.serialize(), not {type(data).__name__}."
        )
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise InvalidInput("serialized_flow has no 'name': it must be made by flow.serialize().")
    for key in ("tasks", "edges", "parameters"):
        if not isinstance(data.get(key, []), list):
            raise InvalidInput(f"serialized_flow['{key}'] must be a list.")
    slugs: set[str] = set()
    for i, task in enumerate(data.get("tasks", [])):
        if not isinstance(task, dict) or not isinstance(task.get("slug"), str):
            raise InvalidInput(f"serialized_flow['tasks'][{i}] has no 'slug'.")
        if task["slug"] in slugs:
            raise InvalidInput(f"serialized_flow has two tasks with the slug {task['slug']!r}.")
        slugs.add(task["slug"])
    for i, param in enumerate(data.get("parameters", [])):
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise InvalidInput(f"serialized_flow['parameters'][{i}] has no 'name'.")
        slugs.add(param.get("slug") or param["name"])
    for i, edge in enumerate(data.get("edges", [])):
        for end in ("upstream_task", "downstream_task"):
            slug = (edge.get(end) or {}).get("slug") if isinstance(edge, dict) else None
            if slug not in slugs:
                raise InvalidInput(
                    f"serialized_flow['edges'][{i}] refers to {end} {slug!r}, which is not "
                    "among the flow's tasks."
                )


def _retry_delay(task: dict[str, Any]) -> float | None:
    value = task.get("retry_delay")
    if value is None or isinstance(value, (int, float)):
        return value
    raise InvalidInput(
        f"Task {task['slug']!r}: retry_delay must be a number of seconds or null, not {value!r}."
    )


def _trigger_name(trigger: Any) -> str | None:
    """The trigger's import path: Prefect 1 serializes it as ``{"fn": path, "kwargs": {...}}``."""
    if isinstance(trigger, dict):
        trigger = trigger.get("fn")
    if trigger is None or isinstance(trigger, str):
        return trigger
    raise InvalidInput(f"A task's trigger must be an import path or {{'fn': path}}, not {trigger!r}.")


def _task_row(flow_id: str, task: dict[str, Any]) -> dict[str, Any]:
    row = {
        "id": new_id(),
        "flow_id": flow_id,
        "slug": task["slug"],
        "name": task.get("name"),
        "type": task.get("type"),
        "description": task.get("description"),
        "tags": sorted(set(task.get("tags") or [])),
        "max_retries": int(task.get("max_retries") or 0),
        "retry_delay": _retry_delay(task),
        "trigger": _trigger_name(task.get("trigger")),
        "cache_key": task.get("cache_key"),
    }
    row.update({flag: bool(task.get(flag, False)) for flag in _TASK_FLAGS})
    return row


def _insert_tasks_and_edges(session: Session, flow_id: str, data: dict[str, Any]) -> None:
    tasks = list(data.get("tasks", []))
    known = {task["slug"] for task in tasks}
    for param in data.get("parameters", []):
        slug = param.get("slug") or param["name"]
        if slug not in known:
            tasks.append({"slug": slug, "name": param["name"], "type": param.get("type"),
                          "is_root_task": True})
            known.add(slug)
    rows = [_task_row(flow_id, task) for task in tasks]
    ids = {row["slug"]: row["id"] for row in rows}
    if rows:
        session.execute(insert(Task), rows)
    _insert_edges(session, flow_id, ids, data.get("edges", []))
    _set_task_flags(session, flow_id, data)


def _set_task_flags(session: Session, flow_id: str, data: dict[str, Any]) -> None:
    """Each task's ``mapped``, ``is_root_task``, ``is_terminal_task`` and ``is_reference_task``,
    from the flow's edges and ``reference_tasks``, as Prefect Server 1 sets them at
    registration (Prefect 1's serialized tasks do not carry them)."""
    slugs = dict(session.execute(select(Task.id, Task.slug).where(Task.flow_id == flow_id)).all())
    if not slugs:
        return
    edges = session.execute(select(Edge.upstream_task_id, Edge.downstream_task_id, Edge.mapped)
                            .where(Edge.flow_id == flow_id)).all()
    has_upstream = {down for _, down, _ in edges}
    has_downstream = {up for up, _, _ in edges}
    mapped = {down for _, down, is_mapped in edges if is_mapped}
    named = {item.get("slug") for item in data.get("reference_tasks") or []
             if isinstance(item, dict)}
    reference = ({task_id for task_id, slug in slugs.items() if slug in named} if named
                 else set(slugs) - has_downstream)  # none named: the terminal tasks
    bulk.update_many(session, Task.__table__, "id", [
        {"id": task_id, "mapped": task_id in mapped, "is_root_task": task_id not in has_upstream,
         "is_terminal_task": task_id not in has_downstream,
         "is_reference_task": task_id in reference}
        for task_id in slugs
    ])


def _insert_edges(
    session: Session, flow_id: str, ids: dict[str, str], serialized_edges: list[Any]
) -> None:
    edges = [
        {
            "id": new_id(),
            "flow_id": flow_id,
            "upstream_task_id": ids[edge["upstream_task"]["slug"]],
            "downstream_task_id": ids[edge["downstream_task"]["slug"]],
            "key": edge.get("key"),
            "mapped": bool(edge.get("mapped", False)),
            "flattened": bool(edge.get("flattened", False)),
        }
        for edge in serialized_edges
    ]
    if edges:
        session.execute(insert(Edge), edges)


def register_tasks(session: Session, flow_id: str, serialized_tasks: Any) -> None:
    """Add a batch of a flow's tasks (``flow.serialize()["tasks"]`` items); a task whose slug
    the flow has (its parameters, made with the flow) is updated in place."""
    flow = get_or_404(session, Flow, flow_id)
    tasks = _checked_batch(serialized_tasks, "serialized_tasks")
    check_serialized_flow({"name": flow.name, "tasks": tasks})
    existing = dict(session.execute(
        select(Task.slug, Task.id).where(Task.flow_id == flow_id)
    ).all())
    rows = [_task_row(flow_id, task) for task in tasks]
    for row in rows:
        if row["slug"] in existing:
            row["id"] = existing[row["slug"]]
            session.execute(update(Task).where(Task.id == row["id"]).values(
                {k: v for k, v in row.items() if k not in ("id", "flow_id")}
            ))
    new_rows = [row for row in rows if row["slug"] not in existing]
    if new_rows:
        session.execute(insert(Task), new_rows)
    data = dict(flow.serialized_flow or {})
    data["tasks"] = [*data.get("tasks", []), *tasks]
    flow.serialized_flow = data
    _set_task_flags(session, flow_id, data)


def register_edges(session: Session, flow_id: str, serialized_edges: Any) -> None:
    """Add a batch of a flow's edges; the first batch completes a batched registration (see
    the module doc)."""
    flow = get_or_404(session, Flow, flow_id)
    edges = _checked_batch(serialized_edges, "serialized_edges")
    ids = dict(session.execute(select(Task.slug, Task.id).where(Task.flow_id == flow_id)).all())
    for i, edge in enumerate(edges):
        for end in ("upstream_task", "downstream_task"):
            slug = (edge.get(end) or {}).get("slug") if isinstance(edge, dict) else None
            if slug not in ids:
                raise InvalidInput(
                    f"serialized_edges[{i}] refers to {end} {slug!r}, which is not among the "
                    "flow's tasks: register the tasks (register_tasks) before the edges."
                )
    _insert_edges(session, flow_id, ids, edges)
    data = dict(flow.serialized_flow or {})
    completes = "edges" not in data
    data["edges"] = [*data.get("edges", []), *edges]
    flow.serialized_flow = data
    _set_task_flags(session, flow_id, data)
    if completes and flow.archived:
        dialects.advisory_lock(session, f"version_group:{flow.version_group_id}")
        _archive_group(session, flow.version_group_id)
        flow.archived = False


def _checked_batch(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidInput(f"{name} must be a list of objects (made by flow.serialize()).")
    return value


def archive_flow(session: Session, flow_id: str) -> None:
    """Archive a flow: it stays (with its runs) but cannot be run, and its schedule stops."""
    flow = get_or_404(session, Flow, flow_id)
    flow.archived = True
    flow.is_schedule_active = False
    delete_auto_scheduled_runs(session, [flow.id])


def delete_flow(session: Session, flow_id: str) -> None:
    """Delete a flow version with its tasks, edges, runs and logs."""
    flow = get_or_404(session, Flow, flow_id)
    group = flow.flow_group_id
    delete_run_history(session, FlowRun.flow_id == flow_id)
    session.execute(delete(Flow).where(Flow.id == flow_id))
    if group is not None:
        flow_groups.delete_empty_groups(session, [group])


def update_flow_project(session: Session, flow_id: str, project_id: str) -> None:
    """Move a flow, with every version of its group, into another project (Prefect Server 1's
    ``update_flow_project``).

    Raises:
        NotFound: unknown flow or project.
        InvalidInput: the project has another flow of that name (versions are by name).
    """
    flow = get_or_404(session, Flow, flow_id)
    get_or_404(session, Project, project_id)
    if project_id == flow.project_id:
        return
    taken = session.execute(select(Flow.id).where(
        Flow.project_id == project_id, Flow.name == flow.name,
        Flow.version_group_id != flow.version_group_id).limit(1)).first()
    if taken is not None:
        raise InvalidInput(
            f"Project {project_id} has another flow named {flow.name!r}: rename one of them "
            "before moving this one there.")
    session.execute(update(Flow).where(Flow.version_group_id == flow.version_group_id)
                    .values(project_id=project_id))


def delete_flow_group(session: Session, flow_group_id: str) -> None:
    """Delete a flow group with every version of its flow, their runs and logs."""
    get_or_404(session, FlowGroup, flow_group_id)
    flow_ids = session.execute(
        select(Flow.id).where(Flow.flow_group_id == flow_group_id)).scalars().all()
    for flow_id in flow_ids:
        delete_flow(session, flow_id)
    session.execute(delete(FlowGroup).where(FlowGroup.id == flow_group_id))


class NoSchedule(InvalidInput):
    """Turning on the schedule of a flow that has none."""


def set_schedule_active(session: Session, flow_id: str, active: bool) -> None:
    """Turn a flow's schedule on or off.

    Raises:
        NoSchedule: turning on the schedule of a flow that has none.
        InvalidInput: turning on the schedule of an archived flow.
    """
    flow = get_or_404(session, Flow, flow_id)
    if active and schedule_of(session, flow) is None:
        raise NoSchedule(
            f"Flow {flow_id} ({flow.name!r}) has no schedule: give the flow a schedule and "
            "register it again."
        )
    if active and flow.archived:
        raise InvalidInput(
            f"Flow {flow_id} ({flow.name!r} version {flow.version}) is archived: activate "
            "the schedule of the group's latest version instead."
        )
    flow.is_schedule_active = active
    if not active:
        delete_auto_scheduled_runs(session, [flow.id])
