"""``TaskRunView``: one task run of a flow run on the server, and its result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prefect_jupyter.engine.state import State

__all__ = ["TaskRunView"]


@dataclass(frozen=True)
class TaskRunView:
    """A task run: ids, task slug and name, map index and state.

    Build one with ``FlowRunView.get_task_run(...)`` or `from_task_slug`.
    """

    task_run_id: str
    task_id: str
    task_slug: str
    name: str | None
    map_index: int
    flow_run_id: str
    state: State
    serialized_state: dict[str, Any]

    @classmethod
    def from_task_slug(cls, task_slug: str, flow_run_id: str, map_index: int = -1) -> TaskRunView:
        """The task run of ``task_slug`` (``map_index``) in the flow run ``flow_run_id``.

        Raises:
            ValueError: the flow run has no such task run (yet).
        """
        from prefect_jupyter.client import Client, queries

        where = {
            "flow_run_id": {"_eq": flow_run_id},
            "task": {"slug": {"_eq": task_slug}},
            "map_index": {"_eq": map_index},
        }
        found = Client().graphql(queries.TASK_RUN_VIEW, {"where": where}).data.task_run
        if not found:
            index = "" if map_index == -1 else f"[{map_index}]"
            raise ValueError(
                f"No task run {task_slug}{index} in flow run {flow_run_id}: check the slug "
                "(the task's name and a number, e.g. 'add-1') in the flow run's page."
            )
        return cls._from_row(found[0])

    @classmethod
    def _from_row(cls, row: Any) -> TaskRunView:
        from prefect_jupyter.engine.state_schema import state_from_dict

        data = row.serialized_state.to_dict() if row.get("serialized_state") else {}
        return cls(
            task_run_id=row.id, task_id=row.task.id, task_slug=row.task.slug, name=row.get("name"),
            map_index=row.map_index, flow_run_id=row.flow_run_id,
            state=state_from_dict(data) if data else _state_named(row.state), serialized_state=data,
        )

    def get_result(self) -> Any:
        """The task run's value, read from where its result was persisted.

        Raises:
            ValueError: the task run has no persisted result (name the fix: a `Result`).
        """
        stored = self.serialized_state.get("_result") or {}
        if stored.get("type") == "PrefectResult":
            return self.state.result
        location = stored.get("location")
        if not location:
            raise ValueError(
                f"Task run {self.task_slug!r} of flow run {self.flow_run_id} has no persisted "
                f"result ({self.state!r}): give the task a result that the reading process can "
                "read, e.g. @task(result=PrefectResult()) or LocalResult(dir=...)."
            )
        return self._reader(stored.get("type"), location).read(location).value

    def _reader(self, result_type: str | None, location: str) -> Any:
        """A `Result` of the type that wrote the value: the task's own, from the flow's code."""
        from prefect_jupyter.backend.restore import _reader as result_reader
        from prefect_jupyter.client import Client

        flow = task = None
        if result_type != "LocalResult":
            flow_id = Client().get_flow_run_info(self.flow_run_id).flow_id
            flow = Client().get_flow(flow_id)
            task = next((t for t, slug in flow.slugs.items() if slug == self.task_slug), None)
        reader = result_reader(task, flow, result_type, location)
        if reader is None:
            raise ValueError(
                f"Can't read the {result_type} of task run {self.task_slug!r} at {location!r} here."
            )
        return reader


def _state_named(name: str | None) -> State:
    from prefect_jupyter.engine import state as state_module

    cls = getattr(state_module, name or "Pending", state_module.Pending)
    return cls()
