"""Running a task's ``run`` with a time limit.

On the main thread of a Unix process the limit is an interval timer (``SIGALRM``) that
interrupts the task where it is. Elsewhere (executor threads) the task runs in a helper thread
that is abandoned when time is up: Python cannot kill a thread, so its work may go on in the
background, but the task run ends ``TimedOut`` on time.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import Any


class TaskTimeoutSignal(Exception):
    """Raised when a task runs longer than its ``timeout``."""


def run_with_timeout(fn: Callable[..., Any], kwargs: dict[str, Any], timeout: int) -> Any:
    """Call ``fn(**kwargs)``; raise :class:`TaskTimeoutSignal` after ``timeout`` seconds."""
    if threading.current_thread() is threading.main_thread() and sys.platform != "win32":
        return _with_alarm(fn, kwargs, timeout)
    return _with_thread(fn, kwargs, timeout)


def _with_alarm(fn: Callable[..., Any], kwargs: dict[str, Any], timeout: int) -> Any:
    def on_alarm(signum: int, frame: Any) -> None:
        raise TaskTimeoutSignal(f"Execution timed out after {timeout} seconds.")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return fn(**kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _with_thread(fn: Callable[..., Any], kwargs: dict[str, Any], timeout: int) -> Any:
    from prefect_jupyter.context import context

    outcome: dict[str, Any] = {}
    snapshot = dict(context)

    def target() -> None:
        try:
            with context(snapshot):
                outcome["value"] = fn(**kwargs)
        except BaseException as exc:  # handed back to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name="prefect-jupyter-timeout")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TaskTimeoutSignal(f"Execution timed out after {timeout} seconds.")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
