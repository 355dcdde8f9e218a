"""``TaskRunView``: one task run of a flow run on the server, and its result."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prefect_jupyter.engine.state import State

__all__ = ["NotLoaded", "TaskRunView"]

#: what a view's result is until it is read (a result may be ``None``)
NotLoaded = object()

#: mapped children read per request by `TaskRunView.iter_mapped`
_CHILDREN_PAGE = 500


@dataclass(frozen=True)
class TaskRunView:
    """A task run: ids, task slug and name, map index and state.

    Build one with ``FlowRunView.get_task_run(...)``, `from_task_slug` or `from_task_run_id`.
    Its value (`get_result`, or the ``result`` property) is read once, when first asked for.
    """

    task_run_id: str
    task_id: str
    task_slug: str
    name: str | None
    map_index: int
    flow_run_id: str
    state: State
    serialized_state: dict[str, Any]
    _result: Any = field(default=NotLoaded, compare=False, repr=False)

    @classmethod
    def from_task_run_id(cls, task_run_id: str) -> TaskRunView:
        """The task run ``task_run_id`` as it is now.

        Raises:
            ValueError: there is no such task run.
        """
        import uuid

        from prefect_jupyter.client import Client, queries

        try:
            uuid.UUID(str(task_run_id))
        except ValueError:
            raise ValueError(f"No task run with id {task_run_id!r}: a task run id is a UUID.") from None
        found = Client().graphql(
            queries.TASK_RUN_VIEW, {"where": {"id": {"_eq": task_run_id}}}
        ).data.task_run
        if not found:
            raise ValueError(f"No task run with id {task_run_id!r} on the server.")
        return cls._from_row(found[0])

    def get_latest(self) -> TaskRunView:
        """A fresh view of the same task run."""
        return type(self).from_task_run_id(self.task_run_id)

    def iter_mapped(self) -> Iterator[TaskRunView]:
        """The mapped children of this (``Mapped``) task run, by map index, read a page at a
        time as they are consumed.

        Raises:
            TypeError: this task run is not a mapped parent.
        """
        if not self.state.is_mapped():
            raise TypeError(
                f"Task run {self.task_run_id!r} ({self.task_slug}) is not a mapped task run: "
                "iter_mapped() is for the parent of mapped children."
            )
        from prefect_jupyter.client import Client

        client = Client()
        where = {"flow_run_id": {"_eq": self.flow_run_id}, "task_id": {"_eq": self.task_id},
                 "map_index": {"_gte": 0}}
        offset = 0
        while True:
            rows = client.graphql(
                "query($where: task_run_bool_exp, $limit: Int, $offset: Int) { task_run("
                "where: $where, order_by: {map_index: asc}, limit: $limit, offset: $offset) { "
                "id name map_index flow_run_id state serialized_state task { id slug name } } }",
                {"where": where, "limit": _CHILDREN_PAGE, "offset": offset},
            ).data.task_run
            yield from (type(self)._from_row(row) for row in rows)
            if len(rows) < _CHILDREN_PAGE:
                return
            offset += len(rows)

    @property
    def result(self) -> Any:
        """The task run's value (see `get_result`)."""
        return self.get_result()

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
        """The task run's value, read from where its result was persisted (once; later calls
        answer from memory). A mapped parent's value is the list of its children's.

        Raises:
            ValueError: the task run has not finished, or has no persisted result (the message
                names the fix: a `Result`).
        """
        if self._result is NotLoaded:
            object.__setattr__(self, "_result", self._load_result())
        return self._result

    def _load_result(self) -> Any:
        if not self.state.is_finished():
            raise ValueError(
                f"Task run {self.task_slug!r} of flow run {self.flow_run_id} has not finished "
                f"({self.state!r}): its result can be read once it has (get_latest())."
            )
        if self.state.is_mapped():
            return [child.get_result() for child in self.iter_mapped()]
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
