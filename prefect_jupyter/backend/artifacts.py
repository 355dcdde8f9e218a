"""Artifacts: markdown and links a task publishes for people to see (Prefect 1's
``prefect.backend.artifacts``).

Inside a task run by an agent (``context.running_with_backend``), each function stores, changes
or deletes an artifact of the current task run on the server. Anywhere else — ``flow.run()`` in a
notebook, a plain call — they do nothing and return ``None``, as Prefect 1's did, and say so in
a DEBUG log line.

A mapped child's task run is the child's own: the context names its parent's task run, so the
child's is found (or created, if the run's reporter has not created it yet) by flow run, task and
map index. The reporter's bulk creation of children finds it there, so an artifact is never lost
to the order in which the two reach the server.

Example:
    ```python
    from prefect_jupyter import task
    from prefect_jupyter.backend.artifacts import create_markdown_artifact

    @task
    def report(rows):
        create_markdown_artifact(f"# Loaded\\n{len(rows)} rows")
    ```
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter import context
from prefect_jupyter.utilities.logging import get_logger

__all__ = [
    "create_link_artifact",
    "create_markdown_artifact",
    "delete_artifact",
    "update_link_artifact",
    "update_markdown_artifact",
]

_logger = get_logger("artifacts")


def _running_with_backend(action: str) -> bool:
    if context.get("running_with_backend"):
        return True
    _logger.debug(
        "Artifact not %s: this run does not report to a server (flow.run()); artifacts are "
        "stored only in runs by an agent.", action,
    )
    return False


def _client() -> Any:
    from prefect_jupyter.client import Client

    return Client()


def _current_task_run_id(client: Any) -> str:
    """The server's id of the task run this code runs in."""
    map_index = context.get("map_index")
    task_run_id = context.get("task_run_id")
    if task_run_id and (map_index is None or map_index < 0):
        return task_run_id
    flow_run_id, task_id = context.get("flow_run_id"), context.get("task_id")
    if not flow_run_id or not task_id:
        raise ValueError(
            "An artifact belongs to a task run: create it from inside a task that an agent runs "
            "(prefect_jupyter.context has no flow_run_id and task_id here)."
        )
    return client.get_task_run_info(flow_run_id, task_id, map_index).id


def _create(kind: str, data: dict[str, Any]) -> str | None:
    if not _running_with_backend("created"):
        return None
    with _client() as client:
        return client.create_task_run_artifact(_current_task_run_id(client), kind, data)


def _update(task_run_artifact_id: str, data: dict[str, Any]) -> None:
    if not _running_with_backend("updated"):
        return
    with _client() as client:
        client.update_task_run_artifact(task_run_artifact_id, data)


def create_link_artifact(link: str) -> str | None:
    """Publish a link as an artifact of the current task run.

    Args:
        link: the URL.

    Returns:
        The artifact's id, or ``None`` when the run does not report to a server.
    """
    return _create("link", {"link": link})


def update_link_artifact(task_run_artifact_id: str, link: str) -> None:
    """Replace the link of an artifact made by :func:`create_link_artifact`."""
    _update(task_run_artifact_id, {"link": link})


def create_markdown_artifact(markdown: str) -> str | None:
    """Publish markdown text as an artifact of the current task run.

    Args:
        markdown: the text (the UI shows it as text, never as HTML).

    Returns:
        The artifact's id, or ``None`` when the run does not report to a server.
    """
    return _create("markdown", {"markdown": markdown})


def update_markdown_artifact(task_run_artifact_id: str, markdown: str) -> None:
    """Replace the text of an artifact made by :func:`create_markdown_artifact`."""
    _update(task_run_artifact_id, {"markdown": markdown})


def delete_artifact(task_run_artifact_id: str) -> None:
    """Delete an artifact of a task run."""
    if not _running_with_backend("deleted"):
        return
    with _client() as client:
        client.delete_task_run_artifact(task_run_artifact_id)
