"""Task run artifacts: markdown and links a task run publishes (Prefect 1's artifacts).

An artifact belongs to one task run and goes with it (and with its flow run and flow). Its
``data`` is the document Prefect 1's client sends: ``{"markdown": "..."}`` or ``{"link": "..."}``
(other kinds are stored as given, as Prefect Server 1 did).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from prefect_jupyter.server.api.common import get_or_404, require_str
from prefect_jupyter.server.database.models import TaskRun, TaskRunArtifact, utcnow
from prefect_jupyter.server.errors import InvalidInput, NotFound


def _check_data(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput(
            f"An artifact's data must be a JSON object such as {{\"markdown\": \"...\"}} or "
            f"{{\"link\": \"https://...\"}}, not {type(data).__name__}."
        )
    return data


def create_task_run_artifact(
    session: Session, task_run_id: str, kind: str, data: Any, tenant_id: str | None = None
) -> str:
    """Store an artifact of the task run ``task_run_id``; return its id.

    Raises:
        NotFound: no such task run.
        InvalidInput: an empty ``kind``, or ``data`` that is not a JSON object.
    """
    kind = require_str(kind, "An artifact's kind").strip()
    data = _check_data(data)
    task_run = get_or_404(session, TaskRun, task_run_id)
    artifact = TaskRunArtifact(task_run_id=task_run_id, flow_run_id=task_run.flow_run_id,
                               kind=kind, data=data, tenant_id=tenant_id)
    session.add(artifact)
    session.flush()
    return artifact.id


def _not_found(artifact_id: Any) -> NotFound:
    return NotFound(
        f"Task run artifact {artifact_id} not found: check the id (the one "
        "create_markdown_artifact or create_link_artifact returned; a task run's artifacts are "
        "in the `task_run_artifact` query)."
    )


def update_task_run_artifact(session: Session, task_run_artifact_id: str, data: Any) -> None:
    """Replace an artifact's ``data``.

    Raises:
        NotFound: no such artifact.
        InvalidInput: ``data`` that is not a JSON object.
    """
    data = _check_data(data)
    done = session.execute(
        update(TaskRunArtifact)
        .where(TaskRunArtifact.id == task_run_artifact_id)
        .values(data=data, updated=utcnow())
    )
    if done.rowcount != 1:
        raise _not_found(task_run_artifact_id)


def delete_task_run_artifact(session: Session, task_run_artifact_id: str) -> None:
    """Delete an artifact.

    Raises:
        NotFound: no such artifact.
    """
    done = session.execute(
        delete(TaskRunArtifact).where(TaskRunArtifact.id == task_run_artifact_id)
    )
    if done.rowcount != 1:
        raise _not_found(task_run_artifact_id)
