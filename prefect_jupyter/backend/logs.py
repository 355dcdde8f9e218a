"""Shipping a flow run's log records to the server, through its :class:`RunReporter`.

:class:`RunLogHandler` sits on the ``prefect_jupyter`` logger while a backend run goes on (as
Prefect 1's ``CloudHandler`` did): every record of the run's loggers (``prefect_jupyter.FlowRunner``,
``prefect_jupyter.TaskRunner``, ``prefect_jupyter.<task name>``, ...) is queued with the task run
it came from, read from the context of the thread that logged it. The reporter sends the queue in
batches; logging never waits for the network. The reporter's own warnings (about the server being
away) are not shipped — they would only pile up while the server cannot take them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from prefect_jupyter.backend.reporter import log_record_to_dict

if TYPE_CHECKING:
    from prefect_jupyter.backend.reporter import RunReporter

__all__ = ["RunLogHandler", "shipping_logs"]

_OWN_LOGGERS = ("prefect_jupyter.cloud",)


class RunLogHandler(logging.Handler):
    """Queues log records for the server on a :class:`RunReporter`.

    Args:
        reporter: the reporter of the run.
        level: the lowest level shipped (records below the logger's level never get here).
    """

    def __init__(self, reporter: RunReporter, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.reporter = reporter
        self.setFormatter(logging.Formatter())  # message plus traceback, no prefix

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_OWN_LOGGERS):
            return
        try:
            from prefect_jupyter.context import context

            slug = context.get("task_slug")
            key = None
            if slug:
                index = context.get("map_index")
                key = (slug, -1 if index is None else index)
            self.reporter.add_log(key, log_record_to_dict(record, self.format(record)))
        except Exception:
            self.handleError(record)


@contextmanager
def shipping_logs(reporter: RunReporter, logger_name: str = "prefect_jupyter") -> Iterator[None]:
    """Ship the records of ``logger_name`` and its children to the server inside the block."""
    handler = RunLogHandler(reporter)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
