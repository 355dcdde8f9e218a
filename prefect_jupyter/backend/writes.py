"""What a run's reporter keeps for the server: its writes, the task runs they go to, and the
server calls it needs.

Shared by the reporter (``reporter.py``: the queues and the order of sending), the sending of
batches (``sending.py``), the spool (``spool.py``: writes kept on disk) and the real server
calls (``api.py``).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Protocol

__all__ = ["LogWrite", "ReportAPI", "StateWrite", "TaskKey", "TaskRunRef"]

# (task slug, map index) where the map index is -1 for a task run that is not a mapped child
TaskKey = tuple[str, int]


@dataclasses.dataclass
class TaskRunRef:
    """A task run on the server: its id and the version its next write must carry."""

    id: str
    version: int


class ReportAPI(Protocol):
    """What the reporter needs from the server (see ``backend/api.py`` for the real one).

    Every method raises the client's ``ServerUnavailable`` when the server can't take the call
    now, and ``WriteRejected`` when it refuses it (``client/errors.py``).
    """

    def task_runs(self, flow_run_id: str, keys: list[tuple[str, int]]) -> list[TaskRunRef]:
        """Find or create the task runs of ``(task_id, map_index)`` pairs, in order."""

    def task_run_versions(self, task_run_ids: list[str]) -> dict[str, int]:
        """The current version of each task run."""

    def flow_run_state(self, flow_run_id: str) -> tuple[str, int]:
        """The flow run's current state name and version."""

    def set_task_run_states(self, states: list[dict[str, Any]]) -> None:
        """Write ``{task_run_id, version, state}`` items, in order."""

    def set_flow_run_states(self, states: list[dict[str, Any]]) -> None:
        """Write ``{flow_run_id, version, state}`` items, in order."""

    def write_run_logs(self, logs: list[dict[str, Any]]) -> None:
        """Store log records."""

    # optional: ``write_run_report(flow_run_id, states, logs) -> bool`` stores task states and
    # log records in one request (see BackendAPI); without it they are sent apart. With it,
    # ``stored_log_ids(ids) -> set`` tells whether a report whose answer was lost was stored

    def flow_run_heartbeat(self, flow_run_id: str) -> None:
        """Tell the server the flow run is alive."""

    def task_run_heartbeat(self, task_run_id: str) -> None:
        """Tell the server a task run is alive."""


#: one sequence for every write of every reporter: the order in which they were queued
_SEQUENCE = itertools.count()


@dataclasses.dataclass(slots=True)
class StateWrite:
    """A task-run (``key`` set) or flow-run (``key=None``) state waiting for the server."""

    key: TaskKey | None
    state: dict[str, Any]
    running: bool
    finished: bool
    done: bool = False
    seq: int = dataclasses.field(default_factory=_SEQUENCE.__next__)


@dataclasses.dataclass(slots=True)
class LogWrite:
    """A log record waiting for the server (``key``: its task run, ``None`` for the flow run;
    ``id``: the record's id on the server, given when a report first carries it)."""

    key: TaskKey | None
    record: dict[str, Any]
    seq: int = dataclasses.field(default_factory=_SEQUENCE.__next__)
    id: str | None = None
