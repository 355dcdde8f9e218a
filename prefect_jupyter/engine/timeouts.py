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

import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import suppress
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
    try:
        return run_in_child(fn, (), kwargs, timeout, name=name)
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


# -- the child process ---------------------------------------------------------------------
class UnpicklableRequest(TypeError):
    """The function or arguments given to :func:`run_with_multiprocess_timeout` cannot be
    pickled for the child process (nothing was started)."""


#: seconds a child that answered has to exit by itself before it is terminated
_EXIT_GRACE = 10.0

#: what a child process sends before it calls the function: its start-up (a fresh interpreter
#: importing what the function needs) does not count against the time limit
_STARTED = b"started"

# the child's program: the parent's import path first (so the function's module imports as it
# does here; the parent's main script is never run again), then serve the request on stdin
_CHILD_PROGRAM = (
    "import json, sys; sys.path[:0] = json.loads(sys.argv[2]); "
    "from prefect_jupyter.engine.timeouts import _serve_request; _serve_request(int(sys.argv[1]))"
)


def run_in_child(
    fn: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any] | None,
    timeout: float,
    logger: logging.Logger | None = None,
    name: str | None = None,
) -> Any:
    """Call ``fn(*args, **kwargs)`` in a fresh child process with the current context; raise
    :class:`TaskTimeoutSignal` when it runs longer than ``timeout`` seconds, terminating the
    child.

    The child is a new interpreter started with this one's import path (no copy of this
    process's threads and locks; this process's main script is not run again in it). The
    function, its arguments, the context and the answer travel by cloudpickle: the request on
    the child's stdin, the answers as length-prefixed messages on a pipe of their own (the
    function's output goes where this process's goes). The child first says it started, so its
    start-up does not count against the limit. An exception ``fn`` raises is raised here.

    Raises:
        UnpicklableRequest: ``fn`` or its arguments cannot be pickled (before any process
            starts).
    """
    import json
    import subprocess
    import sys

    import cloudpickle

    label = name or f"Function {getattr(fn, '__name__', type(fn).__name__)!r}"
    try:
        request = cloudpickle.dumps(
            {"fn": fn, "args": tuple(args), "kwargs": dict(kwargs or {}),
             "context": picklable_context(), "name": label}
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
    answer: bytes | None = None
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
        # a child that answered may still be finishing (e.g. uploading its log lines): it gets
        # a moment to exit by itself; one cut short by the time limit is stopped at once
        _stop(child, grace=_EXIT_GRACE if answer not in (None, _STARTED) else 0.0)
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


def _stop(child: Any, grace: float) -> None:
    """End the child (it is ours): after ``grace`` seconds to exit by itself, terminate it,
    then kill it if it does not go."""
    if grace and child.poll() is None:
        with suppress(Exception):  # still running after its grace: stopped below
            child.wait(timeout=grace)
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
    payload = sys.stdin.buffer.read()
    with open(os.devnull, "rb") as null:  # the function gets no stdin of the parent's
        os.dup2(null.fileno(), 0)
    run_request(_FrameWriter(fd), payload)


def run_request(results: Any, payload: bytes) -> None:
    """The child process's side of :func:`run_in_child`: say it started, run the pickled
    request and put the pickled result (or the exception raised) on ``results``.

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


def picklable_context() -> dict[str, Any]:
    """The current context's values that can travel to a child process (the others, e.g. a
    lock or a client, are left for the child to make)."""
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
