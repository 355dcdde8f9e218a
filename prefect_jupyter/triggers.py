"""Triggers: functions of a task's upstream states deciding whether the task runs.

A trigger receives ``{edge: state}`` for every upstream edge and returns ``True`` to run, or raises
a signal: ``TRIGGERFAIL`` (the task ends ``TriggerFailed``), ``SKIP`` or ``PAUSE``. Mapped upstream
states count through their children. ``Skipped`` counts as a success and ``TriggerFailed`` as a
failure.

Example:
    >>> @task(trigger=triggers.any_failed)
    ... def alert():
    ...     ...
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from prefect_jupyter.context import context
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.state import Mapped

Trigger = Callable[[dict[Any, Any]], bool]

__all__ = [
    "all_finished",
    "always_run",
    "manual_only",
    "all_successful",
    "all_failed",
    "any_successful",
    "any_failed",
    "some_successful",
    "some_failed",
    "not_all_skipped",
]


def _states(upstream_states: dict) -> list:
    """Every distinct upstream state, mapped ones expanded into their children."""
    seen: dict[int, Any] = {}
    for state in upstream_states.values():
        for s in state.map_states if isinstance(state, Mapped) else (state,):
            seen[id(s)] = s
    return list(seen.values())


def all_finished(upstream_states: dict) -> bool:
    """Run once every upstream task has finished, whatever its state."""
    if not all(s.is_finished() for s in _states(upstream_states)):
        raise signals.TRIGGERFAIL(
            'Trigger was "all_finished" but some of the upstream tasks were not finished.'
        )
    return True


always_run = all_finished


def manual_only(upstream_states: dict) -> bool:
    """Never run on its own: pause until resumed (a ``Resume`` state sets ``context.resume``)."""
    if context.get("resume"):
        return True
    raise signals.PAUSE('Trigger function is "manual_only"')


def all_successful(upstream_states: dict) -> bool:
    """Run if every upstream task succeeded (the default)."""
    # one pass, no de-duplication (it cannot change "all"): this runs for nearly every task run
    for state in upstream_states.values():
        if isinstance(state, Mapped):
            if all(s.is_successful() for s in state.map_states):
                continue
        elif state.is_successful():
            continue
        raise signals.TRIGGERFAIL(
            'Trigger was "all_successful" but some of the upstream tasks failed.'
        )
    return True


def all_failed(upstream_states: dict) -> bool:
    """Run if every upstream task failed."""
    if not all(s.is_failed() for s in _states(upstream_states)):
        raise signals.TRIGGERFAIL(
            'Trigger was "all_failed" but some of the upstream tasks succeeded.'
        )
    return True


def any_successful(upstream_states: dict) -> bool:
    """Run if at least one upstream task succeeded (or there is none)."""
    states = _states(upstream_states)
    if upstream_states and not any(s.is_successful() for s in states):
        raise signals.TRIGGERFAIL(
            'Trigger was "any_successful" but none of the upstream tasks succeeded.'
        )
    return True


def any_failed(upstream_states: dict) -> bool:
    """Run if at least one upstream task failed (or there is none)."""
    states = _states(upstream_states)
    if upstream_states and not any(s.is_failed() for s in states):
        raise signals.TRIGGERFAIL(
            'Trigger was "any_failed" but none of the upstream tasks failed.'
        )
    return True


def _check_bounds(kind: str, at_least: float | None, at_most: float | None) -> None:
    for name, value in (("at_least", at_least), ("at_most", at_most)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            raise ValueError(
                f"some_{kind}: {name} must be a non-negative number (a count, or a fraction "
                f"below 1), got {value!r}."
            )


def _within_bounds(
    kind: str, upstream_states: dict, at_least: float | None, at_most: float | None
) -> bool:
    if not upstream_states:
        return True
    states = _states(upstream_states)
    count = (lambda s: s.is_failed()) if kind == "failed" else (lambda s: s.is_successful())
    hits = sum(1 for s in states if count(s))
    low = 0.0 if at_least is None else (len(states) * at_least if at_least < 1 else at_least)
    high = float(len(states)) if at_most is None else (len(states) * at_most if at_most < 1 else at_most)
    if not low <= hits <= high:
        raise signals.TRIGGERFAIL(f'Trigger was "some_{kind}" but thresholds were not met.')
    return True


# The trigger is made inside its factory and closes over the factory's arguments only, so that
# serialization (StatefulFunctionReference) writes it as {"fn": "...some_failed", "kwargs":
# {"at_least": ..., "at_most": ...}} as Prefect 1 does, and rebuilds it from that.
def _used_uncalled(kind: str, at_least: Any) -> bool:
    """Whether ``some_<kind>`` was given as a trigger without being called (``trigger=some_failed``).

    The runner then calls it with the upstream states. Prefect 1 handed back the inner trigger
    there, which is truthy, so the task always ran; that stays so, with a warning naming the fix.
    """
    if not isinstance(at_least, Mapping):
        return False
    warnings.warn(
        f"triggers.some_{kind} was used without calling it, so it passes whatever the upstream "
        f"states (as in Prefect 1); call it with bounds, e.g. trigger=some_{kind}(at_least=1).",
        stacklevel=3,
    )
    return True


def some_failed(at_least: float | None = None, at_most: float | None = None) -> Trigger:
    """A trigger that runs when the number of failed upstream tasks is within bounds.

    Args:
        at_least: the fewest failures (a count, or a fraction of upstream tasks when below 1).
        at_most: the most failures (likewise).
    """
    if _used_uncalled("failed", at_least):
        return True  # type: ignore[return-value]
    _check_bounds("failed", at_least, at_most)

    def trigger(upstream_states: dict) -> bool:
        return _within_bounds("failed", upstream_states, at_least, at_most)

    trigger.__name__ = "some_failed"
    return trigger


def some_successful(at_least: float | None = None, at_most: float | None = None) -> Trigger:
    """A trigger that runs when the number of successful upstream tasks is within bounds.

    Args:
        at_least: the fewest successes (a count, or a fraction of upstream tasks when below 1).
        at_most: the most successes (likewise).
    """
    if _used_uncalled("successful", at_least):
        return True  # type: ignore[return-value]
    _check_bounds("successful", at_least, at_most)

    def trigger(upstream_states: dict) -> bool:
        return _within_bounds("successful", upstream_states, at_least, at_most)

    trigger.__name__ = "some_successful"
    return trigger


def not_all_skipped(upstream_states: dict) -> bool:
    """Run if every upstream task succeeded and not all of them skipped (else skip)."""
    states = _states(upstream_states)
    if all(s.is_skipped() for s in states):
        raise signals.SKIP("All upstreams were skipped", result=None)
    if not all(s.is_successful() for s in states):
        raise signals.TRIGGERFAIL(
            'Trigger was "not_all_skipped" but some of the upstream tasks failed.'
        )
    return True
