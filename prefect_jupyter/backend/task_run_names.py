"""Task run names on the server: what each task's ``task_run_name`` template made of its inputs.

The task runner fills the template into ``context.task_run_name`` just before the run starts
(``engine/task_runner.py``). :class:`TaskRunNamer` is an observer on the run's state-event
stream, like the reporter: on each task run's ``Running`` event it notes the name from the
context of the task run publishing it (events of a local or thread executor are published on
the task's own thread). After the run's states and logs are sent it names the task runs with
Prefect Server 1's ``set_task_run_name`` — after, because a mapped child's task run only exists
on the server once the reporter has created it. One request per named task run, as Prefect 1's
``CloudTaskRunner`` made; tasks without a template cost nothing.

Limits: with a Dask executor the events come back without the task's context, so names are not
sent; a name that the server refuses (empty, too long) is logged and skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from prefect_jupyter.backend.writes import TaskKey, TaskRunRef
from prefect_jupyter.client.errors import ClientError
from prefect_jupyter.engine.events import StateEvent

__all__ = ["TaskRunNamer"]

_logger = logging.getLogger("prefect_jupyter.backend")


class TaskRunNamer:
    """Notes each templated task run's name as it starts; :meth:`send` names them on the server.

    Args:
        client: the API client (``set_task_run_name``).
        slugs: the flow's slug of each task.
    """

    def __init__(self, client: Any, slugs: Mapping[Any, str]) -> None:
        self.client = client
        self.slugs = slugs
        self.names: dict[TaskKey, str] = {}
        self._lock = threading.Lock()

    def __call__(self, event: StateEvent) -> None:
        task = event.task
        if task is None or not getattr(task, "task_run_name", None):
            return
        if not event.new_state.is_running():
            return
        from prefect_jupyter.context import context

        name = context.get("task_run_name")
        slug = self.slugs.get(task)
        if name and slug:
            with self._lock:
                self.names[(slug, -1 if event.map_index is None else event.map_index)] = str(name)

    def send(self, task_runs: Mapping[TaskKey, TaskRunRef]) -> int:
        """Name the noted task runs the server has (``task_runs``); returns how many were named.
        A server that is away or refuses a name loses that name only (logged)."""
        with self._lock:
            names = dict(self.names)
        named = 0
        for key, name in names.items():
            ref = task_runs.get(key)
            if ref is None:
                continue
            try:
                self.client.set_task_run_name(ref.id, name)
            except ClientError as exc:
                _logger.warning("Task run %s[%d] could not be named %r: %s", *key, name, exc)
                continue
            named += 1
        return named
