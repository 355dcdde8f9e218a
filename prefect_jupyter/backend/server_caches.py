"""Cached task results of earlier runs on the server, for tasks with ``cache_for``.

In ``flow.run()`` a task's ``Cached`` states live in ``context.caches`` for the life of the
process. A run an agent executes starts in a fresh process, so before it starts, the ``Cached``
states the server holds for each of its tasks with ``cache_for`` go into the run's
``context.caches`` (as Prefect 1's ``CloudTaskRunner`` asked the server for them): those stored
within the task's ``cache_for``, of task runs of tasks with the same ``cache_key`` (any flow) or,
without a key, of the same task (this version of the flow), newest first. The task then checks
them with its ``cache_validator`` as usual, and a valid one's value is read from the location it
was written to (``State.load_result``). A state whose value was not persisted (no result
location: checkpointing off, or no ``Result``) has nothing to reuse and is left out; when
the server cannot be asked, the task runs as if nothing were cached (a warning says so).
"""

from __future__ import annotations

import datetime
from typing import Any

from prefect_jupyter.engine.state import State
from prefect_jupyter.utilities.logging import get_logger

__all__ = ["server_caches"]

_logger = get_logger("cloud.caches")


def server_caches(client: Any, flow: Any, task_ids: dict[str, str]) -> dict[str, list[State]]:
    """``context.caches`` for a run of ``flow``: key (``cache_key`` or task name) -> the server's
    usable ``Cached`` states, newest first.

    Args:
        client: the run's API client (``get_latest_cached_states``).
        task_ids: task slug -> the server's task id, for this version of the flow.
    """
    caches: dict[str, list[State]] = {}
    now = datetime.datetime.now(datetime.UTC)
    for task in flow.tasks:
        if task.cache_for is None:
            continue
        task_id = task_ids.get(flow.slugs.get(task, ""))
        if task_id is None and task.cache_key is None:
            continue
        try:
            found = client.get_latest_cached_states(task_id, task.cache_key, now - task.cache_for)
        except Exception as exc:  # the run goes on; the task runs as if nothing were cached
            _logger.warning("Task '%s': its cached results on the server could not be read "
                            "(%s); it runs as if none were cached.", task.name, exc)
            continue
        usable = [state for state in found if _persisted(state)]
        if usable:
            caches.setdefault(task.cache_key or task.name, []).extend(usable)
    if caches:
        _logger.debug("Cached states from the server: %s",
                      ", ".join(f"{key} ({len(states)})" for key, states in caches.items()))
    return caches


def _persisted(state: State) -> bool:
    result = getattr(state, "_result", None)
    return getattr(result, "location", None) is not None
