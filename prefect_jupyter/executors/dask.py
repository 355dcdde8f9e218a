"""``DaskExecutor``: task runs on a Dask cluster — an existing one, or a temporary local one.

With ``address`` the executor connects to a running scheduler (the way to scale beyond one
machine). Without it, it starts a ``distributed.LocalCluster`` bound to 127.0.0.1 with no dashboard
(unless ``cluster_kwargs`` asks for one) for the run, and closes it afterwards.

Task runs are submitted as futures; upstream futures are passed along, so Dask starts each task
as soon as its inputs exist. State events from the workers come back through Dask's event log
(``Worker.log_event`` → ``Client.subscribe_topic``) while the run goes on.

What a task run ships (see ``_Packer``): the flow runner's ``run_task`` call is pickled here, into
bytes, so the scheduler only passes bytes along instead of unpickling and re-pickling each task
run's Task, context and upstream edges. Inside those bytes, Dask futures become references to the
call's positional arguments (Dask resolves them as usual); the run context's ``Config`` travels as
the bytes of a plain dict, which a worker turns into its *own* configuration object when the
contents are the same (so entering the context does not merge a copy on every task run) and into a
copy when the driving process changed its configuration; and a mapped task's per-task constants
(the Task, its context, its edges, the upstream states every child shares, ...) go into the graph
once, as a key of their own that each child depends on, instead of once per child.
"""

from __future__ import annotations

import contextlib
import io
import logging
import pickle
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

from prefect_jupyter.executors.base import Executor
from prefect_jupyter.utilities.ids import new_hex


