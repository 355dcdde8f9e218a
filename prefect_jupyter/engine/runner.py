"""What the flow runner and the task runner share: state changes, handlers and observers.

:meth:`Runner.handle_state_change` is the single place a run moves from one state to the next: it
calls the target's state handlers (task or flow), then the runner's own, then tells the observers
of the state-event stream. A failing handler ends the run ``Failed`` with a message naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prefect_jupyter.engine import signals
from prefect_jupyter.engine.events import EventStream
from prefect_jupyter.engine.signals import ENDRUN
from prefect_jupyter.engine.state import Failed, Pending, State

__all__ = ["ENDRUN", "Runner"]  # ENDRUN: where Prefect 1 code imports it from


def _logger(name: str) -> Any:
    # one lookup per runner class, not per task run (getLogger takes a lock)
    logger = _LOGGERS.get(name)
    if logger is None:
        from prefect_jupyter.utilities.logging import get_logger

        logger = _LOGGERS[name] = get_logger(name)
    return logger


_LOGGERS: dict[str, Any] = {}


class Runner:
    """Base class of ``FlowRunner`` and ``TaskRunner``.

    Args:
        state_handlers: handlers ``(runner, old_state, new_state) -> state | None``.
        observers: an :class:`EventStream` or callables receiving each ``StateEvent``.
        logger_name: the name of this runner's logger (default: the class name, as in
            Prefect 1: ``prefect_jupyter.FlowRunner``, ``prefect_jupyter.TaskRunner``).
    """

    def __init__(
        self,
        state_handlers: Iterable[Callable] | None = None,
        observers: Any = None,
        logger_name: str | None = None,
    ) -> None:
        if state_handlers is not None and not isinstance(state_handlers, Iterable):
            raise TypeError("state_handlers should be iterable.")
        self.state_handlers = list(state_handlers or [])
        # an EventStream, or a forwarder with the same publish() (see engine.remote_events)
        self.events = observers if hasattr(observers, "publish") else EventStream(observers)
        name = logger_name or type(self).__name__
        self.logger = _LOGGERS.get(name) or _logger(name)  # a lookup, without a call, per task run

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def _heartbeat(self) -> bool:
        """Send a heartbeat; whether more should follow (none for a local run)."""
        return False

    def initialize_run(self, state: State | None, context: dict[str, Any]) -> tuple[State, dict[str, Any]]:
        """The state a run starts from (a wrapped state is unwrapped; none is ``Pending``)."""
        while isinstance(state, State) and state.is_meta_state():
            state = state.state  # type: ignore[attr-defined]  # Submitted(Queued(Retrying()))
        return state or Pending(), context

    def call_runner_target_handlers(self, old_state: State, new_state: State) -> State:
        """The handlers of the thing being run (the task's or the flow's)."""
        return new_state

    def _event_target(self) -> tuple[Any, Any]:
        """(task or None for the flow, map_index) for events of this runner."""
        return None, None

    def handle_state_change(self, old_state: State, new_state: State) -> State:
        """Move from ``old_state`` to ``new_state``: run handlers and publish the change.

        A handler may raise ``ENDRUN`` or ``PAUSE`` (both go on up), another signal (its state
        becomes the new state), or fail.

        Raises:
            ENDRUN: with a ``Failed`` state when a handler fails.
        """
        if new_state is old_state:
            return new_state
        try:
            new_state = self.call_runner_target_handlers(old_state, new_state)
            for handler in self.state_handlers:
                new_state = handler(self, old_state, new_state) or new_state
        except (signals.ENDRUN, signals.PAUSE):
            raise
        except signals.PrefectStateSignal as exc:
            from prefect_jupyter.context import context

            if context.get("raise_on_exception"):
                raise
            new_state = exc.state
        except Exception as exc:
            from prefect_jupyter.context import context

            msg = f"Unexpected error while calling state handlers: {exc!r}"
            self.logger.exception(msg)
            if context.get("raise_on_exception"):
                raise
            failed = Failed(msg, result=exc)
            self._publish(old_state, failed)
            raise signals.ENDRUN(failed) from exc
        # an EventStream without observers: nothing to publish (checked here, without a call,
        # because this runs on every state change); a forwarder has no `observers` and publishes
        if getattr(self.events, "observers", True):
            self._publish(old_state, new_state)
        return new_state

    def _publish(self, old_state: State, new_state: State) -> None:
        if self.events:
            task, map_index = self._event_target()
            self.events.publish(task, map_index, old_state, new_state)
