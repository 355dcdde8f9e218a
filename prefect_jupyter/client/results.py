"""What client methods return: GraphQL results with attribute access, and run info tuples.

``GraphQLResult`` is a ``dict`` (so it prints and serializes as JSON) whose keys can also be
read as attributes, as Prefect 1's was: ``client.graphql(q).data.flow[0].id``.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

__all__ = ["GraphQLResult", "TaskRunInfoResult", "ProjectInfo", "FlowRunInfoResult", "as_result"]


class GraphQLResult(dict):
    """A JSON object from the API; nested objects are ``GraphQLResult`` too."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"The result has no field {name!r} (fields: {', '.join(self) or 'none'}); "
                "ask for it in the query."
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """A plain ``dict`` copy (nested values too)."""
        return _plain(self)


def as_result(value: Any) -> Any:
    """``value`` with every JSON object turned into a :class:`GraphQLResult`."""
    if isinstance(value, dict):
        return GraphQLResult({k: as_result(v) for k, v in value.items()})
    if isinstance(value, list):
        return [as_result(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class TaskRunInfoResult(NamedTuple):
    """A task run's id, version and current state."""

    id: str
    task_id: str
    task_slug: str
    version: int
    state: Any


class ProjectInfo(NamedTuple):
    """A project's id and name."""

    id: str
    name: str


class FlowRunInfoResult(NamedTuple):
    """A flow run, with the task runs of its unmapped tasks (``map_index`` -1)."""

    id: str
    name: str
    flow_id: str
    project: ProjectInfo
    parameters: dict[str, Any]
    context: dict[str, Any]
    version: int
    scheduled_start_time: datetime.datetime | None
    state: Any
    task_runs: list[TaskRunInfoResult]
