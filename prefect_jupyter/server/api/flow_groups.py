"""Flow groups: what the versions of one flow share — settings and labels (Prefect Server 1).

Settings are a JSON object; the server reads ``heartbeat_enabled`` (default true): when false,
the zombie killer leaves the group's running task runs alone, and Prefect 1's runner does not
start its heartbeat process (it asks ``flow.settings``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from prefect_jupyter.server.api.common import get_or_404, not_found
from prefect_jupyter.server.database.models import Flow, FlowGroup

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
