"""``DaskExecutor``: task runs on a Dask cluster — an existing one, or a temporary local one.

With ``address`` the executor connects to a running scheduler (the way to scale beyond one
machine). Without it, it starts a ``distributed.LocalCluster`` bound to 127.0.0.1 with no dashboard
(unless ``cluster_kwargs`` asks for one) for the run, and closes it afterwards.

Task runs are submitted as futures; upstream futures are passed along, so Dask starts each task
as soon as its inputs exist. State events from the workers come back through Dask's event log
(``Worker.log_event`` → ``Client.subscribe_topic``) while the run goes on.

What a task run ships (see ``_Packer`` in :mod:`prefect_jupyter.executors.dask_shipping`): the flow runner's ``run_task`` call is pickled here, into
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
import logging
from collections.abc import Callable, Iterator
from typing import Any

from prefect_jupyter.executors.base import Executor
from prefect_jupyter.executors.dask_shipping import _is_run_task, _Packer
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
