"""``DaskExecutor``: task runs on a Dask cluster — an existing one, or a temporary local one.

With ``address`` the executor connects to a running scheduler (the way to scale beyond one
machine). Without it, it starts a ``distributed.LocalCluster`` bound to 127.0.0.1 with no dashboard
(unless ``cluster_kwargs`` asks for one) for the run, and closes it afterwards.

Task runs are submitted as futures; upstream futures are passed along, so Dask starts each task
as soon as its inputs exist. State events from the workers come back through Dask's event log
(``Worker.log_event`` → ``Client.subscribe_topic``) while the run goes on.
"""

from __future__ import annotations

import contextlib
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
        debug: show the cluster's logs (default: ``config.debug``).

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
        self.cluster_class = cluster_class or settings.get("cluster_class") or "distributed.LocalCluster"
        self.cluster_kwargs = dict(cluster_kwargs or {})
        self.adapt_kwargs = adapt_kwargs
        self.client_kwargs = dict(client_kwargs or {})
        self.client_kwargs.setdefault("set_as_default", False)
        self.debug = bool(config.debug) if debug is None else debug
        self.client: Any = None
        self._names: dict[str, str] = {}

    def __repr__(self) -> str:
        where = self.address or "a temporary local cluster"
        return f"<Executor: DaskExecutor({where})>"

    # -- lifecycle ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def start(self) -> Iterator[None]:
        from distributed import Client

        with contextlib.ExitStack() as stack:
            if self.address is None:
                cluster = stack.enter_context(self._temporary_cluster())
                self.client = stack.enter_context(Client(cluster, **self.client_kwargs))
            else:
                self.client = stack.enter_context(self._connect())
            self._names = {}
            try:
                yield
            except BaseException:
                # interrupted or failed: don't let queued or running task runs go on
                futures = list(getattr(self.client, "futures", {}).values()) if self.client else []
                with contextlib.suppress(Exception):
                    self.client.cancel(futures, force=True)
                raise
            finally:
                self.client = None

    @contextlib.contextmanager
    def _temporary_cluster(self) -> Iterator[Any]:
        import logging

        from prefect_jupyter.utilities.imports import import_object

        cls = import_object(self.cluster_class) if isinstance(self.cluster_class, str) else self.cluster_class
        kwargs = dict(self.cluster_kwargs)
        if getattr(cls, "__name__", "") == "LocalCluster":
            kwargs.setdefault("host", "127.0.0.1")
            kwargs.setdefault("dashboard_address", None)
            kwargs.setdefault("silence_logs", logging.WARNING if self.debug else logging.CRITICAL)
        with cls(**kwargs) as cluster:
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
        name = (extra_context or {}).get("task_name") or getattr(fn, "__name__", "task")
        index = (extra_context or {}).get("map_index")
        # the scheduler groups tasks by key prefix (the part before "-<hex>"): keep the map index
        # after the hex, or each mapped child becomes a group of its own and the scheduler, which
        # walks every group on each submission, slows down quadratically
        key = f"{name}-{new_hex()}{'' if index is None else f'-{index}'}"
        self._names[key] = name
        try:
            return self.client.submit(fn, *args, key=key, pure=False, **kwargs)
        except Exception as exc:
            problem = _pickling_problem(exc)
            if problem:
                raise TypeError(
                    f"Task {name!r} can't be sent to the Dask cluster: its inputs can't be "
                    f"pickled ({problem}). Pass picklable values, or use LocalExecutor()."
                ) from exc
            raise

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
