"""A flow run on the server, followed through its GraphQL API for the notebook widget.

A run an agent executes (or one started with ``Client().create_flow_run``) happens in another
process; the notebook sees it through the server's public GraphQL API, as the web UI does.
:class:`ServerWatch` polls the run's state, its task runs' states and its new log lines, turns
every change into the same :class:`~prefect_jupyter.engine.events.StateEvent` a local run
publishes, and hands them to the widget's observer — so the graph, the mapped counts, the header
and the details panel work alike for local and server runs. Results stay on the agent's side:
details show states, messages, times and log lines.

Each poll asks for the flow run, a page of up to ``TASK_RUN_PAGE`` task runs at a time, and the
log lines after those already seen. Polling stops when the flow run has finished (after a last
poll, so the final states are shown). :func:`prefect_jupyter.jupyter.watch_run.watch` (``%flow
watch RUN_ID``) puts a widget on it.
"""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

from prefect_jupyter.engine.events import StateEvent
from prefect_jupyter.engine.state import Pending, Running, State

__all__ = ["ServerWatch", "follow", "registered_flow"]

#: seconds between two polls of the server while the run goes on
POLL_INTERVAL = 0.5


def _state(serialized: Any, name: str | None, message: str | None = None) -> State:
    """A state from the server's serialized state (or, failing that, from its class name)."""
    from prefect_jupyter.engine import state as state_module
    from prefect_jupyter.engine.state_schema import state_from_dict

    if isinstance(serialized, dict) and serialized:
        try:
            return state_from_dict(serialized)
        except (KeyError, TypeError, ValueError):
            pass
    cls = getattr(state_module, name or "Pending", None)
    cls = cls if isinstance(cls, type) and issubclass(cls, State) else Pending
    return cls(message=message)


def _timestamp(text: Any) -> float:
    if isinstance(text, str):
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    return time.time()


