"""The state-event stream: every state change of a flow run and its task runs, as events.

Runners publish a :class:`StateEvent` for each transition to the observers registered for the
run. Observers are plain callables taking one event: the live notebook widget, a progress bar,
logging and the server reporter all hang here, and nothing else reaches into a runner.

Register observers for one run with ``flow.run(observers=[...])``, or for every run started in
this process while a block is open with :func:`observe`. With no observer, a publish is a single
truth test.

Observers are called on the thread that made the change (an executor's worker thread, for
example), so they must be quick and thread-safe; an observer that raises is logged and otherwise
ignored — a broken display never fails a flow run.

Example:
    >>> from prefect_jupyter.engine.events import observe
    >>> seen = []
    >>> with observe(seen.append):
    ...     flow.run()
    >>> [(e.task_name, type(e.new_state).__name__) for e in seen][:2]
    [(None, 'Running'), ('say_hello', 'Running')]
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["StateEvent", "EventStream", "observe", "global_observers", "add_run_hook", "remove_run_hook"]

Observer = Callable[["StateEvent"], Any]

_lock = threading.Lock()
_global: tuple[Observer, ...] = ()
# callables (flow, observers already attached) -> observer or None, asked when a flow run starts
_run_hooks: tuple[Callable[[Any, tuple], Observer | None], ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class StateEvent:
    """One state transition.

    Attributes:
        flow_run_id: the run this change belongs to.
        task: the task (``None`` for a change of the flow run's own state).
        map_index: the mapped child's index, or ``None``.
        old_state: the state before.
        new_state: the state after.
        timestamp: when it happened (seconds since the epoch).
    """

    flow_run_id: str | None
    task: Any
    map_index: int | None
    old_state: Any
    new_state: Any
    timestamp: float

    @property
    def is_flow_event(self) -> bool:
        """Whether this is a change of the flow run's state (not a task's)."""
        return self.task is None

    @property
    def task_name(self) -> str | None:
        """The task's name (``None`` for flow events)."""
        return None if self.task is None else self.task.name


class EventStream:
    """The observers of one run, and the way runners publish to them.

    Args:
        observers: callables taking a :class:`StateEvent`; the process-wide observers of
            :func:`observe` blocks open at creation are added.
    """

    def __init__(self, observers: Iterable[Observer] | None = None) -> None:
        self.observers: tuple[Observer, ...] = tuple(observers or ()) + _global

    def __bool__(self) -> bool:
        return bool(self.observers)

    def publish(self, task: Any, map_index: int | None, old_state: Any, new_state: Any) -> None:
        """Tell every observer about one transition."""
        if not self.observers:
            return
        from prefect_jupyter.context import context

        event = StateEvent(context.get("flow_run_id"), task, map_index, old_state, new_state, time.time())
        self.emit(event)

    def emit(self, event: StateEvent) -> None:
        """Deliver an already-built event (used when events are forwarded from elsewhere)."""
        for observer in self.observers:
            try:
                observer(event)
            except Exception:
                from prefect_jupyter.utilities.logging import get_logger

                get_logger("events").exception("State observer %r failed; ignoring it.", observer)


def global_observers() -> tuple[Observer, ...]:
    """The observers registered for every new run in this process."""
    return _global


@contextlib.contextmanager
def observe(observer: Observer) -> Iterator[Observer]:
    """Register ``observer`` for every run started in this process while the block is open."""
    global _global
    with _lock:
        _global = (*_global, observer)
    try:
        yield observer
    finally:
        with _lock:
            items = list(_global)
            items.remove(observer)
            _global = tuple(items)


def add_observer(observer: Observer) -> None:
    """Register ``observer`` for every future run in this process (see :func:`remove_observer`)."""
    global _global
    with _lock:
        _global = (*_global, observer)


def remove_observer(observer: Observer) -> None:
    """Stop sending new runs' events to ``observer`` (no error if it was not registered)."""
    global _global
    with _lock:
        _global = tuple(o for o in _global if o != observer)  # == so bound methods match


def add_run_hook(hook: Callable[[Any, tuple], Observer | None]) -> None:
    """Ask ``hook(flow, observers)`` at the start of every ``flow.run`` in this process.

    It returns an observer for that run (or ``None``); ``observers`` are the ones the caller
    passed, so a hook can step aside when the caller watches the run itself. The notebook
    extension uses this to show a live graph for a plain ``flow.run()``.
    """
    global _run_hooks
    with _lock:
        _run_hooks = (*_run_hooks, hook)


def remove_run_hook(hook: Callable[[Any, tuple], Observer | None]) -> None:
    """Stop asking ``hook`` (no error if it was not registered)."""
    global _run_hooks
    with _lock:
        _run_hooks = tuple(h for h in _run_hooks if h != hook)


def observers_for_run(flow: Any, observers: Iterable[Observer] | None) -> list[Observer]:
    """``observers`` plus those the run hooks give for this run of ``flow``."""
    given = tuple(observers or ())
    found = list(given)
    for hook in _run_hooks:
        try:
            extra = hook(flow, given)
        except Exception:
            from prefect_jupyter.utilities.logging import get_logger

            get_logger("events").exception("Run hook %r failed; ignoring it.", hook)
            continue
        if extra is not None:
            found.append(extra)
    return found
