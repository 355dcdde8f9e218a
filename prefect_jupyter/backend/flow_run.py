"""``FlowRunView`` and ``watch_flow_run``: follow a flow run on the server from another process.

This is what flows of flows use (`prefect_jupyter.tasks.prefect`): a parent flow creates a child
run, watches it (its states and logs, streamed into the parent's logs) until it finishes, and
reads a child's task result. Everything goes through the public GraphQL API.

Example:
    >>> from prefect_jupyter.backend.flow_run import FlowRunView, watch_flow_run
    >>> for log in watch_flow_run(flow_run_id, stream_logs=True):   # doctest: +SKIP
    ...     print(log.level, log.message)
    >>> FlowRunView.from_flow_run_id(flow_run_id).state              # doctest: +SKIP
    <Success: "All reference tasks succeeded.">
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from prefect_jupyter.backend.flow import FlowView
from prefect_jupyter.backend.task_run import TaskRunView
from prefect_jupyter.engine.state import State

__all__ = [
    "FlowRunLog",
    "FlowRunView",
    "FlowView",
    "TaskRunView",
    "check_for_compatible_agents",
    "stream_flow_run_logs",
    "watch_flow_run",
]

#: after this long in Scheduled, watch_flow_run says once that no agent has picked the run up
AGENT_WARNING_AFTER = datetime.timedelta(seconds=15)


class FlowRunLog(NamedTuple):
    """One line about a flow run: a log it wrote, or a state it entered."""

    timestamp: datetime.datetime
    level: int
    message: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowRunLog:
        """A line from a stored log record (``timestamp``, ``level`` name, ``message``)."""
        return cls(_when(data["timestamp"]), _level(data.get("level")), data.get("message") or "")


_FLOW_RUN_FIELDS = """id name flow_id parameters context labels run_config state serialized_state
  updated states(order_by: [{timestamp: asc}, {version: asc}]) { timestamp serialized_state state
  message }"""


@dataclass
class FlowRunView:
    """A flow run as the server knows it now; `get_latest` fetches a fresh view.

    Build one with `from_flow_run_id`. Prefect 1's attributes: ``flow_run_id``, ``name``,
    ``flow_id``, ``state``, ``labels``, ``parameters``, ``context``, ``states`` (its past states,
    oldest first, each with a ``timestamp``), ``updated_at`` and ``run_config``.
    """

    flow_run_id: str
    name: str
    flow_id: str
    state: State
    parameters: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    updated_at: Any = None
    run_config: Any = None
    task_runs: Any = None  # Prefect 1's cache argument: task runs are always read fresh here

    @classmethod
    def from_flow_run_id(cls, flow_run_id: str, load_static_tasks: bool = False) -> FlowRunView:
        """The flow run ``flow_run_id`` as it is now (``load_static_tasks`` is accepted for
        Prefect 1's signature; task runs are read when asked for).

        Raises:
            ValueError: there is no such flow run.
        """
        from prefect_jupyter.client import Client

        run = Client().graphql(
            f"query($id: uuid!) {{ flow_run_by_pk(id: $id) {{ {_FLOW_RUN_FIELDS} }} }}",
            {"id": flow_run_id},
        ).data.flow_run_by_pk
        if run is None:
            raise ValueError(f"No flow run with id {flow_run_id!r} on the server.")
        return cls._from_flow_run_data(run.to_dict() if hasattr(run, "to_dict") else run)

    @classmethod
    def _from_flow_run_data(cls, run: dict[str, Any]) -> FlowRunView:
        from prefect_jupyter.backend.flow import _load

        return cls(
            flow_run_id=run["id"], name=run.get("name") or "", flow_id=run["flow_id"],
            state=_state(run.get("serialized_state"), run.get("state")),
            parameters=dict(run.get("parameters") or {}), context=dict(run.get("context") or {}),
            labels=list(run.get("labels") or []),
            states=[_timestamped(row) for row in run.get("states") or []],
            updated_at=_pendulum(run.get("updated")),
            run_config=_load("prefect_jupyter.run_configs.schema.RunConfigSchema",
                             run.get("run_config")),
        )

    def get_flow_metadata(self, no_cache: bool = False) -> FlowView:
        """The registered flow this run is of (``no_cache`` is accepted for Prefect 1's
        signature; it is read each time)."""
        return FlowView.from_flow_id(self.flow_id)

    def get_task_run_ids(self) -> list[str]:
        """The ids of this run's task runs (mapped children included)."""
        from prefect_jupyter.client import Client

        rows = Client().graphql(
            "query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}, "
            "order_by: [{created: asc}, {map_index: asc}]) { id } }", {"id": self.flow_run_id},
        ).data.task_run
        return [row["id"] for row in rows]

    def get_all_task_runs(self) -> list[TaskRunView]:
        """All of this run's task runs, as they are now."""
        from prefect_jupyter.client import Client, queries

        rows = Client().graphql(
            queries.TASK_RUN_VIEW, {"where": {"flow_run_id": {"_eq": self.flow_run_id}}}
        ).data.task_run
        return [TaskRunView._from_row(row) for row in rows]

    def get_latest(self, load_static_tasks: bool = False) -> FlowRunView:
        """A fresh view of the same flow run."""
        return type(self).from_flow_run_id(self.flow_run_id, load_static_tasks=load_static_tasks)

    def get_logs(
        self, start_time: datetime.datetime | None = None, end_time: datetime.datetime | None = None
    ) -> list[FlowRunLog]:
        """The run's log lines, oldest first: after ``start_time`` (when given) and up to
        ``end_time`` (by default when this view was read, ``updated_at``: a fresh view with
        `get_latest` sees later lines)."""
        from prefect_jupyter.client import Client

        end = end_time or self.updated_at
        where: list[dict[str, Any]] = [{"flow_run_id": {"_eq": self.flow_run_id}}]
        if end is not None:
            where.append({"timestamp": {"_lte": end.isoformat()}})
        if start_time is not None:
            where.append({"timestamp": {"_gt": start_time.isoformat()}})
        rows = Client().graphql(
            "query($where: log_bool_exp) { log(where: $where, order_by: [{timestamp: asc}, "
            "{id: asc}]) { timestamp level message } }", {"where": {"_and": where}},
        ).data.log
        return [FlowRunLog.from_dict(row) for row in rows]

    def get_task_run(
        self, task_slug: str | None = None, task_run_id: str | None = None, map_index: int = -1
    ) -> TaskRunView:
        """One of this run's task runs: by its id, or by task slug (and map index).

        Raises:
            ValueError: neither was given, or this run has no such task run.
        """
        if task_run_id is not None:
            found = TaskRunView.from_task_run_id(task_run_id)
            if found.flow_run_id != self.flow_run_id:
                raise ValueError(
                    f"Task run {task_run_id} belongs to flow run {found.flow_run_id}, not to "
                    f"this one ({self.flow_run_id}): read it from its own flow run."
                )
            return found
        if task_slug is None:
            raise ValueError(
                "get_task_run needs the task's slug (task_slug='add-1') or a task run id "
                "(task_run_id=...)."
            )
        return TaskRunView.from_task_slug(task_slug, self.flow_run_id, map_index=map_index)

    def __repr__(self) -> str:
        return f"FlowRunView(flow_run_id={self.flow_run_id!r}, name={self.name!r}, state={self.state!r})"


def _state(serialized: Any, name: str | None = None) -> State:
    from prefect_jupyter.backend.task_run import _state_named
    from prefect_jupyter.engine.state_schema import state_from_dict

    data = serialized.to_dict() if hasattr(serialized, "to_dict") else serialized
    if data:
        return state_from_dict(dict(data))
    return _state_named(name) if name else State()


def _pendulum(text: Any) -> Any:
    import pendulum

    return pendulum.parse(text) if isinstance(text, str) else None


def _timestamped(row: dict[str, Any]) -> State:
    """A past state with its ``timestamp`` (as Prefect 1's views give them)."""
    state = _state(row.get("serialized_state"), row.get("state"))
    if not row.get("serialized_state") and row.get("message"):
        state.message = row["message"]
    state.timestamp = _pendulum(row.get("timestamp"))  # type: ignore[attr-defined]
    return state


def _level(name: str | None) -> int:
    level = logging.getLevelName(str(name or "INFO").upper())
    return level if isinstance(level, int) else logging.INFO


def _when(text: Any) -> datetime.datetime:
    if isinstance(text, str):
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return datetime.datetime.now(datetime.UTC)


class _Watcher:
    """Reads a run's new states and logs since the last poll (offsets into ordered lists)."""

    def __init__(self, flow_run_id: str) -> None:
        from prefect_jupyter.client import Client

        self.flow_run_id = flow_run_id
        self.client = Client()
        self.states_seen = 0
        self.logs_seen = 0

    def new_states(self) -> list[tuple[FlowRunLog, str]]:
        from prefect_jupyter.client import queries

        rows = self.client.graphql(
            queries.FLOW_RUN_STATES_AFTER, {"id": self.flow_run_id, "offset": self.states_seen}
        ).data.flow_run_state
        self.states_seen += len(rows)
        return [
            (FlowRunLog(_when(r.timestamp), logging.INFO,
                        f"Entered state <{r.state}>: {r.message}" if r.message else
                        f"Entered state <{r.state}>"), r.state)
            for r in rows
        ]

    def new_logs(self) -> list[FlowRunLog]:
        from prefect_jupyter.client import queries

        rows = self.client.graphql(
            queries.FLOW_RUN_LOGS_AFTER, {"id": self.flow_run_id, "offset": self.logs_seen}
        ).data.log
        self.logs_seen += len(rows)
        return [FlowRunLog(_when(r.timestamp), _level(r.level), r.message or "") for r in rows]


def watch_flow_run(
    flow_run_id: str,
    stream_states: bool = True,
    stream_logs: bool = False,
    max_duration: datetime.timedelta = datetime.timedelta(hours=12),
    poll_interval: float = 1.0,
) -> Iterator[FlowRunLog]:
    """Follow a flow run until it finishes, yielding its new states and logs as they come.

    Args:
        flow_run_id: the run to follow.
        stream_states: yield ``Entered state <Running>: ...`` lines.
        stream_logs: yield the run's own logs.
        max_duration: give up after this long.
        poll_interval: seconds between polls (grows up to 5 s while nothing happens).

    Raises:
        RuntimeError: the run did not finish within ``max_duration``.
    """
    watcher = _Watcher(flow_run_id)
    started = time.monotonic()
    warned = False
    wait = poll_interval
    while True:
        finished = FlowRunView.from_flow_run_id(flow_run_id).state.is_finished()
        lines: list[FlowRunLog] = []
        states = watcher.new_states()
        if stream_states:
            lines += [line for line, _ in states]
        if stream_logs:
            lines += watcher.new_logs()
        yield from sorted(lines, key=lambda line: line.timestamp)
        if finished:
            return
        elapsed = time.monotonic() - started
        if not warned and elapsed > AGENT_WARNING_AFTER.total_seconds() and watcher.states_seen <= 1:
            warned = True
            yield FlowRunLog(datetime.datetime.now(datetime.UTC), logging.WARNING,
                             "The flow run has not been picked up by an agent yet: is an agent "
                             "running, with all of the flow's labels?")
        if elapsed > max_duration.total_seconds():
            raise RuntimeError(
                f"Flow run {flow_run_id} did not finish within {max_duration}; it is still "
                "running on the server."
            )
        wait = poll_interval if lines else min(wait * 1.5, 5.0)
        time.sleep(wait)


def stream_flow_run_logs(
    flow_run_id: str, max_duration: datetime.timedelta = datetime.timedelta(hours=12)
) -> None:
    """Print a flow run's states and logs as they come (`watch_flow_run`), one line each with
    the local time and level, until it finishes."""
    for line in watch_flow_run(flow_run_id, stream_logs=True, max_duration=max_duration):
        when = line.timestamp.astimezone()
        print(f"{when:%H:%M:%S} | {logging.getLevelName(line.level):<7} | {line.message}")


def check_for_compatible_agents(labels: Iterable[str], since_minutes: int = 1) -> str:
    """Say whether an agent the server knows can run a flow run with ``labels``.

    An agent can when the run's labels are all among its own (as agents pick runs); it counts
    as healthy when it asked the server for work in the last ``since_minutes`` minutes. The
    answer is one sentence for people: which agent will pick the run up, or why none will and
    what to start.
    """
    from prefect_jupyter.client import Client

    wanted = set(labels)
    shown = f"labels {sorted(wanted)!r}" if wanted else "no labels"
    rows = Client().graphql("query { agent { id name labels last_queried } }").data.agent
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=since_minutes)
    seen = [(row, _when(row.last_queried)) for row in rows if row.get("last_queried")]
    healthy = [(row, when) for row, when in seen if when >= since]
    fitting = [(row, when) for row, when in seen if wanted <= set(row.get("labels") or ())]
    fitting_healthy = [(row, when) for row, when in fitting if when >= since]
    if len(fitting_healthy) == 1:
        row, when = fitting_healthy[0]
        return (f"Agent {_agent_name(row)} has matching labels and last asked for work "
                f"{_ago(when)}. It should run your flow run.")
    if fitting_healthy:
        return (f"Found {len(fitting_healthy)} healthy agents with matching labels. One of them "
                "should run your flow run.")
    if len(fitting) == 1:
        row, when = fitting[0]
        return (f"Agent {_agent_name(row)} has matching labels but last asked for work "
                f"{_ago(when)}, so it looks unhealthy. Restart it, or start an agent with "
                f"{shown} (prefect-jupyter agent local start), to run your flow run.")
    if fitting:
        return (f"Found {len(fitting)} agents with matching labels, but none asked for work in "
                f"the last {since_minutes} minute(s): they look unhealthy. Restart one of them, "
                f"or start an agent with {shown}, to run your flow run.")
    if not healthy:
        return ("There are no healthy agents, and no agent with matching labels has run "
                f"recently. Start an agent with {shown} (prefect-jupyter agent local start) to "
                "run your flow run.")
    return (f"There are {len(healthy)} healthy agent(s), but none has {shown} among its own. "
            "Start an agent with matching labels to run your flow run.")


def _agent_name(row: Any) -> str:
    return f"{row.id} ({row.name})" if row.get("name") else str(row.id)


def _ago(when: datetime.datetime) -> str:
    seconds = int((datetime.datetime.now(datetime.UTC) - when).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} seconds ago"
    if seconds < 3600:
        return f"{seconds // 60} minutes ago"
    return f"{seconds // 3600} hours ago"
