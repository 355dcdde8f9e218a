"""Loggers of prefect_jupyter: Prefect 1's ``prefect.utilities.logging``, under ``prefect_jupyter``.

The hierarchy is Prefect 1's with the package's name: ``prefect_jupyter`` is the root logger,
the runners log on ``prefect_jupyter.FlowRunner`` and ``prefect_jupyter.TaskRunner``, a task on
``prefect_jupyter.<task name>`` and a mapped child on ``prefect_jupyter.<task name>[i]``. Code
that configured ``logging.getLogger("prefect")`` changes that name as it changes its imports.

The root logger (and every name in ``config.logging.extra_loggers``) gets two handlers:

* a console handler writing to the *current* ``sys.stderr`` (so Jupyter's and pytest's stream
  replacements are honoured), with the format and date format of ``config.logging``
  (:mod:`prefect_jupyter.utilities.console_log`);
* a :class:`CloudHandler`, which ships records to the server while a run is backed by it and
  returns at once otherwise.

It also propagates to the root logger, so application-wide handlers (and pytest's ``caplog``)
see records. Run identifiers (``flow_name``, ``flow_run_id``, ``task_name``, ``task_slug``,
``task_run_id``, when set in context) and the context keys listed in
``config.logging.log_attributes`` are put on every record when it is made (a log record
factory, as in Prefect 1), so any handler's format may use e.g. ``%(task_name)s``.

Cost: the engine logs two INFO lines per task run, so a record is kept cheap. The engine makes
those records with :func:`log_line`, which builds the same ``LogRecord`` as ``logger.info``
(every attribute, the context attributes, the caller's file and line) without the per-record
work that does not change within a process (splitting the caller's path, the process name), and
hands it to the handlers of the logger and its ancestors in one loop (:func:`_handle`); the
message is still formatted only by a handler that formats it. Context values are read from the
thread's plain dict, the console formatter formats a plain record in one step and the date once
per second, and an inactive cloud handler is skipped (or, called, answers "not in a backend run"
without taking its lock).
"""

from __future__ import annotations

import atexit
import datetime
import json
import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from queue import Empty, Queue
from typing import Any

from prefect_jupyter.configuration import config
from prefect_jupyter.context import context
from prefect_jupyter.utilities.console_log import ConsoleFormatter, StderrHandler
from prefect_jupyter.utilities.log_stdout import redirect_stdout_to_logger

__all__ = [
    "CloudHandler",
    "ContextFilter",
    "LOG_MANAGER",
    "LogManager",
    "RedirectToLog",
    "configure_extra_loggers",
    "configure_logging",
    "create_diagnostic_logger",
    "get_logger",
    "log_line",
    "mapped_child_logger",
    "redirect_stdout_to_logger",
    "temporary_logger_config",
]

ROOT_LOGGER_NAME = "prefect_jupyter"
TEST_LOGGER_NAME = "prefect_jupyter-test-logger"

# Run identifiers attached to records whenever the context has them (as Prefect 1 does).
PREFECT_LOG_RECORD_ATTRIBUTES = ("flow_name", "flow_run_id", "task_name", "task_slug", "task_run_id")
RUN_RECORD_ATTRIBUTES = PREFECT_LOG_RECORD_ATTRIBUTES

MAX_LOG_SIZE = 1_000_000  # bytes of one shipped record; longer messages are cut
MAX_BATCH_LOG_SIZE = 4_000_000  # bytes of one upload of records
# What a shipped record weighs besides its message: ids, timestamp, a long logger name, level.
LOG_OVERHEAD = len(json.dumps({
    "flow_run_id": "0" * 32, "task_run_id": "0" * 32, "timestamp": "2000-01-01T00:00:00.000000+00:00",
    "name": "X" * 100, "level": "WARNING", "message": "",
}))


def getlogsize(log: Mapping[str, Any]) -> int:
    """The size a shipped record is counted at: its message plus :data:`LOG_OVERHEAD`."""
    return len(log.get("message", "")) + LOG_OVERHEAD


def _values(mapping: Any, key: str) -> Any:
    # Config sections keep their keys in __dict__: a plain dict lookup, not the Mapping protocol
    found = getattr(mapping, "__dict__", None)
    if found is None:
        return mapping.get(key) if isinstance(mapping, Mapping) else None
    return found.get(key)


