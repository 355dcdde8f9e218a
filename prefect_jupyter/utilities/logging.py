"""Loggers of prefect_jupyter, configured from `config.logging`.

Every logger lives under the `"prefect_jupyter"` logger, which gets one handler writing to the
*current* `sys.stderr` (so Jupyter's and pytest's stream replacements are honoured), the level,
format and date format from `config.logging`, and a `ContextFilter`. As in Prefect 1 it still
propagates to the root logger, so application-wide handlers (and pytest's `caplog`) see records.

`ContextFilter` copies run identifiers (`flow_name`, `flow_run_id`, `task_name`, `task_slug`,
`task_run_id`, when set in context) and the context keys listed in `config.logging.log_attributes`
onto each record, so formats may use e.g. `%(task_name)s`.

`redirect_stdout_to_logger` turns `print` output of the current thread into INFO records; the
task runner uses it for tasks with `log_stdout=True`.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from prefect_jupyter.configuration import config
from prefect_jupyter.context import context

__all__ = [
    "ContextFilter",
    "configure_logging",
    "get_logger",
    "redirect_stdout_to_logger",
]

ROOT_LOGGER_NAME = "prefect_jupyter"
TEST_LOGGER_NAME = "prefect_jupyter-test-logger"

# Run identifiers attached to records whenever the context has them (as Prefect 1 does).
RUN_RECORD_ATTRIBUTES = ("flow_name", "flow_run_id", "task_name", "task_slug", "task_run_id")


class ContextFilter(logging.Filter):
    """Attach context values to log records; never drops a record.

    Run identifiers are set only when the context holds a (truthy) value; every key listed in
    `config.logging.log_attributes` is always set, to `None` when missing, so that a format
    referring to it cannot fail outside a run.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        values = context.__dict__
        for name in RUN_RECORD_ATTRIBUTES:
            value = values.get(name)
            if value:
                setattr(record, name, value)
        # Read through the context so that `with context(config=...)` overrides apply.
        settings = values.get("config", config).get("logging")
        extra = settings.get("log_attributes") if settings else None
        if extra:
            for name in extra:
                setattr(record, name, values.get(name))
        return True


class _StderrHandler(logging.StreamHandler):
    """A `StreamHandler` that writes to whatever `sys.stderr` is at the time of each record."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        # StreamHandler.__init__ assigns a stream; we always look it up instead.
        pass


def _level(value: Any) -> int:
    """Turn a configured level ("info", "DEBUG", 10) into a logging level number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    level = logging.getLevelName(str(value).upper())
    if not isinstance(level, int):
        raise ValueError(
            f"Unknown logging level {value!r} in config.logging.level. Use one of NOTSET, DEBUG, "
            "INFO, WARNING, ERROR or CRITICAL (e.g. PREFECT_JUPYTER__LOGGING__LEVEL=DEBUG)."
        )
    return level


def _configure(name: str) -> logging.Logger:
    """Give logger `name` our handler, format and level, replacing a handler set up earlier."""
    settings = config.logging
    logger = logging.getLogger(name)
    for handler in list(logger.handlers):
        if isinstance(handler, _StderrHandler):
            logger.removeHandler(handler)  # reconfiguring must not duplicate output

    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter(settings.format, settings.datefmt))
    handler.addFilter(ContextFilter())
    logger.addHandler(handler)
    logger.setLevel(_level(settings.level))
    return logger


def configure_logging(testing: bool = False) -> logging.Logger:
    """(Re)configure the `prefect_jupyter` logger and the `extra_loggers` from `config.logging`.

    Call it again after changing `config.logging` to apply the change; it replaces its own
    handler rather than adding a second one.

    Args:
        testing: Configure a separate `"prefect_jupyter-test-logger"` instead (the extra loggers
            are left alone), to test logging without touching the real logger.

    Returns:
        The configured logger.
    """
    if testing:
        return _configure(TEST_LOGGER_NAME)
    logger = _configure(ROOT_LOGGER_NAME)
    for name in config.logging.get("extra_loggers") or ():
        _configure(name)
    return logger


