"""An ``Edge``: a dependency from an upstream task to a downstream task.

An edge with a ``key`` also passes the upstream result to the downstream task's ``run`` under that
argument name. ``mapped`` edges feed one element per mapped child; ``flattened`` edges feed the
concatenation of a list of lists.
"""

from __future__ import annotations

from typing import Any

# Prefect 1's prefect.core.edge exposes Task too (flow code imports it from here)
from prefect_jupyter.core.task import Task

__all__ = ["Edge", "Task"]

class Edge:
    """A dependency between two tasks.

    Args:
        upstream_task: the task that runs first (non-tasks are turned into tasks).
        downstream_task: the task that runs after it.
        key: the ``run`` argument receiving the upstream result, if any.
        mapped: whether the downstream task maps over the upstream result.
        flattened: whether the upstream result is flattened one level first.
        flow: the flow new tasks for collections are bound in (default: the flow in context).

    Example:
        >>> Edge(upstream, downstream, key="x")
    """

    __slots__ = ("upstream_task", "downstream_task", "key", "mapped", "flattened")

    def __init__(
        self,
        upstream_task: Any,
        downstream_task: Any,
        key: str | None = None,
        mapped: bool | None = None,
        flattened: bool | None = None,
        flow: Any = None,
    ) -> None:
        from prefect_jupyter.core.task_values import as_task
        from prefect_jupyter.utilities.edges import EdgeAnnotation

        if upstream_task is downstream_task:
            raise ValueError("Edges can not connect a task to itself.")
        if key is not None and not (isinstance(key, str) and key.isidentifier()):
            raise ValueError(f'Key must be a valid identifier (received "{key}")')
        annotations: dict[str, bool] = {}
        for end in (upstream_task, downstream_task):
            if isinstance(end, EdgeAnnotation):
                annotations.update(end.annotations)
        self.upstream_task = as_task(upstream_task, flow=flow)
        self.downstream_task = as_task(downstream_task, flow=flow)
        self.key = key
        self.mapped = annotations.get("mapped", bool(mapped))
        self.flattened = annotations.get("flattened", bool(flattened))

    @property
    def tasks(self) -> set:
        """Both ends of the edge."""
        return {self.upstream_task, self.downstream_task}

    def serialize(self) -> dict[str, Any]:
        """The edge as a dict: its tasks' slugs, key, mapped, flattened (Prefect 1's ``EdgeSchema``)."""
        from prefect_jupyter.core import _integrations

        return _integrations.serialize_edge(self)

    def _identity(self) -> tuple:
        return (self.upstream_task, self.downstream_task, self.key, self.mapped, self.flattened)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._identity() == other._identity()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        # the fields written out rather than through _identity(): edges key every task run's
        # upstream states, so this runs once per edge per task run
        return hash((self.upstream_task, self.downstream_task, self.key, self.mapped, self.flattened))

    def __repr__(self) -> str:
        desc = f"Edge(key={self.key}, mapped={self.mapped}, flattened={self.flattened})"
        return f"<{desc}: {self.upstream_task.name} to {self.downstream_task.name}>"
