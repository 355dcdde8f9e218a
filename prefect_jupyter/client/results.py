"""What client methods return: GraphQL results with attribute access, and run info tuples.

``GraphQLResult`` is a ``dict`` (so it prints and serializes as JSON) whose keys can also be
read as attributes, as Prefect 1's was: ``client.graphql(q).data.flow[0].id``.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

# one GraphQLResult for the client and for Prefect 1's prefect.utilities.graphql path
from prefect_jupyter.utilities.graphql import GraphQLResult

__all__ = ["GraphQLResult", "TaskRunInfoResult", "ProjectInfo", "FlowRunInfoResult", "as_result"]


def as_result(value: Any) -> Any:
    """``value`` with every JSON object turned into a :class:`GraphQLResult`."""
    return GraphQLResult.from_json(value)


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