def get_logger(name: str | None = None) -> logging.Logger:
    """Return the `prefect_jupyter` logger, or its child `prefect_jupyter.<name>`.

    Children have no handler of their own; their records reach the configured one through the
    parent, and they follow its level unless given their own.

    Example:
        ```python
        get_logger("TaskRunner").info("Task 'add': Starting task run...")
        ```
    """
    if name is None:
        return prefect_jupyter_logger
    return prefect_jupyter_logger.getChild(name)


class _LineLogger:
    """A write-only text stream that logs each complete line as an INFO record."""

    def __init__(self, logger: logging.Logger, fallback: TextIO) -> None:
        self.logger = logger
        self.fallback = fallback
        self._pending = ""
        self._emitting = False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self._emitting:
            # A handler of `logger` writes to stdout (e.g. a StreamHandler created while the
            # redirect was active): send that to the real stream instead of looping forever.
            return self.fallback.write(text)
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            self._emit(line)
        return len(text)

    def flush(self) -> None:
        """Log a pending partial line (text printed with `end=""`)."""
        if self._pending:
            line, self._pending = self._pending, ""
            self._emit(line)

    def _emit(self, line: str) -> None:
        if not line.strip():
            return  # blank lines carry nothing worth a record, as in Prefect 1
        self._emitting = True
        try:
            self.logger.info(line.rstrip("\r"))
        finally:
            self._emitting = False


class _ThreadRoutedStdout:
    """Stands in for `sys.stdout` while redirects are active.

    Writes from a thread with an active redirect go to that redirect; all other threads write to
    the stream that was `sys.stdout` before, so their output is neither logged nor lost.
    """

    def __init__(self, original: TextIO) -> None:
        self.original = original
        self.targets: dict[int, _LineLogger] = {}

    def _target(self) -> Any:
        return self.targets.get(threading.get_ident(), self.original)

    def write(self, text: str) -> int:
        return self._target().write(text)

    def writelines(self, lines: Any) -> None:
        target = self._target()
        for line in lines:
            target.write(line)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return False if threading.get_ident() in self.targets else self.original.isatty()

    def __getattr__(self, name: str) -> Any:
        # encoding, fileno, ...: answer as the real stream would
        return getattr(self.original, name)


_redirect_lock = threading.Lock()


@contextmanager
def redirect_stdout_to_logger(logger: logging.Logger | None = None) -> Iterator[None]:
    """Log what the current thread prints, one INFO record per line, on `logger`.

    Blank lines are skipped and a trailing partial line is logged on exit. Only the calling
    thread is redirected: other threads keep printing to the real stdout (unlike Prefect 1's
    process-wide `redirect_stdout`), which matters when tasks run on a thread pool. Threads
    started inside the block are not redirected either. `sys.stdout` is put back on exit, also
    when the block raises. Redirects nest: the innermost one wins.

    Args:
        logger: Where records go; defaults to `get_logger("stdout")`.

    Example:
        ```python
        with redirect_stdout_to_logger(get_logger("TaskRunner")):
            print("hello")   # -> INFO record "hello" on prefect_jupyter.TaskRunner
        ```
    """
    ident = threading.get_ident()
    with _redirect_lock:
        router = sys.stdout
        if not isinstance(router, _ThreadRoutedStdout):
            router = _ThreadRoutedStdout(sys.stdout)
            sys.stdout = router  # type: ignore[assignment]
        target = _LineLogger(logger or get_logger("stdout"), router.original)
        previous = router.targets.get(ident)
        router.targets[ident] = target
    try:
        yield
    finally:
        try:
            target.flush()
        finally:
            _stop_redirect(router, ident, previous)


def _stop_redirect(router: _ThreadRoutedStdout, ident: int, previous: _LineLogger | None) -> None:
    with _redirect_lock:
        if previous is None:
            router.targets.pop(ident, None)
        else:
            router.targets[ident] = previous
        # Uninstall only if nobody replaced sys.stdout in the meantime; otherwise the
        # replacement's owner restores it and the router, now idle, just passes writes on.
        if not router.targets and sys.stdout is router:
            sys.stdout = router.original


prefect_jupyter_logger = configure_logging()
context.logger = prefect_jupyter_logger
