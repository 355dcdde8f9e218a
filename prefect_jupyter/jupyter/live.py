"""Live run state for the flow widget: state events in, coalesced widget updates out.

Two parts:

* :class:`RunTracker` — what is known about one flow run, by graph node: the latest state of each
  task run and of each mapped child, when each started and ended, and the log lines (per node,
  per mapped child and for the run). It turns that into the widget's ``states`` fields
  (``viz.node_state`` plus live counts for mapped nodes), the header, and node details
  (:mod:`~prefect_jupyter.jupyter.details`): a selected node's, and — since a kernel busy running
  the flow answers no click — those of every node whose details changed, sent with each update.
  Every method is thread-safe.
* :class:`LiveRun` — the observer for the engine's state-event stream
  (``flow.run(observers=[live])`` or ``with events.observe(live):``). Events arrive on executor
  worker threads and on Dask's client loop thread; each one is recorded at once and marks its
  node changed, and a timer thread pushes the changes to the widget at most every
  ``interval`` seconds (≈ 10 messages a second however many events happen), each carrying only
  the nodes that changed. When the flow run finishes, the last changes are pushed at once. From
  its creation until the run ends, a :class:`~prefect_jupyter.jupyter.run_logs.RunLogHandler`
  on the ``prefect_jupyter`` logger keeps the run's log lines, and stderr shows only warnings
  and errors (:func:`~prefect_jupyter.jupyter.run_logs.quiet_stderr`).

A mapped task is one node: its own state comes from events with ``map_index=None``, its
``counts`` from its children's events (latest state of each child, counted by state name), and
``n_children`` from its ``Mapped`` state (or the children seen so far, if more). While the run is
on and any child has not finished, the node (and its details) show ``Running`` rather than the
parent's ``Mapped``: the task reads as running until its last child ends, then takes ``Mapped``'s
colour, with the progress bar and counts telling how the children ended.
"""

from __future__ import annotations

import collections
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prefect_jupyter.engine.events import StateEvent
from prefect_jupyter.engine.state import Mapped, Running, State
from prefect_jupyter.engine.state_sets import FAILED, FINISHED, SUCCESSFUL
from prefect_jupyter.jupyter.details import (
    CHILD_RESULT_CHARS,
    TaskRunRecord,
    node_details,
)
from prefect_jupyter.jupyter.run_logs import RunLogHandler, quiet_stderr
from prefect_jupyter.viz.model import (
    SECRET_REPR,
    holds_secret,
    node_state,
    short_repr,
    task_states,
)

__all__ = ["RunTracker", "LiveRun", "Update", "dashboard_link"]

#: seconds between two pushes to the widget while a flow runs
FLUSH_INTERVAL = 0.1
#: children in a run's maps from which the header shows their progress, rate and time left
BIG_MAP = 50
#: log lines kept per node (and per mapped child)
LOG_LINES = 50
#: log lines of the whole run kept (and shown in the widget's run log)
RUN_LOG_LINES = 1_000
#: seconds to wait for the Dask dashboard to answer before the header leaves its link out
DASHBOARD_TIMEOUT = 30.0
#: seconds between two sends of a mapped node's details (with one row per child) during a run
MAPPED_DETAILS_INTERVAL = 1.0


@dataclass(slots=True)
class Update:
    """What one push sends: changed node states, the header, the run state.

    ``full`` asks the widget to send every node's state, not only the changed ones: set for an
    explicit :meth:`LiveRun.flush` (and so when a run ends), unset for the timer's pushes.
    """

    states: dict[str, dict[str, Any]]
    header: dict[str, Any]
    run_state: str
    changed: set[str]
    full: bool = False
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    log_lines: list[str] = field(default_factory=list)
    log_start: int = 0


