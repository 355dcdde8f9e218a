"""Log lines of a flow run shown in the widget, and a quiet stderr while a widget shows a run.

While a widget observes a run, :class:`RunLogHandler` (on the ``prefect_jupyter`` logger) keeps
each record as one line ``"HH:MM:SS LEVEL who: message"`` — for the task run that logged it
(per node, and per mapped child) and for the run as a whole. A record with an exception adds the
exception's last line (``ZeroDivisionError: division by zero``); the widget shows the full
traceback in the task's details.

Meanwhile the logger's stderr output (Jupyter shows stderr in a pink box) keeps only warnings
and errors: :func:`quiet_stderr` puts :class:`BelowWarningFilter` on the logger's stream handlers
while any widget shows a run, and takes it off when the last such run ends. Which records are
made at all is the ``prefect_jupyter`` logger's level: ``%config PrefectJupyter.log_level``.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["BelowWarningFilter", "RunLogHandler", "format_line", "quiet_stderr"]


def format_line(record: logging.LogRecord, who: str) -> str:
    """``"HH:MM:SS LEVEL who: message"`` (plus the exception's last line, if any)."""
    stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
    line = f"{stamp} {record.levelname} {who}: {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        last = traceback.format_exception_only(record.exc_info[0], record.exc_info[1])[-1].strip()
        line += f" {last}"
    return line


class RunLogHandler(logging.Handler):
    """Keeps the log lines of one flow run in a ``RunTracker``.

    ``emit`` runs on the thread that logged, where ``prefect_jupyter.context`` still holds the
    run's ``flow_run_id`` and, inside a task run, ``task_slug`` (the node id), ``map_index`` and
    ``task_full_name``. Records from other runs are left alone.
    """

    def __init__(self, tracker: Any, on_line: Callable[[], Any] | None = None) -> None:
        super().__init__(logging.NOTSET)
        self.tracker = tracker
        self.on_line = on_line  # a weak method: the logger holding us must not keep its owner
        self.attached = True

    def emit(self, record: logging.LogRecord) -> None:
        from prefect_jupyter.context import context

        ctx = context.__dict__
        run_id = ctx.get("flow_run_id")
        if run_id != self.tracker.flow_run_id and (
            self.tracker.active or ctx.get("flow_name") != self.tracker.flow_name
        ):
            return  # another run (a run of our flow about to start is ours)
        node = ctx.get("task_slug")
        if node is not None and node not in self.tracker.kinds:
            return
        try:
            who = (ctx.get("task_full_name") or ctx.get("task_name") or node) if node else "flow"
            line = format_line(record, str(who))
        except Exception:
            self.handleError(record)
            return
        self.tracker.add_log(node, ctx.get("map_index") if node else None, line)
        schedule = self.on_line() if self.on_line is not None else None
        if schedule is not None:
            schedule()  # a task that logs without changing state still shows its lines


class BelowWarningFilter(logging.Filter):
    """Drops records below WARNING (the widget shows them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_FILTER = BelowWarningFilter()
_lock = threading.Lock()
_shown_runs = 0


def quiet_stderr(on: bool) -> None:
    """Count one more (``on``) or one fewer widget showing a run; while the count is above zero,
    the ``prefect_jupyter`` logger's stream handlers pass only warnings and errors."""
    from prefect_jupyter.utilities.logging import get_logger

    global _shown_runs
    with _lock:
        _shown_runs = max(0, _shown_runs + (1 if on else -1))
        streams = [h for h in get_logger().handlers if isinstance(h, logging.StreamHandler)]
        for handler in streams:
            if _shown_runs:
                if _FILTER not in handler.filters:
                    handler.addFilter(_FILTER)
            else:
                handler.removeFilter(_FILTER)
