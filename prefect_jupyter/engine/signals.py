"""Signals: exceptions a task raises to put itself into a given state.

Each signal knows its state class, and carries a ready ``state`` built from its message and any
``result`` passed in. They derive from ``BaseException`` (as in Prefect 1) so that a user's
``except Exception`` inside a task does not swallow them by accident.

Example:
    >>> from prefect_jupyter.engine import signals
    >>> @task
    ... def check(x):
    ...     if x < 0:
    ...         raise signals.FAIL("x must not be negative")
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.engine import state

__all__ = [
    "PrefectSignal",
    "PrefectStateSignal",
    "SUCCESS",
    "FAIL",
    "TRIGGERFAIL",
    "VALIDATIONFAIL",
    "RETRY",
    "SKIP",
    "PAUSE",
    "LOOP",
    "ENDRUN",
    "signal_from_state",
]


class PrefectSignal(BaseException):
    """The base of every signal."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)


class PrefectStateSignal(PrefectSignal):
    """A signal that ends the task run in the state ``state_class`` describes.

    Args:
        message: the state's message.
        *args: passed on to the state class.
        **kwargs: passed on to the state class (``result=...`` and the class's own fields).
    """

    state_class: type[state.State] = state.State

    def __init__(self, message: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(message)  # type: ignore[arg-type]
        kwargs.setdefault("result", self)
        self.state = self.state_class(message, *args, **kwargs)

    # Prefect 1 names the attribute ``_state_cls``; keep it readable under both names.
    @property
    def _state_cls(self) -> type[state.State]:
        return self.state_class


class SUCCESS(PrefectStateSignal):
    """End the task as ``Success``."""

    state_class = state.Success


class FAIL(PrefectStateSignal):
    """End the task as ``Failed``."""

    state_class = state.Failed


class TRIGGERFAIL(FAIL):
    """The task's trigger failed: ``TriggerFailed``."""

    state_class = state.TriggerFailed


class VALIDATIONFAIL(FAIL):
    """The task's result is invalid: ``ValidationFailed``."""

    state_class = state.ValidationFailed


class RETRY(PrefectStateSignal):
    """Ask for another try: ``Retrying`` (counts against ``max_retries`` only via the runner)."""

    state_class = state.Retrying


class SKIP(PrefectStateSignal):
    """End the task as ``Skipped``; downstream tasks skip too (``skip_on_upstream_skip``)."""

    state_class = state.Skipped


class PAUSE(PrefectStateSignal):
    """Stop the task as ``Paused`` until it is resumed."""

    state_class = state.Paused


class LOOP(PrefectStateSignal):
    """Run the task again with ``task_loop_result`` set to this signal's result: ``Looped``.

    Without a ``result``, the result is the signal's ``repr`` (a looped result is always one
    that can be stored, as in Prefect 1).
    """

    state_class = state.Looped

    def __init__(self, message: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(message, *args, **kwargs)
        if "result" not in kwargs:
            self.state.result = repr(self)


class ENDRUN(PrefectSignal):
    """Used by runners to stop at once with the given state.

    Args:
        state: the state the run ends in.
    """

    def __init__(self, state: state.State) -> None:
        self.state = state
        super().__init__(message=state.message)  # type: ignore[arg-type]


def signal_from_state(state: state.State) -> type[PrefectStateSignal]:
    """The signal class that ends a run in ``state``'s class (``Failed()`` -> ``FAIL``).

    Raises:
        ValueError: if no signal leads to that state class (e.g. ``Running``).
    """
    todo = list(PrefectStateSignal.__subclasses__())
    while todo:
        signal = todo.pop()
        if signal.state_class is type(state):
            return signal
        todo.extend(signal.__subclasses__())
    raise ValueError(f"No signal matches the provided state: {state}")
