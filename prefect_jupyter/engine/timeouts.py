"""Running a task's ``run`` with a time limit, where it can be stopped when time is up.

Where the limit can be enforced depends on where the task runs (Prefect 1's policy):

* on the main thread of a Unix process (``LocalExecutor``, each worker of a process pool), an
  interval timer (``SIGALRM``) interrupts the task where it is;
* on another thread of a process that may start processes of its own (``LocalDaskExecutor``
  threads, an in-process Dask cluster, ``flow.run`` called from a thread), the task runs in a
  child process (spawned; the task, its inputs and the run's context travel by cloudpickle),
  which is terminated when time is up. The child's start-up does not count against the limit;
* where neither works — a daemonic process (a ``distributed`` worker process), Windows, or a
  task or input that cannot be pickled — the task runs in a helper thread that is abandoned when
  time is up: Python cannot stop a thread, so the run ends ``TimedOut`` on time but its work
  goes on in the background, and the message and a warning say so.
"""

from __future__ import annotations

import signal
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any


class TaskTimeoutSignal(Exception):
    """Raised when a task runs longer than its ``timeout``."""


def _timed_out(timeout: float) -> str:
    return f"Execution timed out after {timeout} seconds."


def run_with_timeout(
    fn: Callable[..., Any], kwargs: dict[str, Any], timeout: float, name: str | None = None
) -> Any:
    """Call ``fn(**kwargs)`` where it can be stopped (see the module docstring); raise
    :class:`TaskTimeoutSignal` after ``timeout`` seconds.

    Args:
        name: what runs, for messages (e.g. ``"Task 'load'"``).
    """
    if sys.platform == "win32":
        return _with_thread(fn, kwargs, timeout, "on Windows")
    if threading.current_thread() is threading.main_thread():
        return _with_alarm(fn, kwargs, timeout)
    import multiprocessing

    if multiprocessing.current_process().daemon:  # it may not start processes of its own
        return _with_thread(fn, kwargs, timeout, "in a daemonic subprocess")
    from prefect_jupyter.utilities.executors import (
        UnpicklableRequest,
        run_with_multiprocess_timeout,
    )

    try:
        return run_with_multiprocess_timeout(fn, kwargs=kwargs, timeout=timeout, name=name)
    except UnpicklableRequest as exc:
        return _with_thread(fn, kwargs, timeout, f"in a thread ({exc})")


def run_here_with_timeout(fn: Callable[..., Any], kwargs: dict[str, Any], timeout: float) -> Any:
    """Call ``fn(**kwargs)`` in this process: interrupted on the main thread of a Unix process,
    else on a helper thread abandoned when time is up."""
    if threading.current_thread() is threading.main_thread() and sys.platform != "win32":
        return _with_alarm(fn, kwargs, timeout)
    return _with_thread(fn, kwargs, timeout, None)


def _with_alarm(fn: Callable[..., Any], kwargs: dict[str, Any], timeout: float) -> Any:
    def on_alarm(signum: int, frame: Any) -> None:
        raise TaskTimeoutSignal(_timed_out(timeout))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return fn(**kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _with_thread(
    fn: Callable[..., Any], kwargs: dict[str, Any], timeout: float, soft_because: str | None
) -> Any:
    """Run on a helper thread; ``soft_because`` says why the limit cannot stop the work (a
    warning and the timeout's message say it), ``None`` when the caller asked for a thread."""
    from prefect_jupyter.context import context

    if soft_because is not None:
        warnings.warn(
            f"This task is running {soft_because}, so its timeout is a soft limit: at "
            f"{timeout} s its run ends TimedOut, but its work goes on in the background.",
            stacklevel=3,
        )
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
        message = _timed_out(timeout)
        if soft_because is not None:
            message = (f"{message[:-1]} but was executed {soft_because} and will continue to "
                       "run in the background.")
        raise TaskTimeoutSignal(message)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
