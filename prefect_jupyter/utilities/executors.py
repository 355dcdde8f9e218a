"""Prefect 1's ``prefect.utilities.executors`` helpers that runner code and subclasses use.

``run_with_heartbeat`` keeps a runner's heartbeat going while one of its methods runs, and
``run_task_with_timeout`` calls a task's ``run`` under its ``timeout``. Both are thin: the
engine's own time limits live in :mod:`prefect_jupyter.engine.timeouts` (imported on use, as
utilities sit below the engine), and the server-backed heartbeats in :mod:`prefect_jupyter.backend`.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["run_task_with_timeout", "run_with_heartbeat"]


def run_with_heartbeat(runner_method: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a runner method: while it runs, call the runner's ``_heartbeat()`` every
    ``config.cloud.heartbeat_interval`` seconds.

    The first beat is sent before the method starts; when ``_heartbeat()`` returns a false value
    no more are sent. A failing heartbeat is logged as a warning and never fails the run.
    """

    @functools.wraps(runner_method)
    def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
        from prefect_jupyter.context import context

        interval = float(context.config.cloud.get("heartbeat_interval") or 0)
        done = threading.Event()
        if _beat(self) and interval > 0:
            thread = threading.Thread(
                target=_keep_beating, args=(self, interval, done), name="prefect-jupyter-heartbeat",
                daemon=True,
            )
            thread.start()
        try:
            return runner_method(self, *args, **kwargs)
        finally:
            done.set()

    return inner


def _beat(runner: Any) -> bool:
    try:
        return bool(runner._heartbeat())
    except Exception as exc:  # a heartbeat is advisory: the run goes on without it
        logging.getLogger("prefect_jupyter.heartbeat").warning("Heartbeat failed: %r", exc)
        return True


def _keep_beating(runner: Any, interval: float, done: threading.Event) -> None:
    while not done.wait(interval):
        if not _beat(runner):
            return


def run_task_with_timeout(
    task: Any, args: tuple = (), kwargs: dict[str, Any] | None = None, logger: logging.Logger | None = None
) -> Any:
    """Call ``task.run(*args, **kwargs)``, raising ``TaskTimeoutSignal`` after ``task.timeout``
    seconds (no limit without one)."""
    kwargs = dict(kwargs or {})
    if args:
        kwargs.update(zip(_parameter_names(task.run), args, strict=False))
    if not task.timeout:
        return task.run(**kwargs)
    from prefect_jupyter.engine.timeouts import run_with_timeout

    if logger is not None:
        logger.debug("Task %r: running with a timeout of %s s", task.name, task.timeout)
    return run_with_timeout(task.run, kwargs, task.timeout)


def _parameter_names(fn: Callable[..., Any]) -> list[str]:
    import inspect

    return list(inspect.signature(fn).parameters)
