"""What the widget's details panel shows for one node or mapped child, built from a run tracker.

A node's details (:func:`node_details`) are its state, message, times, inputs, result repr,
traceback, log lines and — for a mapped task — one row per child. The kernel sends them in two
ways: for the node the browser selected (the ``details`` trait, computed when ``selected``
changes), and, during a run, for every node whose details changed (the ``node_details`` trait):
while a cell runs a flow the kernel reads no message from the browser, so a click then can
only be answered from details the kernel sent without being asked.
"""

from __future__ import annotations

import os
import time
import traceback
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import prefect_jupyter as package_module
from prefect_jupyter.engine.state import Mapped, Running, State
from prefect_jupyter.viz.model import state_value_repr

__all__ = ["TaskRunRecord", "child_rows", "node_details", "parse_selection", "state_details"]

#: characters of a result's repr shown in the details
RESULT_CHARS = 500
#: characters of a mapped child's result repr shown in its row
CHILD_RESULT_CHARS = 80
#: characters of a traceback shown in the details (its end is kept: that is where the error is)
TRACEBACK_CHARS = 8_000


@dataclass(slots=True)
class TaskRunRecord:
    """One task run (a node's own run, or one mapped child): its latest state and its times."""

    state: State | None = None
    start: float | None = None
    end: float | None = None
    failure: State | None = None  # the latest failed try with its exception (before a retry)

    def note(self, state: State, timestamp: float) -> None:
        self.state = state
        if state.is_failed() and isinstance(state.result, BaseException):
            self.failure = state
        if self.start is None and (state.is_running() or state.is_finished()):
            self.start = timestamp  # a run that ends without running (e.g. TriggerFailed) took 0 s
        # a retry makes a finished run unfinished again; its end is the last finished state's time
        self.end = timestamp if state.is_finished() else None

    @property
    def duration(self) -> float | None:
        if self.start is None:
            return None
        return round((self.end if self.end is not None else time.time()) - self.start, 3)


def parse_selection(selected: str) -> tuple[str, int | None]:
    """``"inc-1[3]"`` → ``("inc-1", 3)``; ``"inc-1"`` → ``("inc-1", None)``."""
    if selected.endswith("]") and "[" in selected:
        node, _, index = selected[:-1].rpartition("[")
        if index.isdigit():
            return node, int(index)
    return selected, None


def node_details(tracker: Any, selected: str) -> dict[str, Any]:
    """The details of node (or mapped child) ``selected`` from ``tracker`` (a ``RunTracker``,
    whose lock the caller holds); ``{}`` for an unknown node."""
    node, map_index = parse_selection(selected)
    if node not in tracker.kinds:
        return {}
    mapped = map_index is None and tracker.kinds[node] == "mapped"
    if map_index is None:
        record = tracker.runs.get(node)
    else:
        record = tracker.children.get(node, {}).get(map_index)
    record = record or TaskRunRecord()
    if mapped:
        record = _span(record, tracker.children.get(node, {}).values())
    state = record.state
    name = tracker.names[node] if map_index is None else f"{tracker.names[node]}[{map_index}]"
    details: dict[str, Any] = {
        "id": selected,
        "node": node,
        "map_index": map_index,
        "name": name,
        "kind": tracker.kinds[node] if map_index is None else "child",
        **state_details(state, record.failure),
        "start": record.start,
        "end": record.end,
        "duration": record.duration,
        "inputs": tracker.input_rows(node, map_index),
        "logs": tracker.log_rows(node, map_index),
        "children": None,
    }
    if mapped:
        if isinstance(state, Mapped) and tracker.active and tracker.children_unfinished(node, state):
            details.update(state=Running.__name__, color=Running.color)  # as the node shows
        details["children"] = child_rows(tracker.children.get(node, {}))
    return details


def child_rows(children: dict[int, TaskRunRecord]) -> list[dict[str, Any]]:
    """One row per mapped child: index, state, message, duration and a short result repr."""
    rows = []
    for index, r in sorted(children.items()):
        state = r.state
        result = None
        if state is not None and state.is_successful() and state.has_result:
            result = state_value_repr(state, state.result, CHILD_RESULT_CHARS)
        rows.append({
            "map_index": index,
            "state": None if state is None else type(state).__name__,
            "message": None if state is None or state.message is None else str(state.message),
            "duration": r.duration,
            "result": result,
        })
    return rows


def _span(parent: TaskRunRecord, children: Iterable[TaskRunRecord]) -> TaskRunRecord:
    """A mapped task's whole run: from its first start to its last child's end."""
    runs = [parent, *children]
    starts = [r.start for r in runs if r.start is not None]
    ends = [r.end for r in runs]
    end = None if not starts or None in ends else max(ends)  # type: ignore[type-var]
    return TaskRunRecord(parent.state, min(starts) if starts else None, end, parent.failure)


def state_details(state: State | None, failure: State | None = None) -> dict[str, Any]:
    """State, colour, message, result repr and traceback of one task run's state.

    While a task is being retried (or runs again), ``failure`` — the failed try's state —
    gives the traceback: the reason for the retry.
    """
    if state is None:
        return {"state": None, "color": None, "message": None, "result": None, "traceback": None}
    result = tb = None
    value = state.result if state.has_result else None
    if not state.is_finished() and failure is not None:
        value = failure.result
    if state.is_successful() and not isinstance(state, Mapped) and state.has_result:
        result = state_value_repr(state, value, RESULT_CHARS)
    elif isinstance(value, BaseException):
        tb = "".join(traceback.format_exception(type(value), value, user_frames(value.__traceback__)))
        tb = tb if len(tb) <= TRACEBACK_CHARS else "…" + tb[-TRACEBACK_CHARS:]
    return {
        "state": type(state).__name__,
        "color": state.color,
        "message": None if state.message is None else str(state.message),
        "result": result,
        "traceback": tb,
    }


def user_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without its leading frames in this package (the task runner calling the task, the
    cell runner executing a cell): a traceback starts at the user's code. All frames are kept if
    every one is the package's (an error inside a library task)."""
    package = os.path.dirname(package_module.__file__) + os.sep
    first = tb
    while first is not None and first.tb_frame.f_code.co_filename.startswith(package):
        first = first.tb_next
    return first if first is not None else tb