class RunTracker:
    """What is known about the current flow run of one flow, by graph node id.

    Args:
        flow: the flow; its ``slugs`` are the node ids.
        graph: the flow's graph model (for node names, kinds and inputs).
        log_lines: how many log lines to keep per node and per mapped child.
    """

    def __init__(self, flow: Any, graph: dict[str, Any], log_lines: int = LOG_LINES) -> None:
        self.flow_name = str(flow.name)
        self.ids: dict[Any, str] = dict(flow.slugs)
        nodes = {n["id"]: n for n in graph.get("nodes", ())}
        self.kinds = {i: nodes.get(i, {}).get("kind", "task") for i in self.ids.values()}
        self.names = {i: nodes.get(i, {}).get("name", i) for i in self.ids.values()}
        self.inputs: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for edge in graph.get("edges", ()):
            source = nodes.get(edge["source"], {}).get("name", edge["source"])
            self.inputs[edge["target"]].append({
                "key": edge.get("key"), "source": source, "source_id": edge["source"],
                "mapped": edge.get("mapped", False),
            })
        # values known before the run: Constant tasks, and constants folded into their task
        self.values: dict[str, Any] = {
            slug: task.value for task, slug in self.ids.items() if self.kinds[slug] == "constant"
        }
        for task, constants in flow.constants.items():
            for key, value in constants.items():
                self.values[f"{self.ids.get(task)}.{key}"] = value
        self.log_lines = log_lines
        self.lock = threading.RLock()
        self.reset()

    # -- recording ------------------------------------------------------------------------------
    def reset(self, flow_run_id: str | None = None, started: float | None = None) -> None:
        """Forget everything: a new run (``flow_run_id``) begins at ``started``."""
        with self.lock:
            self.flow_run_id = flow_run_id
            self.flow_state: State | None = None
            self.started = started
            self.ended: float | None = None
            self.runs: dict[str, TaskRunRecord] = {}
            self.children: dict[str, dict[int, TaskRunRecord]] = {}
            self.logs: dict[tuple[str, int | None], collections.deque[str]] = {}
            prelude = getattr(self, "prelude", [])
            self.prelude: list[str] = []
            self.run_log: collections.deque[str] = collections.deque(prelude, maxlen=RUN_LOG_LINES)
            self.new_lines: list[str] = list(prelude)
            self.lines_sent = 0
            self.done: dict[str, str] = {}  # finished task nodes -> their state's name
            self.child_progress: dict[str, tuple[int, int]] = {}  # mapped node -> (finished, all)
            self.dirty: set[str] = set(self.ids.values())
            self.details_dirty: set[str] = set()
            self.details_sent: dict[str, float] = {}
            self.dashboard = ""  # the Dask dashboard's URL while the run's executor has one

    @property
    def active(self) -> bool:
        """Whether a run has started and not finished."""
        return self.started is not None and self.ended is None

    def record(self, event: StateEvent) -> str:
        """Take in one event. Returns ``"start"`` / ``"end"`` for the flow run's first / final
        event, ``"task"`` for a task's event, ``""`` for an event of another run or flow."""
        with self.lock:
            if event.task is None:
                return self._record_flow(event)
            node = self.ids.get(event.task)
            if node is None:
                return ""
            if self.flow_run_id is None:  # observing from the middle of a run
                self.flow_run_id, self.started = event.flow_run_id, event.timestamp
            elif event.flow_run_id != self.flow_run_id:
                return ""
            if event.map_index is None:
                record = self.runs.setdefault(node, TaskRunRecord())
            else:
                record = self.children.setdefault(node, {}).setdefault(
                    event.map_index, TaskRunRecord()
                )
            record.note(event.new_state, event.timestamp)
            self.dirty.add(node)
            self.details_dirty.add(node)
            return "task"

    def _record_flow(self, event: StateEvent) -> str:
        state = event.new_state
        new_run = event.flow_run_id != self.flow_run_id
        if new_run and self.active:
            return ""  # another flow's run while ours is on
        kind = "task"
        if new_run or self.started is None:
            self.reset(event.flow_run_id, event.timestamp)
            kind = "start"
        self.flow_state = state
        if state.is_finished():
            self.ended = event.timestamp
            kind = "end"
            # mapped nodes showed Running while their children ran: show their own state now
            self.dirty.update(n for n, k in self.kinds.items() if k == "mapped")
        return kind

    def load(self, flow_state: Any) -> None:
        """Take the task states of a finished run (``flow.run()``'s state, or a dict of tasks to
        states); times and log lines seen live are kept."""
        states = task_states(flow_state)
        with self.lock:
            if isinstance(flow_state, State):
                self.flow_state = flow_state
                if self.started is not None and self.ended is None:
                    self.ended = time.time()
            for task, state in states.items():
                node = self.ids.get(task)
                if node is None:
                    continue
                record = self.runs.setdefault(node, TaskRunRecord())
                record.state = state
                if isinstance(state, Mapped):
                    children = self.children.setdefault(node, {})
                    for index, child in enumerate(state.map_states):
                        if child is not None:
                            children.setdefault(index, TaskRunRecord()).state = child
            self.dirty.update(self.ids.values())

    def add_log(self, node: str | None, map_index: int | None, line: str) -> None:
        """Keep ``line`` in the run's log and among the last log lines of ``node`` (and of its
        child ``map_index``); ``node`` is ``None`` for a line of the flow runner."""
        with self.lock:
            if node is None and not self.active:
                self.prelude.append(line)  # the runner's first lines, before the run's first event
                return
            self.run_log.append(line)
            self.new_lines.append(line)
            if node is None:
                return
            keys = [(node, None)] if map_index is None else [(node, None), (node, map_index)]
            for key in keys:
                lines = self.logs.get(key)
                if lines is None:
                    lines = self.logs[key] = collections.deque(maxlen=self.log_lines)
                lines.append(line)
            self.details_dirty.add(node)

    # -- reading --------------------------------------------------------------------------------
    def take_update(self) -> Update:
        """The states of the nodes changed since the last call, the header and the run state."""
        with self.lock:
            changed, self.dirty = self.dirty, set()
            states = {}
            for node in changed:
                states[node] = self._node_fields(node)
            lines, self.new_lines = self.new_lines, []
            start, self.lines_sent = self.lines_sent, self.lines_sent + len(lines)
            return Update(
                states, self.header(), self.run_state(), changed,
                details=self._take_details(), log_lines=lines, log_start=start,
            )

    def _take_details(self) -> dict[str, dict[str, Any]]:
        """The details of nodes changed since they were last taken. A mapped node's (one row per
        child) are taken at most every :data:`MAPPED_DETAILS_INTERVAL` seconds during a run."""
        now = time.monotonic()
        taken: dict[str, dict[str, Any]] = {}
        for node in list(self.details_dirty):
            if self.kinds[node] == "constant":
                self.details_dirty.discard(node)
                continue
            if (
                self.kinds[node] == "mapped" and self.active
                and now - self.details_sent.get(node, -MAPPED_DETAILS_INTERVAL) < MAPPED_DETAILS_INTERVAL
            ):
                continue  # stays dirty for a later update
            self.details_dirty.discard(node)
            self.details_sent[node] = now
            taken[node] = node_details(self, node)
        return taken

    def _node_fields(self, node: str) -> dict[str, Any]:
        kind = self.kinds[node]
        record = self.runs.get(node)
        state = record.state if record else None
        fields = node_state(state, "task")
        finished = state is not None and state.is_finished()
        if kind == "mapped":
            children = self.children.get(node, {})
            counts = collections.Counter(
                type(r.state).__name__ for r in children.values() if r.state is not None
            )
            fields["counts"] = dict(sorted(counts.items()))
            known = state.n_map_states if isinstance(state, Mapped) else 0
            fields["n_children"] = max(known, len(children))
            if isinstance(state, Mapped):
                finished = not self.children_unfinished(node, state)
                if not finished and self.active:
                    fields.update(state=Running.__name__, color=Running.color)
        if kind == "mapped":
            n = fields["n_children"]
            self.child_progress[node] = (sum(fields["counts"].get(k, 0) for k in FINISHED), n)
        if finished and kind != "constant":  # a constant is not one of the flow's tasks to do
            self.done[node] = type(state).__name__
        else:
            self.done.pop(node, None)
        return fields

    def children_unfinished(self, node: str, state: Mapped) -> bool:
        """Whether some child of the mapped ``node`` (in ``state``) has not finished yet."""
        children = self.children.get(node, {})
        if len(children) < state.n_map_states:
            return True
        return any(r.state is None or not r.state.is_finished() for r in children.values())

    def run_state(self) -> str:
        """The flow run's state class name, ``""`` before any run."""
        return "" if self.flow_state is None else type(self.flow_state).__name__

    def header(self) -> dict[str, Any]:
        """The widget's header: ``flow``, ``state``, ``done`` / ``total`` tasks (constants are
        not tasks to do), ``failed`` and ``ended`` (finished neither successful nor failed, by
        state name, e.g. ``{"Cancelled": 2}``), ``elapsed`` seconds, ``running``; for maps of
        :data:`BIG_MAP` children or more, ``children`` (finished, all), ``rate`` (children per
        second) and ``eta`` (seconds left at that rate) while the run is on; ``dashboard``, the
        Dask dashboard's URL, when the run's executor has one."""
        with self.lock:
            elapsed = None
            if self.started is not None:
                elapsed = round((self.ended or time.time()) - self.started, 2)
            total = sum(1 for k in self.kinds.values() if k != "constant")
            ended = collections.Counter(
                s for s in self.done.values() if s not in SUCCESSFUL and s not in FAILED
            )
            header: dict[str, Any] = {
                "flow": self.flow_name,
                "state": self.run_state(),
                "done": len(self.done),
                "total": total,
                "failed": sum(1 for s in self.done.values() if s in FAILED),
                "ended": dict(sorted(ended.items())),
                "elapsed": elapsed,
                "running": self.active,
            }
            if self.dashboard:
                header["dashboard"] = self.dashboard
            finished = sum(f for f, _ in self.child_progress.values())
            children = sum(n for _, n in self.child_progress.values())
            if children >= BIG_MAP:
                header["children"] = [finished, children]
                if self.active and elapsed and finished:
                    rate = finished / elapsed
                    header["rate"] = round(rate, 1)
                    header["eta"] = round((children - finished) / rate, 1)
            return header

    def details(self, selected: str) -> dict[str, Any]:
        """What the details panel shows for node ``selected`` (or mapped child ``"id[3]"``);
        ``{}`` when nothing (or an unknown node) is selected."""
        with self.lock:
            return node_details(self, selected)

    def input_rows(self, node: str, map_index: int | None) -> list[dict[str, Any]]:
        """The inputs of ``node`` (or of its child ``map_index``): argument, source, whether
        mapped, and the value's short repr when the upstream result is known."""
        rows = []
        for edge in self.inputs.get(node, ()):
            row = {k: edge[k] for k in ("key", "source", "mapped")}
            row["value"] = self._input_value(edge, map_index)
            rows.append(row)
        return rows

    def _input_value(self, edge: dict[str, Any], map_index: int | None) -> str | None:
        source = edge["source_id"]
        child_of_map = edge["mapped"] and map_index is not None
        if source in self.values:
            known, value = True, self.values[source]
        else:
            record = self.runs.get(source)
            if child_of_map and map_index in self.children.get(source, {}):
                record = self.children[source][map_index]  # mapped over a mapped task
                child_of_map = False
            state = record.state if record else None
            known = state is not None and state.is_successful() and state.has_result
            value = state.result if known and not isinstance(state, Mapped) else None
            known = known and not isinstance(state, Mapped)
            if known and holds_secret(state):
                return SECRET_REPR
        if not known:
            return None
        if child_of_map:
            try:
                value = value[map_index]
            except (TypeError, IndexError, KeyError):
                return None
        return short_repr(value, CHILD_RESULT_CHARS)

    def log_rows(self, node: str, map_index: int | None) -> list[str]:
        """The last log lines of ``node`` (or of its child ``map_index``)."""
        return list(self.logs.get((node, map_index), ()))


