"""Prefect 1's ``prefect.utilities.executors`` helpers that runner code and subclasses use.

* ``run_with_heartbeat`` keeps a runner's heartbeat going while one of its methods runs;
  ``HeartbeatThread`` sends a flow run's heartbeats from a thread until an event is set.
* ``run_task_with_timeout`` calls a task's ``run`` under its ``timeout``;
  ``run_with_thread_timeout`` and ``run_with_multiprocess_timeout`` call any function under a
  time limit, in this process or in a child process that is terminated when time is up.
* ``tail_recursive`` and ``RecursiveCall`` turn tail calls into a loop.

They are thin: the engine's time limits live in :mod:`prefect_jupyter.engine.timeouts` (imported
on use, as utilities sit below the engine), which runs a task in a child process with
``run_with_multiprocess_timeout`` where that is how it can be stopped; the server-backed heartbeats of a run in
:mod:`prefect_jupyter.backend`, and ``Client`` is the package root's (read on use).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any

__all__ = [
    "HeartbeatThread",
    "RecursiveCall",
    "UnpicklableRequest",
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


class UnpicklableRequest(TypeError):
    """The function or arguments given to :func:`run_with_multiprocess_timeout` cannot be
    pickled for the child process (nothing was started)."""


#: what a child process sends before it calls the function: its start-up (a fresh interpreter
#: importing what the function needs) does not count against the time limit
_STARTED = b"started"

# the child's program: the parent's import path first (so the function's module imports as it
# does here; the parent's main script is never run again), then serve the request on stdin
_CHILD_PROGRAM = (
    "import json, sys; sys.path[:0] = json.loads(sys.argv[2]); "
    "from prefect_jupyter.utilities.executors import _serve_request; _serve_request(int(sys.argv[1]))"
)


def run_with_multiprocess_timeout(
    fn: Callable[..., Any],
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    timeout: float | None = None,
    logger: logging.Logger | None = None,
    name: str | None = None,
) -> Any:
    """Call ``fn(*args, **kwargs)`` in a child process with the current context; raise
    ``TaskTimeoutSignal`` when it runs longer than ``timeout`` seconds, terminating the child
    (no limit and no child process when ``timeout`` is ``None``).

    The child is a fresh interpreter (no copy of this process's threads and locks; this
    process's main script is not run again in it), and the time counts from when it starts
    calling ``fn``. The function, its arguments and its result travel by cloudpickle; an
    exception it raises is raised here. Its output goes where this process's goes.

    Raises:
        UnpicklableRequest: ``fn`` or its arguments cannot be pickled (before any process
            starts).
    """
    if timeout is None:
        return fn(*args, **(kwargs or {}))
    import json
    import subprocess
    import sys

    import cloudpickle

    from prefect_jupyter.engine.timeouts import TaskTimeoutSignal

    label = name or _name(fn)
    try:
        request = cloudpickle.dumps(
            {"fn": fn, "args": tuple(args), "kwargs": dict(kwargs or {}),
             "context": _picklable_context(), "name": label}
        )
    except Exception as exc:
        raise UnpicklableRequest(
            f"{label} or its inputs cannot be pickled for a child process: {exc!r}"
        ) from exc
    if logger is not None:
        logger.debug("%s: running in a child process with a timeout of %s s", label, timeout)
    answers, answer_end = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD_PROGRAM, str(answer_end), json.dumps(sys.path)],
            stdin=subprocess.PIPE, pass_fds=(answer_end,),
        )
    finally:
        os.close(answer_end)
    try:
        with suppress(BrokenPipeError):  # a child that died at once is reported below
            child.stdin.write(request)  # type: ignore[union-attr]
            child.stdin.close()  # type: ignore[union-attr]
        answer = _read_frame(answers, child, None)
        if answer == _STARTED:
            answer = _read_frame(answers, child, timeout)
            if answer is None:
                raise TaskTimeoutSignal(f"Execution timed out after {timeout} seconds.")
        if answer is None or answer == _STARTED:
            raise RuntimeError(
                f"The child process running {label} exited with code {child.poll()} before "
                "it answered (see its output above)."
            )
    finally:
        os.close(answers)
        _stop(child)
    outcome = cloudpickle.loads(answer)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _read_frame(fd: int, child: Any, timeout: float | None) -> bytes | None:
    """The next message the child sends on ``fd``: ``None`` when ``timeout`` seconds pass
    first, or when the child exits without sending one."""
    import select
    import struct

    deadline = None if timeout is None else time.monotonic() + timeout
    data = b""
    needed = 8
    header_read = False
    while True:
        wait = 0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))
        ready, _, _ = select.select([fd], [], [], wait)
        if ready:
            chunk = os.read(fd, needed - len(data))
            if not chunk:  # the child closed its end: it exited
                return None
            data += chunk
            if len(data) == needed:
                if header_read:
                    return data
                (needed,) = struct.unpack(">Q", data)
                data, header_read = b"", True
                if needed == 0:
                    return b""
        elif deadline is not None and time.monotonic() >= deadline:
            return None
        elif child.poll() is not None and not select.select([fd], [], [], 0)[0]:
            return None


def _stop(child: Any) -> None:
    """End the child (it is ours): terminate, then kill if it does not go."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=5)
        except Exception:
            child.kill()
            child.wait()


class _FrameWriter:
    """The child's side of the answer pipe, with a queue's ``put``: one length-prefixed
    message per call."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def put(self, message: bytes) -> None:
        import struct

        view = memoryview(struct.pack(">Q", len(message)) + message)
        while view:
            view = view[os.write(self.fd, view):]


def _serve_request(fd: int) -> None:
    """The child process's program: read the pickled request from stdin and answer on ``fd``."""
    import sys

    payload = sys.stdin.buffer.read()
    with open(os.devnull, "rb") as null:  # the function gets no stdin of the parent's
        os.dup2(null.fileno(), 0)
    multiprocessing_safe_run_and_retrieve(_FrameWriter(fd), payload)


def multiprocessing_safe_run_and_retrieve(results: Any, payload: bytes) -> None:
    """The child process's side of :func:`run_with_multiprocess_timeout`: say it started, run
    the pickled request and put the pickled result (or the exception raised) on ``results``.

    A result that cannot be pickled comes back as a ``RuntimeError`` naming its type and why; a
    failure to put on the queue is logged and raised.
    """
    import cloudpickle

    from prefect_jupyter.context import context
    from prefect_jupyter.utilities.logging import get_logger

    logger = get_logger()
    request = cloudpickle.loads(payload)
    if isinstance(results, _FrameWriter):  # our parent waits for it; a caller's queue gets
        _put(results, _STARTED, logger)     # the answer only, as Prefect 1's did
    try:
        with context(request.get("context") or {}):
            outcome = request["fn"](*request.get("args", ()), **request.get("kwargs", {}))
    except BaseException as exc:  # signals too: handed back to the parent process, which raises it
        outcome = exc
    try:
        answer = cloudpickle.dumps(outcome)
    except Exception as exc:
        message = f"Failed to pickle result of type {type(outcome).__name__!r}: {type(exc).__name__}: {exc}"
        logger.error(message)
        answer = cloudpickle.dumps(RuntimeError(message))
    _put(results, answer, logger)


def _put(results: Any, message: bytes, logger: logging.Logger) -> None:
    try:
        results.put(message)
    except Exception:
        logger.exception("Failed to put result in queue to main process!")
        raise


def _picklable_context() -> dict[str, Any]:
    import cloudpickle

    from prefect_jupyter.context import context

    kept = {}
    for key, value in dict(context).items():
        try:
            cloudpickle.dumps(value)
        except Exception:  # a lock, a logger handler, a client: the child makes its own
            continue
        kept[key] = value
    return kept


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
