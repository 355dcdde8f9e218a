"""Prefect 1's ``prefect.utilities.executors`` helpers that runner code and subclasses use.

* ``run_with_heartbeat`` keeps a runner's heartbeat going while one of its methods runs;
  ``HeartbeatThread`` sends a flow run's heartbeats from a thread until an event is set.
* ``run_task_with_timeout`` calls a task's ``run`` under its ``timeout``;
  ``run_with_thread_timeout`` and ``run_with_multiprocess_timeout`` call any function under a
  time limit, in this process or in a child process that is terminated when time is up.
* ``tail_recursive`` and ``RecursiveCall`` turn tail calls into a loop.

They are thin: the time limits, the child process included, live in
:mod:`prefect_jupyter.engine.timeouts` (imported on use, as utilities sit below the engine);
the server-backed heartbeats of a run in :mod:`prefect_jupyter.backend`, and ``Client`` is the
package root's (read on use).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "HeartbeatThread",
    "RecursiveCall",
    "multiprocessing_safe_run_and_retrieve",
    "run_task_with_timeout",
    "run_with_heartbeat",
    "run_with_multiprocess_timeout",
    "run_with_thread_timeout",
    "tail_recursive",
]


def __getattr__(name: str) -> Any:
    # Prefect 1's `prefect.utilities.executors.Client`: the client sits above utilities, so it is
    # read from the package root when first asked for
    if name == "Client":
        import prefect_jupyter

        return prefect_jupyter.Client
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    return run_with_timeout(task.run, kwargs, task.timeout, name=f"Task '{task.name}'")


def _parameter_names(fn: Callable[..., Any]) -> list[str]:
    import inspect

    return list(inspect.signature(fn).parameters)


def run_with_thread_timeout(
    fn: Callable[..., Any],
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    timeout: float | None = None,
    logger: logging.Logger | None = None,
    name: str | None = None,
) -> Any:
    """Call ``fn(*args, **kwargs)`` in this process; raise ``TaskTimeoutSignal`` after ``timeout``
    seconds (no limit when it is ``None``).

    On the main thread the call is interrupted where it is (``SIGALRM``); on other threads it
    runs in a helper thread that is abandoned when time is up (Python cannot stop a thread).
    """
    call = functools.partial(fn, *args, **(kwargs or {}))
    if timeout is None:
        return call()
    from prefect_jupyter.engine.timeouts import run_here_with_timeout

    if logger is not None:
        logger.debug("%s: running with a timeout of %s s", name or _name(fn), timeout)
    return run_here_with_timeout(call, {}, timeout)


def run_with_multiprocess_timeout(
    fn: Callable[..., Any],
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    timeout: float | None = None,
    logger: logging.Logger | None = None,
    name: str | None = None,
) -> Any:
    """Call ``fn(*args, **kwargs)`` in a fresh child process with the current context; raise
    ``TaskTimeoutSignal`` when it runs longer than ``timeout`` seconds, terminating the child
    (no limit and no child process when ``timeout`` is ``None``). See
    :func:`prefect_jupyter.engine.timeouts.run_in_child`.

    Raises:
        prefect_jupyter.engine.timeouts.UnpicklableRequest: ``fn`` or its arguments cannot be
            pickled (before any process starts).
    """
    if timeout is None:
        return fn(*args, **(kwargs or {}))
    from prefect_jupyter.engine.timeouts import run_in_child

    return run_in_child(fn, args, kwargs, timeout, logger=logger, name=name or _name(fn))


def multiprocessing_safe_run_and_retrieve(results: Any, payload: bytes) -> None:
    """The child process's side of :func:`run_with_multiprocess_timeout`: run the pickled
    request and put the pickled result (or the exception raised) on ``results``; a failure
    to put it there is logged and raised."""
    from prefect_jupyter.engine.timeouts import run_request

    run_request(results, payload)


def _name(fn: Callable[..., Any]) -> str:
    return f"Function {getattr(fn, '__name__', type(fn).__name__)!r}"


class RecursiveCall(Exception):
    """Raised by a :func:`tail_recursive` function to call ``func(*args, **kwargs)`` next,
    without growing the stack."""

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(func, *args)
        self.func = func
        self.args = args
        self.kwargs = kwargs


def tail_recursive(func: Callable[..., Any]) -> Callable[..., Any]:
    """Let ``func`` recurse by raising :class:`RecursiveCall` instead of calling itself.

    A ``RecursiveCall`` naming ``func`` is run by this wrapper's loop; one naming another
    ``tail_recursive`` function goes on up to that function's wrapper; one naming a function
    that is not wrapped raises ``RecursionError``.

    Example:
        >>> @tail_recursive
        ... def count(n=0):
        ...     if n == 10_000:
        ...         return n
        ...     raise RecursiveCall(count, n + 1)
        >>> count()
        10000
    """

    @functools.wraps(func)
    def loop(*args: Any, **kwargs: Any) -> Any:
        while True:
            try:
                return func(*args, **kwargs)
            except RecursiveCall as call:
                target = getattr(call.func, "__tail_recursive__", None)
                if target is None:
                    raise RecursionError(
                        f"{call.func!r} raised as a RecursiveCall is not decorated with "
                        "@tail_recursive: decorate it to let it recurse this way."
                    ) from call
                if target is not func:
                    raise
                args, kwargs = call.args, call.kwargs

    loop.__tail_recursive__ = func  # type: ignore[attr-defined]
    return loop


class HeartbeatThread(threading.Thread):
    """A daemon thread sending ``flow_run_id``'s heartbeat to the server every
    ``config.cloud.heartbeat_interval`` seconds (the first at once) until ``stop_event`` is set.

    A heartbeat that fails is logged (with the run's logs) and the thread goes on.
    """

    def __init__(self, stop_event: threading.Event, flow_run_id: str, num: int | None = None) -> None:
        super().__init__(daemon=True, name=f"prefect-jupyter-heartbeat-{num or 0}")
        self.stop_event = stop_event
        self.flow_run_id = flow_run_id
        self.num = num
        client_class = globals().get("Client") or __getattr__("Client")
        self.client = client_class()

    def run(self) -> None:
        from prefect_jupyter.configuration import config
        from prefect_jupyter.context import context
        from prefect_jupyter.utilities.logging import get_logger

        interval = float(config.cloud.get("heartbeat_interval") or 30.0)
        logger = get_logger("threaded_heartbeat")
        with context(flow_run_id=self.flow_run_id, running_with_backend=True):
            while True:
                try:
                    self.client.update_flow_run_heartbeat(self.flow_run_id)
                except Exception as exc:  # a heartbeat is advisory: log it with the run's logs
                    logger.exception(f"Failed to send heartbeat with exception: {exc!r}")
                if self.stop_event.wait(interval):
                    return