class LiveRun:
    """An observer of the state-event stream that keeps a widget up to date.

    Get one from ``FlowWidget.observe_run()`` and pass it to ``flow.run(observers=[...])`` or
    ``events.observe(...)``. It may observe several runs one after the other; each run's first
    event resets the widget.

    Args:
        tracker: where events are recorded.
        push: called with each :class:`Update` (on the timer thread, or the thread that ended the
            run); pushes never overlap.
        interval: seconds between pushes while a run is on.
        executor: the executor the run is given, if known; while it runs on a Dask cluster
            with a dashboard, the header links to it (see :func:`dashboard_link`).
    """

    def __init__(
        self, tracker: RunTracker, push: Callable[[Update], Any], interval: float = FLUSH_INTERVAL,
        executor: Any = None,
    ) -> None:
        self.tracker = tracker
        self.push = push
        self.interval = interval
        self.executor = executor
        self._dashboard_known = False  # looked up for the current run (found, or none to find)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._last_flush = 0.0
        self._handler: RunLogHandler | None = None
        # from now on: the flow runner logs its first line before the run's first event
        self._attach_log_handler()

    def __call__(self, event: StateEvent) -> None:
        if event.task is None and not self._is_our_flow():
            return  # observing every run (events.observe): another flow's run
        kind = self.tracker.record(event)
        if kind == "start":
            self._dashboard_known = False
            self._attach_log_handler()
        if kind == "end":
            self.close()
        elif kind:
            self._schedule()

    def _is_our_flow(self) -> bool:
        # flow events are published by the flow runner, in this process, with its context on
        from prefect_jupyter.context import context

        name = context.get("flow_name")
        return name is None or name == self.tracker.flow_name

    def _schedule(self) -> None:
        with self._lock:
            if self._timer is not None:
                return
            delay = max(0.0, self._last_flush + self.interval - time.monotonic())
            self._timer = threading.Timer(delay, self._flush_from_timer)
            self._timer.daemon = True
            self._timer.start()

    def _flush_from_timer(self) -> None:
        with self._lock:
            self._timer = None
            self._last_flush = time.monotonic()
        self.flush(full=False)

    def flush(self, full: bool = True) -> None:
        """Push the changes recorded so far now (with ``full``, asking for every node's state)."""
        with self._flush_lock:
            self._find_dashboard()
            update = self.tracker.take_update()
            update.full = full
            self.push(update)

    def _find_dashboard(self) -> None:
        """Once the run's executor has started its Dask client, look up (on a thread of its
        own: it asks the cluster) the dashboard's URL, for the header."""
        if self._dashboard_known or self.executor is None or not self.tracker.active:
            return
        client = getattr(self.executor, "client", None)
        if client is None and hasattr(self.executor, "client"):
            return  # not started yet: look again at the next push
        self._dashboard_known = True
        run_id = self.tracker.flow_run_id
        threading.Thread(
            target=self._look_up_dashboard, args=(run_id,), name="prefect-jupyter-dashboard", daemon=True
        ).start()

    def _look_up_dashboard(self, run_id: str | None) -> None:
        link = dashboard_link(self.executor)
        with self.tracker.lock:  # not after the run ended: close() has cleared it then
            if not (link and self.tracker.flow_run_id == run_id and self.tracker.active):
                return
            self.tracker.dashboard = link
        self._schedule()

    def close(self) -> None:
        """Stop the timer, push what is left and stop collecting log lines (called when the
        flow run ends; call it yourself if a run was abandoned)."""
        with self._lock:
            timer, self._timer = self._timer, None
            self._last_flush = time.monotonic()
        if timer is not None:
            timer.cancel()
        if getattr(self.executor, "address", None) is None:
            with self.tracker.lock:
                self.tracker.dashboard = ""  # a temporary cluster's dashboard closed with it
        self._detach_log_handler()
        self.flush()

    def _attach_log_handler(self) -> None:
        from prefect_jupyter.utilities.logging import get_logger

        with self._lock:
            if self._handler is not None:
                return
            self._handler = handler = RunLogHandler(self.tracker, weakref.WeakMethod(self._schedule))
        get_logger().addHandler(handler)
        quiet_stderr(True)
        # a LiveRun dropped before its run ended must not keep stderr quiet
        weakref.finalize(self, _detach, handler)

    def _detach_log_handler(self) -> None:

        with self._lock:
            handler, self._handler = self._handler, None
        if handler is not None:
            _detach(handler)