class DaskExecutor(Executor):
    """Runs tasks on a Dask cluster.

    Args:
        address: the scheduler's address (``tcp://host:8786``); default: a temporary cluster.
        cluster_class: the cluster class (or its dotted path) for a temporary cluster
            (default ``distributed.LocalCluster``).
        cluster_kwargs: arguments for ``cluster_class``.
        adapt_kwargs: if given, ``cluster.adapt(**adapt_kwargs)`` is called.
        client_kwargs: arguments for ``distributed.Client``.
        debug: show a temporary ``LocalCluster``'s logs (default: ``config.debug``); stored as
            ``cluster_kwargs["silence_logs"]``.
        performance_report_path: write Dask's HTML performance report of the run there.
        disable_cancellation_event: accepted for Prefect 1 compatibility; queued task runs are
            cancelled when the run stops early either way.
        watch_worker_status: log workers joining and leaving at DEBUG level (default: on unless
            ``adapt_kwargs`` is given).

    Example:
        >>> flow.run(executor=DaskExecutor(address="tcp://10.0.0.5:8786"))
        >>> flow.run(executor=DaskExecutor(cluster_kwargs={"n_workers": 2}))
    """

    def __init__(
        self,
        address: str | None = None,
        cluster_class: str | Callable | None = None,
        cluster_kwargs: dict | None = None,
        adapt_kwargs: dict | None = None,
        client_kwargs: dict | None = None,
        debug: bool | None = None,
        performance_report_path: str | None = None,
        disable_cancellation_event: bool = False,
        watch_worker_status: bool | None = None,
    ) -> None:
        from prefect_jupyter.configuration import config

        settings = config.engine.executor.get("dask") or {}
        address = address or settings.get("address") or None
        if address is not None and (cluster_class is not None or cluster_kwargs is not None):
            raise ValueError(
                "Cannot specify `address` and `cluster_class`/`cluster_kwargs`: an address means "
                "an existing cluster. Drop one of them."
            )
        if address is not None and not isinstance(address, str):
            raise TypeError(f"address must be a string like 'tcp://host:8786', got {address!r}.")
        self.address = address
        self.cluster_class: Callable | None = None
        self.cluster_kwargs: dict | None = None
        if address is None:
            self.cluster_class = _resolve_cluster_class(
                cluster_class or settings.get("cluster_class") or "distributed.LocalCluster"
            )
            self.cluster_kwargs = dict(cluster_kwargs or {})
            if _is_local_cluster(self.cluster_class):
                debug = bool(config.debug) if debug is None else debug
                self.cluster_kwargs.setdefault("silence_logs", logging.WARNING if debug else logging.CRITICAL)
        self.adapt_kwargs = adapt_kwargs
        self.client_kwargs = dict(client_kwargs or {})
        self.client_kwargs.setdefault("set_as_default", False)
        self.performance_report_path = performance_report_path
        # kept for Prefect 1 compatibility: submitted task runs are cancelled on early exit
        # whatever this says (see ``start``), so there is no per-task event to switch off
        self.disable_cancellation_event = disable_cancellation_event
        self.watch_worker_status = watch_worker_status
        self._init_runtime()

    def _init_runtime(self) -> None:
        """The attributes that live only inside ``start`` (never pickled)."""
        self.client: Any = None
        self._names: dict[str, str] = {}
        self._packer: _Packer | None = None
        self._futures: Any = None
        self._should_run_event: Any = None
        self._watch_dask_events_task: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in ("client", "_names", "_packer", "_futures", "_should_run_event", "_watch_dask_events_task"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_runtime()

    @property
    def performance_report(self) -> str:
        """The Dask performance report written at ``performance_report_path`` ("" if none)."""
        if not self.performance_report_path:
            return ""
        try:
            with open(self.performance_report_path, encoding="utf-8") as fp:
                return fp.read()
        except OSError:
            return ""

    def __repr__(self) -> str:
        where = self.address or "a temporary local cluster"
        return f"<Executor: DaskExecutor({where})>"

    # -- lifecycle ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def start(self) -> Iterator[None]:
        from distributed import Client

        if self.performance_report_path:
            _require_bokeh()  # before any cluster starts
        with contextlib.ExitStack() as stack:
            if self.address is None:
                cluster = stack.enter_context(self._temporary_cluster())
                self.client = stack.enter_context(Client(cluster, **self.client_kwargs))
            else:
                _logger().info("Connecting to an existing Dask cluster at %s", self.address)
                self.client = stack.enter_context(self._connect())
            if self.performance_report_path:
                from distributed import performance_report

                stack.enter_context(performance_report(self.performance_report_path))
            self._names = {}
            self._packer = _Packer(self.client)
            self._watch_worker_events()
            try:
                yield
            except BaseException:
                # interrupted or failed: don't let queued or running task runs go on
                futures = list(getattr(self.client, "futures", {}).values()) if self.client else []
                with contextlib.suppress(Exception):
                    self.client.cancel(futures, force=True)
                raise
            finally:
                if self._watch_dask_events_task is not None:
                    with contextlib.suppress(Exception):
                        self.client.unsubscribe_topic(self._watch_dask_events_task)
                self._init_runtime()

    def _watch_worker_events(self) -> None:
        """Log workers joining and leaving (the scheduler's ``all`` event topic) if asked to."""
        watch = self.watch_worker_status
        if watch is False or (watch is None and self.adapt_kwargs):
            return
        logger = _logger()

        def on_event(event: tuple) -> None:
            message = event[1] if isinstance(event[1], dict) else {}
            if message.get("action") == "add-worker":
                logger.debug("Worker %s added", message.get("worker"))
            elif message.get("action") == "remove-worker":
                logger.debug("Worker %s removed", message.get("worker"))

        self.client.subscribe_topic("all", on_event)
        self._watch_dask_events_task = "all"

    @contextlib.contextmanager
    def _temporary_cluster(self) -> Iterator[Any]:
        cls, kwargs = self.cluster_class, dict(self.cluster_kwargs or {})
        if _is_local_cluster(cls):
            # processes=False without a protocol runs in-process ("inproc://"): no host to bind
            if kwargs.get("processes", True) or kwargs.get("protocol"):
                kwargs.setdefault("host", "127.0.0.1")
            kwargs.setdefault("dashboard_address", None)
        name = getattr(cls, "__qualname__", repr(cls))
        _logger().info("Creating a new Dask cluster with `%s.%s`...", getattr(cls, "__module__", ""), name)
        with cls(**kwargs) as cluster:
            if getattr(cluster, "dashboard_link", None):
                _logger().info("The Dask dashboard is available at %s", cluster.dashboard_link)
            if self.adapt_kwargs is not None:
                cluster.adapt(**self.adapt_kwargs)
            yield cluster

    def _connect(self) -> Any:
        from distributed import Client

        kwargs = dict(self.client_kwargs)
        kwargs.setdefault("timeout", "5s")
        try:
            return Client(self.address, **kwargs)
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(
                f"Could not connect to the Dask scheduler at {self.address!r} within "
                f"{kwargs['timeout']}: {exc}. Check the address (e.g. 'tcp://host:8786') and that "
                "the scheduler is running, or leave out address= to use a temporary local cluster."
            ) from None

    @contextlib.contextmanager
    def forward_events(self, stream: Any, tasks_by_slug: dict[str, Any]) -> Iterator[Any]:
        if not stream:
            yield stream
            return
        from prefect_jupyter.engine.remote_events import DaskTopicSink, ForwardingStream, Receiver

        topic = f"prefect-jupyter-events-{new_hex()}"
        receiver = Receiver(stream, tasks_by_slug)
        self.client.subscribe_topic(topic, lambda event: receiver(event[1]))
        try:
            yield ForwardingStream(DaskTopicSink(topic))
        finally:
            _flush_events(self.client)
            with contextlib.suppress(Exception):
                self.client.unsubscribe_topic(topic)

    # -- submit and wait ---------------------------------------------------------------------------
    def submit(self, fn: Callable, *args: Any, extra_context: dict | None = None, **kwargs: Any) -> Any:
        if self.client is None:
            raise RuntimeError("DaskExecutor.submit called outside `with executor.start():`.")
        context = dict(extra_context or {})
        context.setdefault("task_name", getattr(fn, "__name__", "task"))
        options = self._prep_dask_kwargs(context)
        key, name = options.pop("key"), context["task_name"]
        self._names[key] = name
        try:
            if self._packer is not None and _is_run_task(fn):
                return self._packer.submit(key, name, fn, args, kwargs, options)
            return self.client.submit(fn, *args, key=key, pure=False, **options, **kwargs)
        except Exception as exc:
            problem = _pickling_problem(exc)
            if problem:
                raise TypeError(
                    f"Task {name!r} can't be sent to the Dask cluster: its inputs can't be "
                    f"pickled ({problem}). Pass picklable values, or use LocalExecutor()."
                ) from exc
            raise

    @staticmethod
    def _prep_dask_kwargs(extra_context: dict) -> dict[str, Any]:
        """Dask ``submit`` options for a task run: its ``key`` and, from ``dask-resource:NAME=N``
        task tags, the worker ``resources`` it needs.

        The key starts with the task's name. Prefect 1's ``task_index`` goes before the random
        part (``name-index-hex``); the flow runner's ``map_index`` goes after it, so a map's
        children share one key prefix and the scheduler keeps them in one task group (with one
        group per child, the scheduler's work per submission grows with the map's size).
        """
        name = extra_context.get("task_name") or "task"
        index, map_index = extra_context.get("task_index"), extra_context.get("map_index")
        key = f"{name}-{'' if index is None else f'{index}-'}{new_hex()}"
        options: dict[str, Any] = {"key": key if map_index is None else f"{key}-{map_index}"}
        resources = {}
        for tag in extra_context.get("task_tags") or ():
            if tag.lower().startswith("dask-resource:"):
                resource, _, amount = tag[len("dask-resource:") :].partition("=")
                try:
                    resources[resource] = float(amount)
                except ValueError:
                    raise ValueError(
                        f"Task tag {tag!r} is not of the form 'dask-resource:NAME=AMOUNT' "
                        "(e.g. 'dask-resource:GPU=1')."
                    ) from None
        if resources:
            options["resources"] = resources
        return options

    def wait(self, futures: Any) -> Any:
        try:
            return self.client.gather(futures)
        except Exception as exc:
            problem = _pickling_problem(exc)
            if problem:
                raise TypeError(
                    f"A task's inputs or result can't cross to the Dask cluster ({problem}). Use "
                    "picklable values, or LocalExecutor()."
                ) from exc
            raise


def _logger() -> logging.Logger:
    return logging.getLogger("prefect_jupyter.DaskExecutor")


def _resolve_cluster_class(cluster_class: str | Callable) -> Callable:
    """``cluster_class`` itself, or the object its dotted import path names."""
    if not isinstance(cluster_class, str):
        return cluster_class
    from prefect_jupyter.utilities.imports import import_object

    try:
        return import_object(cluster_class)
    except (ImportError, AttributeError) as exc:
        raise ValueError(
            f"cluster_class {cluster_class!r} can't be imported ({exc}). Give a dotted path such "
            "as 'distributed.LocalCluster', or the class itself."
        ) from exc


def _require_bokeh() -> None:
    import importlib.util

    if importlib.util.find_spec("bokeh") is None:
        raise ImportError(
            "performance_report_path needs bokeh to write Dask's performance report: "
            "`pip install bokeh`, or leave out performance_report_path."
        )


def _is_local_cluster(cls: Any) -> bool:
    return getattr(cls, "__name__", "") == "LocalCluster"


def _pickling_problem(exc: BaseException) -> str | None:
    """The root cause's first line when ``exc`` comes from (de)serializing, else ``None``.

    Dask wraps pickling errors ("Could not serialize object of type ...", with the graph or a
    whole traceback in the text); the innermost error says what couldn't be pickled.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if not any(word in f"{type(e).__name__} {e}".lower() for e in chain for word in ("pickl", "serializ")):
        return None
    text = str(chain[-1]) or type(chain[-1]).__name__
    return text.splitlines()[0]


def _flush_events(client: Any) -> None:
    """Give events logged by workers a moment to reach the client before unsubscribing."""
    import time

    time.sleep(0.2)


# -- shipping task runs ----------------------------------------------------------------------------

# run_task's arguments that differ between the children of one mapped task; the others are the
# same objects for every child (the flow runner passes them so) and are shipped once per task
_PER_CHILD = frozenset({"state", "upstream_states", "map_index", "is_mapped_parent"})
# values never worth a reference of their own
_SCALARS = frozenset({type(None), bool, int, float, str, bytes})

# what `_Pickler.reducer_override` does with an object, by its class
_INLINE, _CONFIG, _FUTURE, _TASK, _GLOBAL = range(5)


class _NeedsCloudpickle(Exception):
    """Plain pickle would pickle a function or class by a name workers can't import."""


def _is_run_task(fn: Callable) -> bool:
    from prefect_jupyter.engine.flow_runner import run_task

    return fn is run_task


class _TaskConstants:
    """A mapped task's shared objects, as submitted once to the cluster (``future``)."""

    __slots__ = ("objects", "ids", "future")

    def __init__(self, objects: tuple, ids: dict[int, int], future: Any) -> None:
        self.objects = objects  # holds them alive, so no other object can reuse an id in `ids`
        self.ids = ids
        self.future = future


class _Constant:
    """Stands for a mapped task's j-th shared object in a child's pickle."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __reduce__(self) -> Any:
        return (_constant_value, (self.index,))


class _Packer:
    """Pickles task runs into bytes for ``_run_packed``, for one flow run on one client.

    Per run, each ``Config`` and each ``Task`` is pickled once, and its bytes go along with every
    task run that refers to it (so any worker can run any task run), in a form that a worker
    unpickles once per run: a worker's task runs share one object per task, as they do in one
    process. Changes made to a task or to the configuration in the driving process while the run
    is going on are therefore not seen by task runs submitted later in that run.
    """

    def __init__(self, client: Any) -> None:
        from distributed import Future

        from prefect_jupyter.configuration import Config
        from prefect_jupyter.core.task import Task
        from prefect_jupyter.utilities.ids import new_hex

        self.client = client
        self.token = new_hex()  # tells this run's tasks apart from other runs' on a worker
        self.kinds: dict[type, int] = {}
        self.classes = (
            (Config, _CONFIG),
            (Future, _FUTURE),
            (Task, _TASK),
            (type, _GLOBAL),
            (types.FunctionType, _GLOBAL),
        )
        self.configs: dict[int, tuple[Any, tuple]] = {}
        self.tasks: dict[int, tuple[Any, tuple | None]] = {}
        self.constants: dict[int, _TaskConstants] = {}

    def kind(self, cls: type) -> int:
        kind = self.kinds.get(cls)
        if kind is None:
            kind = next((k for base, k in self.classes if issubclass(cls, base)), _INLINE)
            self.kinds[cls] = kind
        return kind

    def submit(self, key: str, name: str, fn: Callable, args: tuple, kwargs: dict, options: dict) -> Any:
        constants = None
        if kwargs.get("map_index") is not None:
            constants = self.task_constants(name, kwargs)
            kwargs = _with_constants(kwargs, constants.ids)
        payload, futures = self.dumps((fn, args, kwargs))
        # the flow runner waits for a mapped parent before it submits the children: let it go
        # ahead of task runs already queued (e.g. the children of the map before it)
        priority = 1 if kwargs.get("is_mapped_parent") else 0
        return self.client.submit(
            _run_packed,
            payload,
            constants.future if constants else None,
            *futures,
            key=key,
            pure=False,
            priority=priority,
            **options,
        )

    def task_constants(self, name: str, kwargs: dict) -> _TaskConstants:
        """The shared objects of a mapped task's children, submitted once per task."""
        upstream = kwargs.get("upstream_states") or {}
        objects = (
            *(value for arg, value in kwargs.items() if arg not in _PER_CHILD),
            *upstream,
            *(state for edge, state in upstream.items() if not getattr(edge, "mapped", True)),
        )
        task = kwargs.get("task")
        known = self.constants.get(id(task))
        if (
            known is not None
            and len(known.objects) == len(objects)
            and all(a is b for a, b in zip(known.objects, objects, strict=True))
        ):
            return known
        shared = tuple(obj for obj in objects if type(obj) not in _SCALARS)
        data, futures = self.dumps(shared)
        from prefect_jupyter.utilities.ids import new_hex

        future = self.client.submit(
            _unpack_constants, data, *futures, key=f"{name}-constants-{new_hex()}", pure=False
        )
        known = _TaskConstants(objects, {id(obj): j for j, obj in enumerate(shared)}, future)
        self.constants[id(task)] = known
        return known

    def dumps(self, obj: Any) -> tuple[bytes, list]:
        """``obj`` pickled, and the futures it refers to (in the order of their references).

        As ``distributed`` does, plain pickle first and cloudpickle for what it can't do
        (lambdas, functions and classes defined in ``__main__`` such as a notebook's).
        """
        try:
            return self._dumps(obj, _Pickler)
        except Exception:  # anything plain pickle can't do; cloudpickle says what it can't
            return self._dumps(obj, _cloud_pickler())

    def _dumps(self, obj: Any, cls: type) -> tuple[bytes, list]:
        file = io.BytesIO()
        pickler = cls(file, self)
        pickler.dump(obj)
        return file.getvalue(), pickler.futures

    def config_reduction(self, cfg: Any) -> tuple:
        """How a ``Config`` pickles: as the pickle of a plain dict, made once per run."""
        known = self.configs.get(id(cfg))
        if known is None or known[0] is not cfg:
            from prefect_jupyter.utilities.collections import as_nested_dict

            data, _ = self.dumps(as_nested_dict(cfg, dict))
            known = self.configs[id(cfg)] = (cfg, (_shipped_config, (data,)))
        return known[1]

    def task_reduction(self, task: Any) -> tuple | None:
        """How a ``Task`` pickles: as (run token, number, its pickle), made once per run.

        ``None`` (pickle it as usual) while the task itself is being pickled, or if its pickle
        holds futures.
        """
        known = self.tasks.get(id(task))
        if known is not None and known[0] is task:
            return known[1]
        self.tasks[id(task)] = (task, None)  # a task that refers back to itself is pickled inline
        data, futures = self.dumps(task)
        reduction = None if futures else (_shipped_task, (self.token, len(self.tasks), data))
        self.tasks[id(task)] = (task, reduction)
        return reduction


def _with_constants(kwargs: dict, ids: dict[int, int]) -> dict:
    """A child's run_task arguments with its task's shared objects replaced by ``_Constant``s."""

    def ref(obj: Any) -> Any:
        index = ids.get(id(obj))
        return obj if index is None else _Constant(index)

    new = {arg: ref(value) for arg, value in kwargs.items()}
    upstream = kwargs.get("upstream_states")
    if upstream:
        new["upstream_states"] = {ref(edge): ref(state) for edge, state in upstream.items()}
    return new


class _References:
    """``reducer_override`` for the picklers of ``_Packer``: futures, configs and tasks.

    (Plain pickle does not call it for ``None``, numbers, strings, bytes, lists, tuples, dicts
    and sets, which keeps it cheap.)
    """

    def __init__(self, file: Any, packer: _Packer) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[call-arg]
        self.packer = packer
        self.futures: list = []
        self.future_index: dict[str, int] = {}

    def reducer_override(self, obj: Any) -> Any:
        packer = self.packer
        cls = obj.__class__
        kind = packer.kinds.get(cls)
        if kind is None:
            kind = packer.kind(cls)
        if kind == _INLINE:
            return self.default_reduction(obj)
        if kind == _GLOBAL:
            if self.by_name_only and _pickled_by_value(obj):
                raise _NeedsCloudpickle(obj)
            return self.default_reduction(obj)
        if kind == _TASK:
            return packer.task_reduction(obj) or self.default_reduction(obj)
        if kind == _CONFIG:
            return packer.config_reduction(obj)
        index = self.future_index.get(obj.key)
        if index is None:
            index = self.future_index[obj.key] = len(self.futures)
            self.futures.append(obj)
        return (_future_value, (index,))

    by_name_only = True  # plain pickle: functions and classes go by name

    def default_reduction(self, obj: Any) -> Any:
        return NotImplemented


def _pickled_by_value(obj: Any) -> bool:
    """Whether a worker can't import ``obj`` by name (as ``distributed`` decides it)."""
    module = getattr(obj, "__module__", None)
    if module == "__main__":
        return True
    import cloudpickle

    return module in cloudpickle.list_registry_pickle_by_value()


class _Pickler(_References, pickle.Pickler):
    pass


_CLOUD_PICKLER: list[type] = []


def _cloud_pickler() -> type:
    """``_Pickler`` on cloudpickle (made on first use: cloudpickle is imported then)."""
    if not _CLOUD_PICKLER:
        import cloudpickle

        _CLOUD_PICKLER.append(
            type(
                "_CloudPickler",
                (_References, cloudpickle.Pickler),
                {"default_reduction": cloudpickle.Pickler.reducer_override, "by_name_only": False},
            )
        )
    return _CLOUD_PICKLER[0]


# -- on the worker ----------------------------------------------------------------------------------

# the futures' values and the constants of the pickle being loaded, per thread
_LOADING = threading.local()


def _loads(data: bytes, futures: tuple = (), constants: tuple = ()) -> Any:
    loading = _LOADING.__dict__
    previous = loading.get("futures"), loading.get("constants")
    loading["futures"], loading["constants"] = futures, constants
    try:
        return pickle.loads(data)
    finally:
        loading["futures"], loading["constants"] = previous


def _future_value(index: int) -> Any:
    return _LOADING.futures[index]


def _constant_value(index: int) -> Any:
    return _LOADING.constants[index]


def _run_packed(payload: bytes, constants: _Constants | None, *futures: Any) -> Any:
    """Run a call pickled by ``_Packer`` (on a worker); ``futures`` are its futures' values."""
    fn, args, kwargs = _loads(payload, futures, constants.values if constants is not None else ())
    return fn(*args, **kwargs)


class _Constants:
    """A mapped task's shared objects on a worker; every child there gets the same ones.

    Pickles as the bytes it came from, so a worker that fetches it from another one unpacks it
    again (and maps its config to its own).
    """

    __slots__ = ("data", "futures", "values")

    def __init__(self, data: bytes, futures: tuple) -> None:
        self.data = data
        self.futures = futures
        self.values = _loads(data, futures)

    def __reduce__(self) -> Any:
        return (_unpack_constants, (self.data, *self.futures))

    def __sizeof__(self) -> int:
        return len(self.data)


def _unpack_constants(data: bytes, *futures: Any) -> _Constants:
    return _Constants(data, futures)


# shipped configs: pickled plain dict -> the worker's own config, or a copy of the shipped one
_CONFIGS: dict[bytes, Any] = {}
# shipped tasks: run token -> {number: task}, for the last few runs
_TASKS: dict[str, dict[int, Any]] = {}
_RUNS_KEPT = 8
_TASKS_LOCK = threading.Lock()


def _shipped_config(data: bytes) -> Any:
    """The worker's own ``config`` when the shipped one has the same contents, else a copy.

    Decided once per shipped config: like a task run in the driving process, a task run here
    then sees changes made to this process's configuration since.
    """
    known = _CONFIGS.get(data)
    if known is None:
        from prefect_jupyter.configuration import Config, config
        from prefect_jupyter.utilities.collections import as_nested_dict

        plain = _loads(data)
        known = config if config == plain else as_nested_dict(plain, Config)
        if len(_CONFIGS) >= 16:
            _CONFIGS.clear()
        _CONFIGS[data] = known
    return known


def _shipped_task(token: str, number: int, data: bytes) -> Any:
    """The task a run shipped as ``number``, unpickled once per run on this worker."""
    tasks = _TASKS.get(token)
    if tasks is None:
        with _TASKS_LOCK:
            tasks = _TASKS.get(token)
            if tasks is None:
                if len(_TASKS) >= _RUNS_KEPT:
                    # the oldest run; should it go on, its task runs unpickle its tasks again
                    del _TASKS[next(iter(_TASKS))]
                tasks = _TASKS[token] = {}
    task = tasks.get(number)
    if task is None:
        task = tasks.setdefault(number, _loads(data))
    return task