def _add_context_attributes(attrs: dict[str, Any]) -> None:
    """Put the context's run identifiers and ``log_attributes`` into a record's ``__dict__``."""
    values = context.__dict__
    for name in RUN_RECORD_ATTRIBUTES:
        value = values.get(name)
        if value:
            attrs[name] = value
    try:  # Config sections keep their keys in __dict__: plain dict lookups, no Mapping protocol
        extra = values["config"].__dict__["logging"].__dict__.get("log_attributes")
    except (KeyError, AttributeError):  # a context without a config, or one made of plain dicts
        settings = _values(values.get("config") or config, "logging")
        extra = _values(settings, "log_attributes") if settings is not None else None
    if extra:
        for name in extra:
            attrs[name] = values.get(name)


_base_record_factory = logging.getLogRecordFactory()


def _record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """The log record factory: every record made in a run carries the run's identifiers."""
    record = _base_record_factory(*args, **kwargs)
    _add_context_attributes(record.__dict__)
    return record


# (pathname) -> (filename, module): what LogRecord splits out of the caller's path every time
_PATH_PARTS: dict[str, tuple[str, str]] = {}
_RECORD_KEYS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)


def log_line(logger: logging.Logger, level: int, msg: str, *args: Any) -> None:
    """Log ``msg % args`` at ``level`` on ``logger``, as ``logger.log(level, msg, *args)`` does.

    For the engine's per-task lines. The record is the one ``logger.log`` makes — every
    ``LogRecord`` attribute, the caller's file, line and function, the context attributes — and
    reaches the same handlers (see :func:`_handle`). With another record factory installed
    (``logging.setLogRecordFactory``), this simply calls ``logger.log``.
    """
    if not logger.isEnabledFor(level):
        return
    if logging._logRecordFactory is not _record_with_context:  # type: ignore[attr-defined]
        logger.log(level, msg, *args, stacklevel=2)
        return
    caller = sys._getframe(1)
    code = caller.f_code
    path = code.co_filename
    parts = _PATH_PARTS.get(path)
    if parts is None:
        filename = os.path.basename(path)
        parts = _PATH_PARTS[path] = (filename, os.path.splitext(filename)[0])
    created = time.time()
    record = logging.LogRecord.__new__(logging.LogRecord)
    record.__dict__ = attrs = {
        "name": logger.name, "msg": msg, "args": args,
        "levelname": _LEVEL_NAMES.get(level) or logging.getLevelName(level),
        "levelno": level, "pathname": path, "filename": parts[0], "module": parts[1],
        "exc_info": None, "exc_text": None, "stack_info": None, "lineno": caller.f_lineno,
        "funcName": code.co_name, "created": created,
        "msecs": int((created - int(created)) * 1000) + 0.0,
        "relativeCreated": (created - logging._startTime) * 1000,  # type: ignore[attr-defined]
        "thread": threading.get_ident(), "threadName": threading.current_thread().name,
        "processName": "MainProcess" if "multiprocessing" not in sys.modules else _process_name(),
        "process": _PID[0],
    }
    if "taskName" in _RECORD_KEYS:  # Python 3.12+
        attrs["taskName"] = _asyncio_task_name()
    _add_context_attributes(attrs)
    _handle(logger, record)


def _handle(logger: logging.Logger, record: logging.LogRecord) -> None:
    """``logger.handle(record)``, walking the handlers of ``logger`` and its ancestors here.

    For a plain ``Logger`` without filters this is what ``Logger.handle`` and ``callHandlers``
    do, in one loop: every handler of the logger and of its ancestors (up to the first that
    does not propagate) whose level the record reaches gets ``handler.handle(record)``. An
    inactive :class:`CloudHandler` is skipped without the call (it would return at once). A
    logger of another class, one with filters, a disabled one, or no handler at all (logging's
    "last resort") goes through ``logging`` itself.
    """
    if logger.filters or logger.disabled or type(logger) is not logging.Logger:
        logger.handle(record)
        return
    levelno = record.levelno
    found = False
    ships = LOG_MANAGER.sink is not None or context.__dict__.get("running_with_backend")
    current: Any = logger
    while current is not None:
        for handler in current.handlers:
            found = True
            if levelno >= handler.level and (ships or type(handler) is not CloudHandler):
                handler.handle(record)
        current = current.parent if current.propagate else None
    if not found:
        logger.callHandlers(record)


# logging's own table of level names (what getLevelName reads first; names a program gives
# with addLevelName land there too), read without the call
_LEVEL_NAMES: dict[int, str] = logging._levelToName  # type: ignore[attr-defined]
# this process's id, read once (and again in a forked child) rather than per record
_PID = [os.getpid()]
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))