def dashboard_link(executor: Any, timeout: float = DASHBOARD_TIMEOUT) -> str | None:
    """The dashboard URL of the Dask cluster ``executor`` runs on, as ``distributed`` reports
    it; ``""`` when there is none to open (a ``LocalDaskExecutor`` or ``LocalExecutor``, or a
    cluster without the dashboard); ``None`` while its client has not started yet.

    ``distributed`` reports a link whenever its scheduler serves HTTP — also without the
    dashboard (``dashboard_address=None``, or bokeh missing), when that address serves only
    ``/health`` and ``/metrics`` — so the link counts only when it answers (within ``timeout``).
    """
    if not hasattr(executor, "client"):
        return ""  # executors without a Dask client (LocalExecutor, LocalDaskExecutor)
    client = executor.client
    if client is None:
        return None
    try:
        link = client.dashboard_link or ""
    except (KeyError, AttributeError, OSError):
        return ""  # a scheduler serving no HTTP at all
    return link if link and _answers(link, timeout) else ""


def _answers(url: str, timeout: float) -> bool:
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the cluster, directly
    try:
        with opener.open(url, timeout=timeout) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _detach(handler: RunLogHandler) -> None:
    """Take ``handler`` off the logger (once) and let stderr speak again."""
    from prefect_jupyter.utilities.logging import get_logger

    if handler.attached:
        handler.attached = False
        get_logger().removeHandler(handler)
        quiet_stderr(False)
