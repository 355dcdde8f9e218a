"""Shipping a flow run's log records to the server, through its :class:`RunReporter`.

Records take Prefect 1's path: the :class:`~prefect_jupyter.utilities.logging.CloudHandler` on
the ``prefect_jupyter`` logger turns each record of a backend run into a log dict and hands it
to ``LOG_MANAGER``. While :func:`shipping_logs` is open, ``LOG_MANAGER`` gives it to the run's
reporter, tagged with the task run it came from (read from the context of the thread that
logged it); the reporter sends the queue in batches, so logging never waits for the network.
The reporter's own warnings (about the server being away) are not shipped — they would only
pile up while the server cannot take them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from prefect_jupyter.context import context
from prefect_jupyter.utilities.logging import LOG_MANAGER

if TYPE_CHECKING:
    from prefect_jupyter.backend.reporter import RunReporter

__all__ = ["shipping_logs"]

_OWN_LOGGERS = ("prefect_jupyter.cloud",)


@contextmanager
def shipping_logs(reporter: RunReporter) -> Iterator[None]:
    """Ship the records of the ``prefect_jupyter`` loggers to the server inside the block."""

    def ship(log: dict[str, Any]) -> None:
        if log["name"].startswith(_OWN_LOGGERS):
            return
        values = context.__dict__  # the context's keys, read without the Mapping protocol
        slug = values.get("task_slug")
        key = None
        if slug:
            index = values.get("map_index")
            key = (slug, -1 if index is None else index)
        # the reporter sets the run's ids as it sends the record (a mapped child's is made late)
        reporter.add_log(key, dict(log))

    with LOG_MANAGER.shipping_to(ship):
        yield
