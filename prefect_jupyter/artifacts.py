"""Prefect 1's older artifact names (``prefect.artifacts``): each warns that it moved to
:mod:`prefect_jupyter.backend.artifacts` and calls the function there."""

from __future__ import annotations

import warnings

from prefect_jupyter.backend import artifacts as _artifacts

__all__ = ["create_link", "create_markdown", "delete_artifact", "update_link", "update_markdown"]


def _moved(old: str, new: str) -> None:
    warnings.warn(
        f"`prefect_jupyter.artifacts.{old}` has moved to "
        f"`prefect_jupyter.backend.artifacts.{new}`: please update your imports.",
        UserWarning,
        stacklevel=3,
    )


def create_link(link: str) -> str | None:
    """Publish a link artifact (moved: :func:`~prefect_jupyter.backend.artifacts.create_link_artifact`)."""
    _moved("create_link", "create_link_artifact")
    return _artifacts.create_link_artifact(link)


def update_link(task_run_artifact_id: str, link: str) -> None:
    """Replace a link artifact (moved: :func:`~prefect_jupyter.backend.artifacts.update_link_artifact`)."""
    _moved("update_link", "update_link_artifact")
    _artifacts.update_link_artifact(task_run_artifact_id, link)


def create_markdown(markdown: str) -> str | None:
    """Publish a markdown artifact (moved: :func:`~prefect_jupyter.backend.artifacts.create_markdown_artifact`)."""
    _moved("create_markdown", "create_markdown_artifact")
    return _artifacts.create_markdown_artifact(markdown)


def update_markdown(task_run_artifact_id: str, markdown: str) -> None:
    """Replace a markdown artifact (moved: :func:`~prefect_jupyter.backend.artifacts.update_markdown_artifact`)."""
    _moved("update_markdown", "update_markdown_artifact")
    _artifacts.update_markdown_artifact(task_run_artifact_id, markdown)


def delete_artifact(task_run_artifact_id: str) -> None:
    """Delete an artifact (moved: :func:`~prefect_jupyter.backend.artifacts.delete_artifact`)."""
    _moved("delete_artifact", "delete_artifact")
    _artifacts.delete_artifact(task_run_artifact_id)
