"""Live run state for the flow widget: state events in, coalesced widget updates out.

Two parts:

* :class:`RunTracker` — what is known about one flow run, by graph node: the latest state of each
  task run and of each mapped child, when each started and ended, and the last log lines. It
  turns that into the widget's ``states`` fields (``viz.node_state`` plus live counts for mapped
  nodes), the header, and a selected node's details. Every method is thread-safe.
* :class:`LiveRun` — the observer for the engine's state-event stream
  (``flow.run(observers=[live])`` or ``with events.observe(live):``). Events arrive on executor
  worker threads and on Dask's client loop thread; each one is recorded at once and marks its
  node changed, and a timer thread pushes the changes to the widget at most every
  ``interval`` seconds (≈ 10 messages a second however many events happen), each carrying only
  the nodes that changed. When the flow run finishes, the last changes are pushed at once. While a run is on, a ``logging.Handler`` on the
  ``prefect_jupyter`` logger keeps each task's last log lines; it is removed when the run ends.

A mapped task is one node: its own state comes from events with ``map_index=None``, its
``counts`` from its children's events (latest state of each child, counted by state name), and
``n_children`` from its ``Mapped`` state (or the children seen so far, if more). While the run is
on and any child has not finished, the node (and its details) show ``Running`` rather than the
parent's ``Mapped``: the task reads as running until its last child ends, then takes ``Mapped``'s
colour, with the progress bar and counts telling how the children ended.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prefect_jupyter import engine as engine_package
from prefect_jupyter.engine.events import StateEvent
from prefect_jupyter.engine.state import Mapped, Running, State
from prefect_jupyter.viz.model import node_state, short_repr, task_states

__all__ = ["RunTracker", "LiveRun", "Update"]

#: seconds between two pushes to the widget while a flow runs
FLUSH_INTERVAL = 0.1
#: log lines kept per node (and per mapped child)
LOG_LINES = 50
#: characters of a result's repr shown in the details
RESULT_CHARS = 500
#: characters of a traceback shown in the details (its end is kept: that is where the error is)
TRACEBACK_CHARS = 8_000


@dataclass(slots=True)
class TaskRunRecord:
    """One task run (a node's own run, or one mapped child): its latest state and its times."""

    state: State | None = None
    start: float | None = None
    end: float | None = None

    def note(self, state: State, timestamp: float) -> None:
        self.state = state
        if self.start is None and (state.is_running() or state.is_finished()):
            self.start = timestamp  # a run that ends without running (e.g. TriggerFailed) took 0 s
        # a retry makes a finished run unfinished again; its end is the last finished state's time
        self.end = timestamp if state.is_finished() else None

    @property
    def duration(self) -> float | None:
        if self.start is None:
            return None
        return round((self.end if self.end is not None else time.time()) - self.start, 3)


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
            self.inputs[edge["target"]].append(
                {"key": edge.get("key"), "source": source, "mapped": edge.get("mapped", False)}
            )
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
            self.done: set[str] = set()
            self.dirty: set[str] = set(self.ids.values())

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

    def add_log(self, node: str, map_index: int | None, line: str) -> None:
        """Keep ``line`` among the last log lines of ``node`` (and of its child ``map_index``)."""
        with self.lock:
            keys = [(node, None)] if map_index is None else [(node, None), (node, map_index)]
            for key in keys:
                lines = self.logs.get(key)
                if lines is None:
                    lines = self.logs[key] = collections.deque(maxlen=self.log_lines)
                lines.append(line)

    # -- reading --------------------------------------------------------------------------------
    def take_update(self) -> Update:
        """The states of the nodes changed since the last call, the header and the run state."""
        with self.lock:
            changed, self.dirty = self.dirty, set()
            states = {}
            for node in changed:
                states[node] = self._node_fields(node)
            return Update(states, self.header(), self.run_state(), changed)

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
                finished = not self._children_unfinished(node, state)
                if not finished and self.active:
                    fields.update(state=Running.__name__, color=Running.color)
        if finished:
            self.done.add(node)
        else:
            self.done.discard(node)
        return fields

    def _children_unfinished(self, node: str, state: Mapped) -> bool:
        """Whether some child of the mapped ``node`` (in ``state``) has not finished yet."""
        children = self.children.get(node, {})
        if len(children) < state.n_map_states:
            return True
        return any(r.state is None or not r.state.is_finished() for r in children.values())

    def run_state(self) -> str:
        """The flow run's state class name, ``""`` before any run."""
        return "" if self.flow_state is None else type(self.flow_state).__name__

    def header(self) -> dict[str, Any]:
        """``{"flow", "state", "done", "total", "elapsed", "running"}`` for the widget's header."""
        with self.lock:
            elapsed = None
            if self.started is not None:
                elapsed = round((self.ended or time.time()) - self.started, 2)
            total = sum(1 for k in self.kinds.values() if k != "constant")
            return {
                "flow": self.flow_name,
                "state": self.run_state(),
                "done": len(self.done),
                "total": total,
                "elapsed": elapsed,
                "running": self.active,
            }

    def details(self, selected: str) -> dict[str, Any]:
        """What the details panel shows for node ``selected`` (or mapped child ``"id[3]"``);
        ``{}`` when nothing (or an unknown node) is selected."""
        node, map_index = parse_selection(selected)
        with self.lock:
            if node not in self.kinds:
                return {}
            if map_index is None:
                record = self.runs.get(node)
            else:
                record = self.children.get(node, {}).get(map_index)
            record = record or TaskRunRecord()
            if map_index is None and self.kinds[node] == "mapped":
                record = _span(record, self.children.get(node, {}).values())
            state = record.state
            name = self.names[node] if map_index is None else f"{self.names[node]}[{map_index}]"
            details: dict[str, Any] = {
                "id": selected,
                "node": node,
                "map_index": map_index,
                "name": name,
                "kind": self.kinds[node] if map_index is None else "child",
                **_state_details(state),
                "start": record.start,
                "end": record.end,
                "duration": record.duration,
                "inputs": list(self.inputs.get(node, ())),
                "logs": list(self.logs.get((node, map_index), ())),
                "children": None,
            }
            if map_index is None and self.kinds[node] == "mapped":
                if isinstance(state, Mapped) and self.active and self._children_unfinished(node, state):
                    details.update(state=Running.__name__, color=Running.color)  # as the node shows
                details["children"] = [
                    {
                        "map_index": index,
                        "state": None if r.state is None else type(r.state).__name__,
                        "message": None
                        if r.state is None or r.state.message is None
                        else str(r.state.message),
                        "duration": r.duration,
                    }
                    for index, r in sorted(self.children.get(node, {}).items())
                ]
            return details


def _span(parent: TaskRunRecord, children: Any) -> TaskRunRecord:
    """A mapped task's whole run: from its first start to its last child's end."""
    runs = [parent, *children]
    starts = [r.start for r in runs if r.start is not None]
    ends = [r.end for r in runs]
    end = None if not starts or None in ends else max(ends)  # type: ignore[type-var]
    return TaskRunRecord(parent.state, min(starts) if starts else None, end)


def parse_selection(selected: str) -> tuple[str, int | None]:
    """``"inc-1[3]"`` → ``("inc-1", 3)``; ``"inc-1"`` → ``("inc-1", None)``."""
    if selected.endswith("]") and "[" in selected:
        node, _, index = selected[:-1].rpartition("[")
        if index.isdigit():
            return node, int(index)
    return selected, None


def _state_details(state: State | None) -> dict[str, Any]:
    """State, colour, message, result repr and traceback of one task run's state."""
    if state is None:
        return {"state": None, "color": None, "message": None, "result": None, "traceback": None}
    result = tb = None
    value = state.result if state.has_result else None
    if state.is_successful() and not isinstance(state, Mapped) and state.has_result:
        result = short_repr(value, RESULT_CHARS)
    elif state.is_failed() and isinstance(value, BaseException):
        tb = "".join(traceback.format_exception(type(value), value, _user_frames(value.__traceback__)))
        tb = tb if len(tb) <= TRACEBACK_CHARS else "…" + tb[-TRACEBACK_CHARS:]
    return {
        "state": type(state).__name__,
        "color": state.color,
        "message": None if state.message is None else str(state.message),
        "result": result,
        "traceback": tb,
    }


def _user_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without its leading frames in the engine (the task runner calling the task): the
    details panel starts at the user's code. All frames are kept if every one is the engine's."""
    engine = os.path.dirname(engine_package.__file__) + os.sep
    first = tb
    while first is not None and first.tb_frame.f_code.co_filename.startswith(engine):
        first = first.tb_next
    return first if first is not None else tb


class _TaskLogHandler(logging.Handler):
    """Keeps the log lines of one flow run's tasks in a tracker.

    ``emit`` runs on the thread that logged, where ``prefect_jupyter.context`` still holds the
    task run's ``flow_run_id``, ``task_slug`` (the node id), ``map_index`` and ``task_full_name``.
    """

    def __init__(self, tracker: RunTracker) -> None:
        super().__init__(logging.NOTSET)
        self.tracker = tracker

    def emit(self, record: logging.LogRecord) -> None:
        from prefect_jupyter.context import context

        ctx = context.__dict__
        node = ctx.get("task_slug")
        if not node or ctx.get("flow_run_id") != self.tracker.flow_run_id:
            return
        if node not in self.tracker.kinds:
            return
        try:
            stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
            who = ctx.get("task_full_name") or ctx.get("task_name") or node
            line = f"{stamp} {record.levelname} {who}: {record.getMessage()}"
        except Exception:
            self.handleError(record)
            return
        self.tracker.add_log(node, ctx.get("map_index"), line)


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
    """

    def __init__(
        self, tracker: RunTracker, push: Callable[[Update], Any], interval: float = FLUSH_INTERVAL
    ) -> None:
        self.tracker = tracker
        self.push = push
        self.interval = interval
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._last_flush = 0.0
        self._handler: _TaskLogHandler | None = None

    def __call__(self, event: StateEvent) -> None:
        if event.task is None and not self._is_our_flow():
            return  # observing every run (events.observe): another flow's run
        kind = self.tracker.record(event)
        if kind == "start":
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
            update = self.tracker.take_update()
            update.full = full
            self.push(update)

    def close(self) -> None:
        """Stop the timer, push what is left and stop collecting log lines (called when the
        flow run ends; call it yourself if a run was abandoned)."""
        with self._lock:
            timer, self._timer = self._timer, None
            self._last_flush = time.monotonic()
        if timer is not None:
            timer.cancel()
        self._detach_log_handler()
        self.flush()

    def _attach_log_handler(self) -> None:
        from prefect_jupyter.utilities.logging import get_logger

        with self._lock:
            if self._handler is None:
                self._handler = _TaskLogHandler(self.tracker)
                get_logger().addHandler(self._handler)

    def _detach_log_handler(self) -> None:
        from prefect_jupyter.utilities.logging import get_logger

        with self._lock:
            handler, self._handler = self._handler, None
        if handler is not None:
            get_logger().removeHandler(handler)