def _process_name() -> str:
    mp = sys.modules.get("multiprocessing")
    if mp is None:
        return "MainProcess"
    try:
        return mp.current_process().name
    except Exception:  # as logging does: a broken multiprocessing state must not stop a log line
        return "MainProcess"


def _asyncio_task_name() -> str | None:
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    try:
        return asyncio.current_task().get_name()  # type: ignore[union-attr]
    except Exception:  # no running loop or task
        return None


class ContextFilter(logging.Filter):
    """Adds the context attributes to records made without them (e.g. sent from elsewhere).

    Records made in this process have them already (see the module docstring); the filter
    never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        _add_context_attributes(record.__dict__)
        return True


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


# (whole second, its ISO text up to the seconds): a burst of records shares its second
_SECOND: list[tuple[int, str]] = [(-1, "")]


def _iso_utc(created: float) -> str:
    """``datetime.fromtimestamp(created, UTC).isoformat()``, the date part made once a second."""
    whole = int(created)
    second, text = _SECOND[0]
    if whole != second:
        text = datetime.datetime.fromtimestamp(whole, datetime.UTC).isoformat()[:19]
        _SECOND[0] = (whole, text)
    micro = round((created - whole) * 1_000_000)
    if micro >= 1_000_000:  # rounds up to the next second: let datetime carry it
        return datetime.datetime.fromtimestamp(created, datetime.UTC).isoformat()
    return f"{text}.{micro:06d}+00:00" if micro else f"{text}+00:00"


_THRESHOLDS: dict[Any, int] = {}


def _threshold(value: Any) -> int:
    """The level number of a configured ``logging.level`` (INFO when unset or unknown),
    remembered per value: the CloudHandler asks for every record."""
    try:
        return _THRESHOLDS[value]
    except (KeyError, TypeError):  # not seen yet, or not hashable
        pass
    try:
        level = _level(value or "INFO")
    except ValueError:
        level = logging.INFO
    with suppress(TypeError):
        if len(_THRESHOLDS) < 64:
            _THRESHOLDS[value] = level
    return level


# -- shipping records to the server ------------------------------------------------------------


class CloudHandler(logging.Handler):
    """Ships log records to the server while a run is backed by it (Prefect 1's handler).

    A record is shipped when the run reports to a server (``context.running_with_backend``, or
    a sink set with :meth:`LogManager.shipping_to`), ``config.cloud.send_flow_run_logs`` is on
    and the record is at or above ``config.logging.level``. It becomes a dict with the flow
    run and task run ids, an ISO timestamp, the logger's name, the level name and the formatted
    message (with its traceback), handed to :data:`LOG_MANAGER`. Outside such a run a record
    costs two lookups.
    """

    def handle(self, record: logging.LogRecord) -> bool:
        if LOG_MANAGER.sink is None and not context.__dict__.get("running_with_backend"):
            return False
        if self.filters:
            return super().handle(record)
        # no filter to run and no lock to hold: emit() shares nothing between threads
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        values = context.__dict__
        settings = values.get("config") or config
        try:  # Config sections keep their keys in __dict__: plain dict lookups
            sections = settings.__dict__
            ship = sections["cloud"].__dict__.get("send_flow_run_logs")
            level = sections["logging"].__dict__.get("level")
        except (KeyError, AttributeError):  # a context config of plain dicts, or without them
            ship = _values(_values(settings, "cloud") or {}, "send_flow_run_logs")
            level = _values(_values(settings, "logging") or {}, "level")
        if not ship or record.levelno < _threshold(level):
            return
        if self.formatter is None and not (record.exc_info or record.exc_text
                                           or record.stack_info):
            message = record.getMessage()  # what the default formatter would make of it
        else:
            message = self.format(record)
        log = {
            "flow_run_id": values.get("flow_run_id"),
            "task_run_id": values.get("task_run_id"),
            "timestamp": _iso_utc(record.created),
            "name": record.name,
            "level": record.levelname,
            "message": message,
        }
        size = getlogsize(log)
        if size > MAX_LOG_SIZE:
            warnings.warn(  # Prefect 1's words first: code may match them
                f"Received a log of size {size} bytes, exceeding the limit of {MAX_LOG_SIZE} "
                "bytes: the message sent to the server is cut to fit. Keep large data out of "
                "log lines (return it as the task's result instead).",
                stacklevel=2,
            )
            log["message"] = message[: MAX_LOG_SIZE - LOG_OVERHEAD]
        LOG_MANAGER.enqueue(log)


class LogManager:
    """Where shipped records go: a sink for this run, else batches uploaded by a thread.

    A backend run of this project sets a sink (:meth:`shipping_to`): the run's reporter, which
    sends records with its state changes. Without a sink (a run marked ``running_with_backend``
    by other means), records are queued and a daemon thread uploads them every
    ``config.cloud.logging_heartbeat`` seconds through ``prefect_jupyter.Client().write_run_logs``
    in batches of at most :data:`MAX_BATCH_LOG_SIZE`, as Prefect 1 did; a failed upload is
    warned about and retried at the next beat, and what is left is flushed at exit.
    """

    def __init__(self) -> None:
        self.queue: Queue[dict] = Queue()
        self.pending_logs: list[dict] = []
        self.pending_length = 0
        self.thread: threading.Thread | None = None
        self.client: Any = None
        self.sink: Callable[[dict], None] | None = None
        self.logging_period = 5.0
        self._stopped = threading.Event()
        self._start_lock = threading.Lock()
        self._atexit_registered = False

    @contextmanager
    def shipping_to(self, sink: Callable[[dict], None]) -> Iterator[None]:
        """Hand every shipped record to ``sink`` (called on the logging thread) in the block."""
        previous, self.sink = self.sink, sink
        try:
            yield
        finally:
            self.sink = previous

    def enqueue(self, message: dict) -> None:
        """Ship one record (a dict made by :class:`CloudHandler`)."""
        sink = self.sink
        if sink is not None:
            sink(message)
            return
        self.ensure_started()
        self.queue.put(message)

    def ensure_started(self) -> None:
        """Start the upload thread and its client, once."""
        with self._start_lock:
            if self.thread is not None:
                return
            import prefect_jupyter  # the package's (lazy) Client, which may be replaced in tests

            self.client = prefect_jupyter.Client()
            self.logging_period = float(_values(context.config.cloud, "logging_heartbeat") or 5.0)
            self._stopped.clear()
            self.thread = threading.Thread(
                target=self._write_logs_loop, name="prefect-jupyter-log-manager", daemon=True
            )
            self.thread.start()
            if not self._atexit_registered:
                atexit.register(self._on_shutdown)
                self._atexit_registered = True

    def stop(self) -> None:
        """Upload what is queued and stop the thread (a no-op when not started)."""
        if self.thread is None:
            return
        self._stopped.set()
        self.thread.join()
        self._write_logs()
        self.thread = None
        self.client = None

    def _on_shutdown(self) -> None:
        # a signal arriving during interpreter shutdown may interrupt the flush: try again
        for _ in range(3):
            try:
                self.stop()
                return
            except SystemExit:
                continue

    def _write_logs_loop(self) -> None:
        while not self._stopped.wait(self.logging_period):
            self._write_logs()

    def _fill_batch(self, limit: int) -> bool:
        """Move queued records into ``pending_logs`` up to ``limit``; whether the queue emptied."""
        try:
            while self.pending_length < limit:
                log = self.queue.get_nowait()
                self.pending_length += getlogsize(log)
                self.pending_logs.append(log)
        except Empty:
            return True
        return False

    def _write_logs(self) -> None:
        """Upload batches until the queue is empty or an upload fails (kept for the next try)."""
        limit = max(MAX_BATCH_LOG_SIZE - MAX_LOG_SIZE, MAX_LOG_SIZE)
        while True:
            drained = self._fill_batch(limit)
            if self.pending_logs:
                try:
                    self.client.write_run_logs(self.pending_logs)
                except Exception as exc:  # kept and retried at the next beat
                    warnings.warn(
                        f"Failed to write logs with error: {exc!r}; {len(self.pending_logs)} "
                        f"records ({self.pending_length:,} bytes) are kept to retry, "
                        f"{self.queue.qsize():,} more are queued.",
                        stacklevel=2,
                    )
                    return
                self.pending_logs = []
                self.pending_length = 0
            if drained:
                return


LOG_MANAGER = LogManager()


# -- loggers -----------------------------------------------------------------------------------


def _create_logger(name: str, ship: bool = True) -> logging.Logger:
    """Give logger ``name`` our handlers, format and level, replacing ones set up earlier."""
    settings = config.logging
    logger = logging.getLogger(name)
    for handler in list(logger.handlers):
        if isinstance(handler, StderrHandler | CloudHandler):
            logger.removeHandler(handler)  # reconfiguring must not duplicate output

    console = StderrHandler()
    console.setFormatter(ConsoleFormatter(settings.format, settings.datefmt))
    logger.addHandler(console)
    if ship:
        logger.addHandler(CloudHandler())
    logger.setLevel(_level(settings.level))
    return logger


def configure_logging(testing: bool = False) -> logging.Logger:
    """(Re)configure the ``prefect_jupyter`` logger and the ``extra_loggers`` from ``config.logging``.

    Call it again after changing ``config.logging`` to apply the change; it replaces its own
    handlers rather than adding more.

    Args:
        testing: Configure a separate ``"prefect_jupyter-test-logger"`` instead (the extra
            loggers are left alone), to test logging without touching the real logger.

    Returns:
        The configured logger.
    """
    if testing:
        return _create_logger(TEST_LOGGER_NAME)
    logger = _create_logger(ROOT_LOGGER_NAME)
    configure_extra_loggers()
    return logger


def configure_extra_loggers() -> None:
    """Give each logger named in ``config.logging.extra_loggers`` (e.g. ``"dask"``) our setup."""
    for name in config.logging.get("extra_loggers") or ():
        _create_logger(name)


def set_console_level(level: str | int) -> None:
    """Write only records at ``level`` or above to standard error, from the ``prefect_jupyter``
    logger and the extra loggers; what reaches the server (``config.logging.level``) is not
    changed. A flow-run process whose standard error its agent keeps only for the tail of a
    crash writes warnings and errors there, not every task run's lines.

    Raises:
        ValueError: for an unknown level name.
    """
    number = _level(level)
    names = (ROOT_LOGGER_NAME, *(config.logging.get("extra_loggers") or ()))
    for name in names:
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, StderrHandler):
                handler.setLevel(number)


def create_diagnostic_logger(name: str) -> logging.Logger:
    """A logger set up like ours that never ships to the server (for internal diagnostics)."""
    return _create_logger(name, ship=False)


def get_logger(name: str | None = None) -> logging.Logger:
    """Return the ``prefect_jupyter`` logger, or its child ``prefect_jupyter.<name>``.

    Children have no handler of their own; their records reach the configured ones through the
    parent, and they follow its level unless given their own.

    Example:
        ```python
        get_logger("TaskRunner").info("Task 'add': Starting task run...")
        ```
    """
    if name is None:
        return prefect_jupyter_logger
    return prefect_jupyter_logger.getChild(name)


def mapped_child_logger(task_logger: logging.Logger, map_index: int) -> logging.Logger:
    """The logger of one mapped child, ``<task logger>[i]`` (e.g. ``prefect_jupyter.inc[3]``).

    It is made outside logging's registry, as a child of the task's logger, so that a map over
    100,000 items leaves no loggers behind; its level and handlers come from its ancestors.
    """
    logger = logging.Logger(f"{task_logger.name}[{map_index}]")
    logger.parent = task_logger
    return logger


@contextmanager
def temporary_logger_config(
    level: int | str | None = None,
    stream_fmt: str | None = None,
    stream_datefmt: str | None = None,
) -> Iterator[logging.Logger]:
    """Give the ``prefect_jupyter`` logger another level or console format inside the block.

    Arguments left ``None`` keep their current setting; everything is put back on exit, also
    when the block raises.

    Example:
        ```python
        with temporary_logger_config(level="WARNING", stream_fmt="%(message)s"):
            flow.run()
        ```
    """
    from prefect_jupyter.utilities.configuration import set_temporary_config

    previous_level = get_logger().level
    overrides = {
        key: value
        for key, value in (
            ("logging.level", level), ("logging.format", stream_fmt), ("logging.datefmt", stream_datefmt),
        )
        if value
    }
    try:
        with set_temporary_config(overrides):
            yield configure_logging()
    finally:
        configure_logging().setLevel(previous_level)


class RedirectToLog:
    """A write-only text stream logging each non-blank write as one INFO record.

    Prefect 1's stdout redirect, kept for code that uses it with ``contextlib.redirect_stdout``;
    the engine uses :func:`redirect_stdout_to_logger`, which splits lines and only redirects
    the calling thread.

    Args:
        logger: where records go; defaults to ``get_logger("stdout")``.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.stdout_logger = logger or get_logger("stdout")

    def write(self, s: str) -> int:
        """Log ``s`` (unless it is blank) as it is."""
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if s.strip():
            self.stdout_logger.info(s)
        return len(s)

    def flush(self) -> None:
        """Flush the logger's own handlers."""
        for handler in self.stdout_logger.handlers:
            handler.flush()


logging.setLogRecordFactory(_record_with_context)
prefect_jupyter_logger = prefect_logger = configure_logging()
context.logger = prefect_jupyter_logger
