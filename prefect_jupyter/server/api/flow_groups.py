"""Flow groups: what the versions of one flow share (Prefect Server 1) — settings, labels,
default parameters, a run config, a schedule and a description.

Settings are a JSON object; the server reads ``heartbeat_enabled`` (default true): when false,
the zombie killer leaves the group's running task runs alone, and Prefect 1's runner does not
start its heartbeat process (it asks ``flow.settings``); and ``lazarus_enabled`` (default true):
when false, Lazarus leaves the group's runs whose process is gone alone. Labels, default
parameters and the run config apply to new runs (``flow_runs.create_flow_run``); the schedule
replaces each version's own (``scheduling.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from prefect_jupyter.server.api.common import get_or_404, not_found
from prefect_jupyter.server.database.models import Flow, FlowGroup
from prefect_jupyter.server.errors import InvalidInput

#: Prefect Server 1's defaults for a flow group's settings
DEFAULT_SETTINGS: dict[str, Any] = {"heartbeat_enabled": True}


def heartbeat_enabled(settings: dict[str, Any] | None) -> bool:
    """Whether runs of a group with ``settings`` are watched for heartbeats (Prefect Server 1
    read ``heartbeat_enabled``, and before it ``disable_heartbeat``)."""
    settings = settings or {}
    return bool(settings.get("heartbeat_enabled", True)) and not settings.get("disable_heartbeat")


def flow_settings(session: Session, flow: Flow) -> dict[str, Any]:
    """The settings of ``flow``'s group over :data:`DEFAULT_SETTINGS`."""
    group = session.get(FlowGroup, flow.flow_group_id) if flow.flow_group_id else None
    return {**DEFAULT_SETTINGS, **((group.settings if group is not None else None) or {})}


def update_settings(session: Session, flow_id: str, **changes: Any) -> None:
    """Merge ``changes`` into the settings of the group of flow ``flow_id``."""
    flow = get_or_404(session, Flow, flow_id)
    group = session.get(FlowGroup, flow.flow_group_id) if flow.flow_group_id else None
    if group is None:
        raise not_found(FlowGroup, flow.flow_group_id)
    group.settings = {**(group.settings or {}), **changes}


def group_ids(session: Session, *where: Any) -> list[str]:
    """The flow groups of the flows matching ``where``."""
    return list(session.execute(
        select(Flow.flow_group_id).where(*where, Flow.flow_group_id.is_not(None)).distinct()
    ).scalars())


def delete_empty_groups(session: Session, ids: list[str]) -> None:
    """Delete those of the flow groups ``ids`` that no flow belongs to any more."""
    if ids:
        still_used = select(Flow.id).where(Flow.flow_group_id == FlowGroup.id).exists()
        session.execute(delete(FlowGroup).where(FlowGroup.id.in_(ids), ~still_used))


def run_labels(session: Session, flow: Flow) -> list[str]:
    """The labels a new run of ``flow`` gets unless given: its group's, when set, else the
    flow's own (:func:`~prefect_jupyter.server.api.flows.registered_labels`)."""
    group = session.get(FlowGroup, flow.flow_group_id) if flow.flow_group_id else None
    if group is not None and group.labels is not None:
        return sorted(set(group.labels))
    return sorted(set(flow.labels or []))


# -- Prefect Server 1's flow-group settings (set_flow_group_* mutations) -------------------------


def _group(session: Session, flow_group_id: str) -> FlowGroup:
    return get_or_404(session, FlowGroup, flow_group_id)


def group_of(session: Session, flow: Flow) -> FlowGroup | None:
    """The flow group of ``flow`` (a flow registered before groups existed may have none)."""
    return session.get(FlowGroup, flow.flow_group_id) if flow.flow_group_id else None


def set_labels(session: Session, flow_group_id: str, labels: list[str] | None) -> None:
    """The labels every new run of the group gets unless given its own; ``None``: each
    version's own again."""
    _group(session, flow_group_id).labels = sorted(set(labels)) if labels is not None else None


def set_description(session: Session, flow_group_id: str, description: str | None) -> None:
    _group(session, flow_group_id).description = description


def set_default_parameters(session: Session, flow_group_id: str, parameters: Any) -> None:
    """Parameter values every new run of the group starts from (replacing those set before);
    a run's own values take precedence, and they count for its required parameters."""
    if not isinstance(parameters, dict):
        raise InvalidInput(
            f"parameters must be a JSON object of name: value, not {parameters!r}.")
    _group(session, flow_group_id).default_parameters = parameters


def set_run_config(session: Session, flow_group_id: str, run_config: Any) -> None:
    """Prefect 1's run config (``RunConfig.serialize()``) for the group's new runs, over each
    version's own; ``None``: each version's own again."""
    if run_config is not None and not (isinstance(run_config, dict) and "type" in run_config):
        raise InvalidInput(
            f"run_config must be a serialized run config (RunConfig.serialize(), with a "
            f"'type'), or null; not {run_config!r}.")
    _group(session, flow_group_id).run_config = run_config


def run_defaults(session: Session, flow: Flow) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What a new run of ``flow`` starts from: its group's default parameters (those the flow
    declares) and run config (``None``: the flow's own)."""
    group = group_of(session, flow)
    if group is None:
        return {}, None
    declared = {p["name"] for p in flow.parameters or []}
    defaults = {k: v for k, v in (group.default_parameters or {}).items() if k in declared}
    return defaults, group.run_config


def lazarus_enabled(settings: dict[str, Any] | None) -> bool:
    """Whether Lazarus may reschedule the group's runs (``lazarus_enabled``, default true)."""
    return bool((settings or {}).get("lazarus_enabled", True))
