"""``LocalDaskExecutor``: task runs on this machine's cores through Dask's local schedulers.

Submitting builds a ``dask.delayed`` graph; ``wait`` computes what is asked for with the
``threads``, ``processes`` or ``synchronous`` scheduler. Every value computed is kept by key and
spliced into later graphs, so a task run never executes twice even when the flow runner waits
part-way through (it does so before a mapped task, to know how many children to make). Within one
``wait`` Dask orders the work depth-first, so chained maps run element by element.

On the ``processes`` scheduler task runs happen in other processes; their state events come back
through a multiprocessing manager queue (see :mod:`prefect_jupyter.engine.remote_events`).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from prefect_jupyter.executors.base import Executor

_SCHEDULERS = {
    "threads": "threads",
    "threading": "threads",
    "processes": "processes",
    "multiprocessing": "processes",
    "synchronous": "synchronous",
    "sync": "synchronous",
    "single-threaded": "synchronous",
}


class LocalDaskExecutor(Executor):
    """Runs tasks in parallel on this machine with Dask's local schedulers.

    Args:
        scheduler: ``"threads"`` (default), ``"processes"`` or ``"synchronous"``.
        **kwargs: Dask configuration for the run, e.g. ``num_workers=4``.

    Example:
        >>> flow.run(executor=LocalDaskExecutor(scheduler="processes", num_workers=2))
    """

    def __init__(self, scheduler: str = "threads", **kwargs: Any) -> None:
        if scheduler not in _SCHEDULERS:
            raise ValueError(
                f"Unknown scheduler {scheduler!r}: use 'threads', 'processes' or 'synchronous'."
            )
        self.scheduler = _SCHEDULERS[scheduler]
        self.dask_config = kwargs
        self._pool: Any = None
        self._results: dict[Any, Any] = {}
        self._names: dict[Any, str] = {}

    def __repr__(self) -> str:
        return f"<Executor: LocalDaskExecutor(scheduler={self.scheduler!r})>"

    # -- lifecycle ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def start(self) -> Iterator[None]:
        import dask

        self._results, self._names = {}, {}
        with dask.config.set(**self.dask_config):
            self._pool = self._make_pool(dask.config.get("num_workers", None))
            interrupted = False
            try:
                yield
            except BaseException:
                interrupted = True
                raise
            finally:
                self._close_pool(interrupted)

    def _make_pool(self, num_workers: int | None) -> Any:
        from dask.system import CPU_COUNT

        workers = num_workers or CPU_COUNT
        if self.scheduler == "threads":
            from concurrent.futures import ThreadPoolExecutor

            return ThreadPoolExecutor(workers, thread_name_prefix="prefect-jupyter")
        if self.scheduler == "processes":
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            import dask

            # Dask's default: "spawn" — forking a process that runs threads (a notebook kernel,
            # a Dask client) can deadlock the child.
            method = dask.config.get("multiprocessing.context", "spawn")
            return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
        return None

    def _close_pool(self, interrupted: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not interrupted:
            pool.shutdown(wait=True)
            return
        # worker processes may be in the middle of a task: stop them so none is left behind
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)

    @contextlib.contextmanager
    def forward_events(self, stream: Any, tasks_by_slug: dict[str, Any]) -> Iterator[Any]:
        if self.scheduler != "processes" or not stream:
            yield stream
            return
        import multiprocessing
        import threading

        from prefect_jupyter.engine.remote_events import ForwardingStream, QueueSink, Receiver

        receiver = Receiver(stream, tasks_by_slug)
        with multiprocessing.Manager() as manager:
            queue = manager.Queue()

            def pump() -> None:
                while (message := queue.get()) is not None:
                    receiver(message)

            thread = threading.Thread(target=pump, name="prefect-jupyter-events", daemon=True)
            thread.start()
            try:
                yield ForwardingStream(QueueSink(queue))
            finally:
                queue.put(None)
                thread.join(timeout=10)

    # -- submit and wait ---------------------------------------------------------------------------
    def submit(self, fn: Callable, *args: Any, extra_context: dict | None = None, **kwargs: Any) -> Any:
        import dask

        name = (extra_context or {}).get("task_name") or getattr(fn, "__name__", "task")
        index = (extra_context or {}).get("map_index")
        key = f"{name}{'' if index is None else f'[{index}]'}-{uuid.uuid4().hex}"
        self._names[key] = name
        args = self._known(args)
        kwargs = self._known(kwargs)
        return dask.delayed(fn, pure=False)(*args, dask_key_name=key, **kwargs)

    def _known(self, obj: Any) -> Any:
        """``obj`` with every already-computed delayed replaced by its value."""
        from dask.delayed import Delayed

        if isinstance(obj, Delayed):
            return self._results.get(obj.key, obj)
        if isinstance(obj, dict):
            return {k: self._known(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self._known(v) for v in obj)
        return obj

    def wait(self, futures: Any) -> Any:
        from dask.delayed import Delayed

        pending: dict[Any, Delayed] = {}
        _collect(futures, pending)
        pending = {k: d for k, d in pending.items() if k not in self._results}
        if pending:
            self._compute(list(pending.values()))
        return self._substitute(futures)

    def _compute(self, delayeds: list) -> None:
        import dask
        from dask.base import collections_to_expr

        graph = dict(collections_to_expr(delayeds, optimize_graph=False).__dask_graph__())
        for key in graph.keys() & self._results.keys():
            graph[key] = self._results[key]
        keys = list(graph)
        get = {"threads": "threads", "processes": "processes", "synchronous": "sync"}[self.scheduler]
        # dask sends process workers batches of 6 tasks by default; task runs are coarse, so
        # send them one at a time or mapped children end up running one after another
        options = {"chunksize": dask.config.get("chunksize", 1)} if get == "processes" else {}
        try:
            if get == "sync":
                values = dask.get(graph, keys)
            else:
                scheduler_get = _scheduler_get(get)
                values = _interruptible(lambda: scheduler_get(graph, keys, pool=self._pool, **options))
        except Exception as exc:
            raise self._explain(exc, graph) from exc
        self._results.update(zip(keys, values, strict=True))

    def _explain(self, exc: Exception, graph: dict) -> Exception:
        """A clearer error when a task's inputs or result can't cross to a worker process."""
        if self.scheduler != "processes" or "pickle" not in f"{type(exc).__name__} {exc}".lower():
            return exc
        import cloudpickle

        for key, spec in graph.items():
            try:
                cloudpickle.dumps(spec)
            except Exception as problem:
                name = self._names.get(key, key)
                return TypeError(
                    f"Task {name!r} can't be sent to a worker process: its inputs can't be "
                    f"pickled ({problem}). Pass picklable values, or run with "
                    "LocalDaskExecutor(scheduler='threads') or LocalExecutor()."
                )
        return TypeError(
            f"A task's result can't be sent back from a worker process ({exc}). Return "
            "picklable values, or run with LocalDaskExecutor(scheduler='threads')."
        )

    def _substitute(self, obj: Any) -> Any:
        from dask.delayed import Delayed

        if isinstance(obj, Delayed):
            return self._results[obj.key]
        if isinstance(obj, dict):
            return {k: self._substitute(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self._substitute(v) for v in obj)
        return obj


def _collect(obj: Any, found: dict) -> None:
    from dask.delayed import Delayed

    if isinstance(obj, Delayed):
        found[obj.key] = obj
    elif isinstance(obj, dict):
        for v in obj.values():
            _collect(v, found)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _collect(v, found)


def _interruptible(compute: Callable[[], Any]) -> Any:
    """``compute()`` on a helper thread, waited for in short timed steps.

    Ctrl-C (SIGINT) may be delivered to any thread of the process, and a main thread blocked in
    an untimed wait (as dask's scheduler loop is on POSIX) would only see it once a running task
    ends. A timed wait wakes up regularly, so the interrupt surfaces here at once.
    """
    import threading
    from concurrent.futures import Future
    from concurrent.futures import TimeoutError as WaitTimeout

    future: Future = Future()

    def target() -> None:
        try:
            future.set_result(compute())
        except BaseException as exc:  # handed to the waiting thread below
            future.set_exception(exc)

    threading.Thread(target=target, name="prefect-jupyter-dask-scheduler", daemon=True).start()
    while True:
        try:
            return future.result(timeout=0.1)
        except WaitTimeout:
            continue


def _scheduler_get(name: str) -> Callable:
    if name == "threads":
        from dask.threaded import get

        return get
    from dask.multiprocessing import get

    return get
