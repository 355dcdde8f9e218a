"""Helpers shared by the API modules: loading rows by id with errors that name the fix."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from prefect_jupyter.server.database.models import (
    Agent,
    Base,
    Flow,
    FlowGroup,
    FlowRun,
    Project,
    Task,
    TaskRun,
)
from prefect_jupyter.server.errors import InvalidInput, NotFound

ModelT = TypeVar("ModelT", bound=Base)

_NOUNS: dict[type, tuple[str, str]] = {
    Project: ("Project", "list projects with `prefect-jupyter get projects`"),
    Flow: ("Flow", "list flows with `prefect-jupyter get flows`"),
    FlowGroup: ("Flow group", "a flow's group id is its `flow_group_id`"),
    Task: ("Task", "task ids are in the `task` query of the flow"),
    FlowRun: ("Flow run", "list flow runs with `prefect-jupyter get flow-runs`"),
    TaskRun: ("Task run", "task run ids are in the `task_run` query of the flow run"),
    Agent: ("Agent", "agents appear once they have asked for work"),
}


def not_found(model: type, row_id: Any) -> NotFound:
    """The error for an id of ``model`` that names no row."""
    noun, hint = _NOUNS.get(model, (model.__name__, "check the id"))
    return NotFound(f"{noun} {row_id} not found: check the id ({hint}).")


def get_or_404(session: Session, model: type[ModelT], row_id: Any) -> ModelT:
    """The row of ``model`` with ``row_id``.

    Raises:
        NotFound: when there is none, naming the kind of row and how to find valid ids.
    """
    row = session.get(model, row_id) if row_id is not None else None
    if row is None:
        raise not_found(model, row_id)
    return row


def require_str(value: Any, name: str) -> str:
    """``value`` if it is a non-empty string, else :class:`InvalidInput` naming ``name``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} must be a non-empty string, not {value!r}.")
    return value


#: the most characters a run's name holds (its column's length)
MAX_NAME_LENGTH = 255


def rename(session: Session, model: type[FlowRun] | type[TaskRun], run_id: str, name: str) -> None:
    """Give a flow run or task run ``name``.

    Raises:
        InvalidInput: for an empty name or one longer than the column holds.
        NotFound: for an unknown run.
    """
    noun = _NOUNS[model][0].lower()
    if not name.strip():
        raise InvalidInput(f"A {noun}'s name can't be empty: pass the name.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"A {noun}'s name has at most {MAX_NAME_LENGTH} characters; this one "
                           f"has {len(name)}.")
    get_or_404(session, model, run_id).name = name
    session.flush()
