"""``LoopService``: a background thread that calls ``run_once()`` every ``loop_seconds``.

The services of the server (scheduler, zombie killer, Lazarus) are small loops over the
database. Each runs in a daemon thread of the server process with the server's
:class:`~prefect_jupyter.server.database.engine.Database`; the database layer is synchronous,
so a thread is the simplest home. A pass that fails (the database is unreachable, a bug) is
logged — once per streak of the same error, not every pass — and tried again next time; a
service never takes the server down.

Example:
    >>> class Hello(LoopService):
    ...     name = "hello"
    ...     def run_once(self) -> int:
    ...         return 0
    >>> service = Hello(database, loop_seconds=1.0).start()  # doctest: +SKIP
    >>> service.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from typing import Any

from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.utilities.logging import get_logger


class LoopService:
    """Base class of the server's services.

    Args:
        database: the server's database.
        loop_seconds: seconds between the end of one pass and the start of the next.

    Attributes:
        passes: passes completed (with or without an error).
        changed: the total of what ``run_once`` returned (runs created or changed).
    """

    #: the service's name in logs and thread names
    name = "service"

    def __init__(self, database: Database, loop_seconds: float) -> None:
        if loop_seconds <= 0:
            raise ValueError(
                f"{type(self).__name__} needs loop_seconds > 0, got {loop_seconds}: set "
                f"`server.services.{self.name}.loop_seconds`, or turn the service off with "
                f"`server.services.{self.name}.enabled = false`."
            )
        self.database = database
        self.loop_seconds = float(loop_seconds)
        self.logger = get_logger(f"server.services.{self.name}")
        self.passes = 0
        self.changed = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None

    def run_once(self) -> int:
        """One pass; returns how many runs it created or changed."""
        raise NotImplementedError

    def start(self) -> LoopService:
        """Start the thread (its first pass begins at once)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name=f"prefect_jupyter-{self.name}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end and wait for the pass in progress (up to ``timeout`` s)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_safely()
            self._stop.wait(self.loop_seconds)

    def run_safely(self) -> int:
        """One pass; an error is logged (once per streak) instead of raised."""
        try:
            changed = self.run_once()
        except Exception as exc:  # a failed pass must not end the loop: log it, go on
            message = f"{type(exc).__name__}: {exc}"
            if message != self._last_error:
                self.logger.error(
                    "The %s pass failed (%s); trying again every %g s.",
                    self.name, message, self.loop_seconds, exc_info=exc,
                )
            self._last_error = message
            return 0
        finally:
            self.passes += 1
        if self._last_error is not None:
            self.logger.info("The %s works again.", self.name)
            self._last_error = None
        self.changed += changed
        return changed

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} every {self.loop_seconds:g} s, {state}, {self.passes} passes>"

    def __enter__(self) -> LoopService:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
