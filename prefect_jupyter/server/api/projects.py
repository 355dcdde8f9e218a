"""Projects: named groups of flows."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from prefect_jupyter.server.api import flow_groups
from prefect_jupyter.server.api.common import get_or_404, require_str
from prefect_jupyter.server.api.run_history import delete_run_history
from prefect_jupyter.server.database import dialects
from prefect_jupyter.server.database.models import Flow, FlowRun, Project
from prefect_jupyter.server.errors import Conflict


def create_project(session: Session, name: str, description: str | None = None) -> str:
    """Create a project and return its id.

    Raises:
        Conflict: when a project of that name exists. The message starts with
            "Uniqueness violation." as Prefect Server's did (Prefect 1's client looks for it).
    """
    name = require_str(name, "A project's name").strip()
    dialects.advisory_lock(session, f"project:{name}")
    existing = session.execute(select(Project.id).where(Project.name == name)).scalar()
    if existing is not None:
        raise Conflict(
            f"Uniqueness violation. A project named {name!r} already exists (id {existing}): "
            "register into it, or choose another name."
        )
    project = Project(name=name, description=description)
    session.add(project)
    session.flush()
    return project.id


def delete_project(session: Session, project_id: str) -> None:
    """Delete a project with its flows and all their runs."""
    get_or_404(session, Project, project_id)
    groups = flow_groups.group_ids(session, Flow.project_id == project_id)
    delete_run_history(
        session, FlowRun.flow_id.in_(select(Flow.id).where(Flow.project_id == project_id)))
    session.execute(delete(Project).where(Project.id == project_id))
    flow_groups.delete_empty_groups(session, groups)
