"""``LocalDaskExecutor``: task runs on this machine's cores through Dask's local schedulers.

Submitting adds a node to a plain Dask graph (a dict); ``wait`` computes what is asked for with the
``threads``, ``processes`` or ``synchronous`` scheduler. Every value computed is kept by key and
spliced into later graphs, so a task run never executes twice even when the flow runner waits
part-way through (it does so before a mapped task, to know how many children to make). Within one
``wait`` Dask orders the work depth-first, so chained maps run element by element.

On the ``processes`` scheduler task runs happen in other processes; their state events come back
through a multiprocessing manager queue (see :mod:`prefect_jupyter.engine.remote_events`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from prefect_jupyter.executors.base import Executor
from prefect_jupyter.utilities.ids import new_hex

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
        self.scheduler = self._normalize_scheduler(scheduler)
        self.dask_config = kwargs
        self._init_runtime()

    def _init_runtime(self) -> None:
        """The attributes that live only inside ``start`` (never pickled)."""
        self._pool: Any = None
        self._results: dict[str, Any] = {}
        self._names: dict[str, str] = {}
        self._graph: dict[str, tuple] = {}  # submitted task runs not computed yet
        self._upstream: dict[str, list[str]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"scheduler": self.scheduler, "dask_config": self.dask_config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_runtime()

    @staticmethod
    def _normalize_scheduler(scheduler: str) -> str:
        """The canonical name (``threads``, ``processes``, ``synchronous``) of a Dask scheduler
        name or alias, in any case.

        Raises:
            ValueError: for a name Dask's local schedulers don't know.
        """
        name = _SCHEDULERS.get(str(scheduler).lower())
        if name is None:
            raise ValueError(
                f"Unknown scheduler {scheduler!r}: use 'threads', 'processes' or 'synchronous'."
            )
        return name

    def __repr__(self) -> str:
        return f"<Executor: LocalDaskExecutor(scheduler={self.scheduler!r})>"

    # -- lifecycle ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def start(self) -> Iterator[None]:
        import dask

        self._results, self._names, self._graph, self._upstream = {}, {}, {}, {}
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
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
            # Start every worker now: the pool starts them one by one as work arrives, and a
            # spawned worker takes a second or more, so the first tasks would run one after
            # another. Each warm-up call holds its worker briefly so the next one needs a new one.
            for future in [pool.submit(_warm_up) for _ in range(workers)]:
                future.result()
            return pool
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
        name = (extra_context or {}).get("task_name") or getattr(fn, "__name__", "task")
        index = (extra_context or {}).get("map_index")
        # Prefect 1's ``task_index`` goes into the key as ``name-index-hex``
        prefix = name if (task_index := (extra_context or {}).get("task_index")) is None else f"{name}-{task_index}"
        key = f"{prefix}{'' if index is None else f'[{index}]'}-{new_hex()}"
        self._names[key] = name
        # the graph is a plain dict of (function, *upstream keys): dask.delayed would walk and
        # re-optimise every upstream graph on each call, which costs O(upstream) per task run
        upstream: list[str] = []
        call = _Call(fn, self._with_slots(args, upstream), self._with_slots(kwargs, upstream))
        self._graph[key] = (_run_call, call, *upstream)
        self._upstream[key] = upstream
        return _Future(key, self)

    def _with_slots(self, obj: Any, upstream: list[str]) -> Any:
        """``obj`` with each future replaced by its value if computed, else by a ``_Slot``
        (its upstream key appended to ``upstream``); containers without futures are kept."""
        if isinstance(obj, _Future):
            if obj.key in self._results:
                return self._results[obj.key]
            upstream.append(obj.key)
            return _Slot(len(upstream) - 1)
        return _map_containers(obj, lambda item: self._with_slots(item, upstream))

    def wait(self, futures: Any) -> Any:
        wanted: list[str] = []
        _collect(futures, wanted)
        pending = [key for key in dict.fromkeys(wanted) if key not in self._results]
        if pending:
            self._compute(pending)
        return self._substitute(futures)

    def _compute(self, keys: list[str]) -> None:
        import dask

        # the part of the graph not computed yet, with computed upstream results as values
        graph: dict[str, Any] = {}
        stack = list(keys)
        while stack:
            key = stack.pop()
            if key in graph:
                continue
            if key in self._results:
                graph[key] = self._results[key]  # a State: dask takes it as a value
                continue
            graph[key] = self._graph[key]
            stack.extend(self._upstream[key])
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
        for key in keys:
            self._graph.pop(key, None)
            self._upstream.pop(key, None)

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
        if isinstance(obj, _Future):
            return self._results[obj.key]
        return _map_containers(obj, self._substitute)


class _Future:
    """A submitted task run: the key of its node in the executor's graph."""

    __slots__ = ("key", "_executor")

    def __init__(self, key: str, executor: LocalDaskExecutor) -> None:
        self.key = key
        self._executor = executor

    def compute(self, **_: Any) -> Any:
        """This task run's value (computed with the executor's scheduler, like ``wait``).

        Keyword arguments such as ``scheduler=`` are accepted for Prefect 1 compatibility and
        ignored: the value is computed once and kept, whichever scheduler is asked for.
        """
        return self._executor.wait(self)

    def __repr__(self) -> str:
        return f"<LocalDaskExecutor future {self.key}>"


class _Slot:
    """Where the value of a call's ``index``-th upstream task run goes."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class _Call:
    """A task run's function and arguments, upstream values marked by ``_Slot``s.

    Dask sees it as one opaque argument, so it never walks (or copies) the arguments.
    """

    __slots__ = ("fn", "args", "kwargs")

    def __init__(self, fn: Callable, args: tuple, kwargs: dict) -> None:
        self.fn, self.args, self.kwargs = fn, args, kwargs


def _run_call(call: _Call, *upstream: Any) -> Any:
    """Fill the slots of ``call`` with the upstream values dask passes, and call it."""
    if not upstream:
        return call.fn(*call.args, **call.kwargs)

    def fill(obj: Any) -> Any:
        if isinstance(obj, _Slot):
            return upstream[obj.index]
        return _map_containers(obj, fill)

    return call.fn(*fill(call.args), **fill(call.kwargs))


def _map_containers(obj: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn`` applied to the items of a dict, list or tuple (``obj`` itself when none changes);
    anything else is returned as is."""
    kind = type(obj)
    if kind is dict:
        items = {k: fn(v) for k, v in obj.items()}
        return obj if all(items[k] is v for k, v in obj.items()) else items
    if kind is list or kind is tuple:
        values = [fn(v) for v in obj]
        if all(new is old for new, old in zip(values, obj, strict=True)):
            return obj
        return kind(values)
    return obj


def _collect(obj: Any, found: list[str]) -> None:
    if isinstance(obj, _Future):
        found.append(obj.key)
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


def _warm_up() -> None:
    """A no-op run once in each new worker process (see ``_make_pool``)."""
    import time

    time.sleep(0.05)