class ServerWatch:
    """Polls flow run ``flow_run_id`` on the server and feeds its changes to ``observer``.

    Args:
        flow: the flow the run is of (its task slugs are the server's task slugs).
        flow_run_id: the run to watch.
        observer: takes each :class:`StateEvent` (``FlowWidget.observe_run()``).
        add_log: takes each new log line (``"HH:MM:SS LEVEL name: message"``), or ``None``.
        client: a ``prefect_jupyter.client.Client`` (default: one for ``config.cloud.graphql``).
        poll: seconds between polls.
    """

    def __init__(
        self, flow: Any, flow_run_id: str, observer: Any, add_log: Any = None,
        client: Any = None, poll: float = POLL_INTERVAL,
    ) -> None:
        from prefect_jupyter.client import Client

        self.flow_run_id = flow_run_id
        self.observer = observer
        self.add_log = add_log
        self.client = client or Client()
        self.poll = poll
        self.tasks = {slug: task for task, slug in flow.slugs.items()}
        self.seen: dict[tuple[str, int], tuple] = {}  # (slug, map_index) -> (state, version)
        self.flow_seen: tuple | None = None
        self.started = False
        self.logs_seen = 0
        self.state: State | None = None  # the flow run's state, final once `finished` is set
        self.finished = threading.Event()
        self.widget: Any = None  # the FlowWidget showing the run, when :func:`watch` made one
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "not polled yet" if self.state is None else type(self.state).__name__
        return f"<ServerWatch: flow run {self.flow_run_id} ({state})>"

    # -- one poll ------------------------------------------------------------------------------
    def poll_once(self) -> bool:
        """Read the run's changes since the last poll and publish them; ``True`` once the
        flow run has finished (its final state published)."""
        from prefect_jupyter.client import queries

        run = self.client.graphql(queries.FLOW_RUN_VIEW, {"id": self.flow_run_id}).data.flow_run_by_pk
        if run is None:
            raise ValueError(
                f"There is no flow run {self.flow_run_id} on the server. Copy the id from "
                "`prefect-jupyter get flow-runs` or the web UI."
            )
        flow_state = self.state = _state(run.serialized_state, run.state)
        if not self.started:  # a run's first event starts the widget's run, as a local run's does
            self.started = True
            self._emit(None, None, Running("Watching the run on the server."), time.time())
        for row in self._task_runs():
            self._task_run(row)
        self._logs()
        if flow_state.is_finished():
            self._emit(None, None, flow_state, time.time())
            return True
        return False

    def _task_runs(self) -> list[Any]:
        from prefect_jupyter.client import queries

        rows: list[Any] = []
        while True:
            page = self.client.graphql(
                queries.FLOW_RUN_TASK_RUNS,
                {"id": self.flow_run_id, "limit": queries.TASK_RUN_PAGE, "offset": len(rows)},
            ).data.task_run
            rows += page
            if len(page) < queries.TASK_RUN_PAGE:
                return rows

    def _task_run(self, row: Any) -> None:
        slug = row.task.slug if row.task else None
        task = self.tasks.get(slug)
        if task is None:
            return
        key = (slug, row.map_index)
        mark = (row.state, row.version)
        if self.seen.get(key) == mark or row.state is None:
            return
        self.seen[key] = mark
        map_index = None if row.map_index is None or row.map_index < 0 else row.map_index
        self._emit(task, map_index, _state(row.serialized_state, row.state), time.time())

    def _logs(self) -> None:
        from prefect_jupyter.client import queries

        rows = self.client.graphql(
            queries.FLOW_RUN_LOGS_AFTER, {"id": self.flow_run_id, "offset": self.logs_seen}
        ).data.log
        self.logs_seen += len(rows)
        if self.add_log is None:
            return
        for r in rows:
            stamp = time.strftime("%H:%M:%S", time.localtime(_timestamp(r.timestamp)))
            self.add_log(f"{stamp} {r.level or 'INFO'} server: {r.message or ''}")

    def _emit(self, task: Any, map_index: int | None, state: State, timestamp: float) -> None:
        self.observer(StateEvent(self.flow_run_id, task, map_index, None, state, timestamp))

    # -- the polling thread --------------------------------------------------------------------
    def start(self) -> ServerWatch:
        """Poll in a daemon thread until the run finishes (the cell is free meanwhile)."""
        self._thread = threading.Thread(target=self._loop, name="prefect-jupyter-watch", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        from prefect_jupyter.utilities.logging import get_logger

        try:
            while not self.poll_once():
                time.sleep(self.poll)
        except Exception:
            get_logger("notebook").exception("Watching flow run %s stopped.", self.flow_run_id)
            close = getattr(self.observer, "close", None)
            if close is not None:
                close()  # a widget's observer: push what it has, stop keeping log lines
        finally:
            self.finished.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has finished (or ``timeout`` seconds); whether it finished."""
        return self.finished.wait(timeout)


def registered_flow(flow_run_id: str, client: Any = None) -> Any:
    """The flow of run ``flow_run_id``, with its code, loaded from the server.

    Raises:
        ValueError: when the server has no such run.
    """
    from prefect_jupyter.client import Client, queries
    from prefect_jupyter.core.flow import Flow

    client = client or Client()
    run = client.graphql(queries.FLOW_RUN_VIEW, {"id": flow_run_id}).data.flow_run_by_pk
    if run is None:
        raise ValueError(
            f"There is no flow run {flow_run_id} on the server. Copy the id from "
            "`prefect-jupyter get flow-runs` or the web UI."
        )
    return Flow.load_registered(run.flow_id, api_server=getattr(client, "api_server", None))


def follow(flow: Any, flow_run_id: str, client: Any = None, poll: float = POLL_INTERVAL) -> State:
    """Poll run ``flow_run_id`` here until it finishes (no widget: terminal IPython); returns
    its final state."""
    watch = ServerWatch(flow, flow_run_id, lambda event: None, client=client, poll=poll)
    while not watch.poll_once():
        time.sleep(poll)
    assert watch.state is not None
    return watch.state
