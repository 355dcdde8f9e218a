"""The console side of prefect_jupyter's loggers: the handler writing to standard error and
its formatter.

Both do what ``logging.StreamHandler`` and ``logging.Formatter`` do, with less per-record work
for the engine's two log lines per task run: the handler writes to whatever ``sys.stderr`` is at
the time (Jupyter's and pytest's replacements included) and formats nothing for a stream that
goes to the null device; the formatter formats a plain %-style record in one step and each
second's date once. :mod:`prefect_jupyter.utilities.logging` attaches them.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

__all__ = ["ConsoleFormatter", "StderrHandler", "discards"]


class ConsoleFormatter(logging.Formatter):
    """A ``Formatter`` that formats the date of each second once: log lines come in bursts."""

    _last: tuple[int, str | None, str] = (-1, None, "")

    def __init__(self, fmt: str | None = None, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)
        self._uses_time = self._style.usesTime()

    def usesTime(self) -> bool:  # noqa: N802
        return self._uses_time

    def format(self, record: logging.LogRecord) -> str:
        """What ``logging.Formatter.format`` returns, with fewer calls for a plain record.

        A record without exception or stack information, formatted with a %-style format,
        is formatted here in one step; any other goes through ``logging.Formatter.format``.
        """
        style = self._style
        if (
            type(style) is not logging.PercentStyle
            or style._defaults  # type: ignore[attr-defined]
            or record.exc_info or record.exc_text or record.stack_info
        ):
            return super().format(record)
        fmt = style._fmt
        if type(record) is logging.LogRecord:  # getMessage() as LogRecord has it, without the call
            message = str(record.msg)
            if record.args:
                message = message % record.args
            record.message = message
        else:
            record.message = record.getMessage()
        if self._uses_time:
            datefmt, last = self.datefmt, self._last
            if datefmt is not None and last[0] == int(record.created) and last[1] == datefmt:
                record.asctime = last[2]  # what formatTime() would answer
            else:
                record.asctime = self.formatTime(record, datefmt)
        try:
            return fmt % record.__dict__
        except KeyError as exc:  # as logging says it
            raise ValueError(f"Formatting field not found in record: {exc}") from None

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt is None:  # the default format shows milliseconds
            return super().formatTime(record, datefmt)
        second = int(record.created)
        last = self._last
        if last[0] == second and last[1] == datefmt:
            return last[2]
        text = super().formatTime(record, datefmt)
        self._last = (second, datefmt, text)
        return text


class StderrHandler(logging.StreamHandler):
    """A ``StreamHandler`` that writes to whatever ``sys.stderr`` is at the time of each record."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        # StreamHandler.__init__ assigns a stream; we always look it up instead.
        pass

    def handle(self, record: logging.LogRecord) -> bool:
        # a flow-run process whose agent does not show flow logs writes to /dev/null: a record
        # nobody can read is not formatted (a handler with filters still runs them)
        if not self.filters and discards(sys.stderr):
            return False
        return bool(super().handle(record))


# (stream, whether it writes to /dev/null), for the last stream asked about
_DISCARDS: list[tuple[Any, bool]] = [(None, False)]


def discards(stream: Any) -> bool:
    """Whether ``stream`` writes to the null device (checked once per stream object)."""
    seen, answer = _DISCARDS[0]
    if stream is seen:
        return answer
    try:
        stat, null = os.fstat(stream.fileno()), os.stat(os.devnull)
        answer = (stat.st_dev, stat.st_ino) == (null.st_dev, null.st_ino)
    except (AttributeError, OSError, ValueError):  # no file behind it (a notebook, a StringIO)
        answer = False
    _DISCARDS[0] = (stream, answer)
    return answer
