"""How ``DaskExecutor`` ships a task run: the packing described in :mod:`prefect_jupyter.executors.dask`.

``_Packer`` pickles the flow runner's ``run_task`` call into bytes on the driving side; the
functions at the bottom (``_run_packed`` and the loaders) unpack it on a worker.
"""

from __future__ import annotations

import io
import pickle
import threading
import types
from collections.abc import Callable
from typing import Any

from prefect_jupyter.utilities.ids import new_hex

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
