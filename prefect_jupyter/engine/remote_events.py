"""Carrying state events from worker processes back to the observers of a run.

Task runs on the ``processes`` scheduler or on a Dask cluster happen in other processes, where the
run's observers (a notebook widget, a progress bar) do not exist. There the task runner is given a
:class:`ForwardingStream` instead of the run's :class:`~prefect_jupyter.engine.events.EventStream`:
it turns each transition into a small JSON-ready message (task slug, map index, both states as
:func:`~prefect_jupyter.engine.state_schema.state_to_dict`, time) and hands it to a *sink* — a
multiprocessing queue, or Dask's event log (``Worker.log_event`` / ``Client.subscribe_topic``).
In the observing process a :class:`Receiver` turns messages back into ``StateEvent`` objects (with
the flow's own task objects) and delivers them while the run goes on.

Forwarded states carry type, message and fields, not result values: results come back through the
executor's futures as usual.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prefect_jupyter.engine.events import EventStream, StateEvent


class ForwardingStream:
    """A picklable stand-in for a run's event stream inside a worker process.

    Args:
        sink: a picklable callable taking one message dict (see :func:`queue_sink`,
            :func:`dask_topic_sink`).
    """

    def __init__(self, sink: Callable[[dict], Any]) -> None:
        self.sink = sink

    def __bool__(self) -> bool:
        return True

    def publish(self, task: Any, map_index: int | None, old_state: Any, new_state: Any) -> None:
        from prefect_jupyter.context import context
        from prefect_jupyter.engine.state_schema import state_to_dict

        message = {
            "flow_run_id": context.get("flow_run_id"),
            "task_slug": context.get("task_slug"),
            "map_index": map_index,
            "old_state": state_to_dict(old_state),
            "new_state": state_to_dict(new_state),
            "timestamp": time.time(),
        }
        try:
            self.sink(message)
        except Exception:  # a lost live update must never fail the task run
            from prefect_jupyter.utilities.logging import get_logger

            get_logger("events").debug("Could not forward a state event", exc_info=True)


class Receiver:
    """Turns forwarded messages back into events for the run's observers.

    Args:
        stream: the run's event stream.
        tasks_by_slug: the flow's tasks by slug, to give events the real task objects.
    """

    def __init__(self, stream: EventStream, tasks_by_slug: dict[str, Any]) -> None:
        self.stream = stream
        self.tasks_by_slug = tasks_by_slug

    def __call__(self, message: dict) -> None:
        from prefect_jupyter.engine.state_schema import state_from_dict

        event = StateEvent(
            message.get("flow_run_id"),
            self.tasks_by_slug.get(message.get("task_slug")),
            message.get("map_index"),
            state_from_dict(message["old_state"]),
            state_from_dict(message["new_state"]),
            message.get("timestamp") or time.time(),
        )
        self.stream.emit(event)


class QueueSink:
    """Puts messages on a (manager) queue shared with worker processes."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue

    def __call__(self, message: dict) -> None:
        self.queue.put(message)


class DaskTopicSink:
    """Logs messages as events on the Dask cluster under ``topic`` (from a worker)."""

    def __init__(self, topic: str) -> None:
        self.topic = topic

    def __call__(self, message: dict) -> None:
        from distributed import get_worker

        try:
            worker = get_worker()
        except ValueError:  # not on a worker (e.g. the client ran the task itself)
            from distributed import get_client

            get_client().log_event(self.topic, message)
            return
        worker.log_event(self.topic, message)
