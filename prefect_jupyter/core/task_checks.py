"""Checks a task makes of its ``run`` method and options when it is created, and a flow of its
graph before it runs.

Prefect 1 rejects ``run`` signatures the engine cannot call by keyword, infers ``nout`` from a
``tuple[...]`` return annotation, and validates ``retry_on``; these are those rules. A map over a
constant that is not a sequence is refused when the flow runs (before any task does), not when
it is built, so that such a flow can still be drawn and edited, as in Prefect 1.
"""

from __future__ import annotations

import inspect
import typing
import weakref
from collections.abc import Callable, Iterable
from typing import Any

RESERVED_ARGUMENTS = ("upstream_tasks", "mapped", "task_args", "flow")


def validate_run_signature(run: Callable, owner: str = "task") -> None:
    """Reject ``run`` signatures the engine cannot call with keyword arguments.

    Raises:
        ValueError: for ``*args``, reserved argument names, or an uninspectable callable.
    """
    func = inspect.unwrap(run)
    try:
        spec = inspect.getfullargspec(func)
    except TypeError as exc:
        raise ValueError(
            f"This function can not be inspected ({owner}; common with builtin and numpy "
            "functions). Wrap it in a plain Python function and make that the task."
        ) from exc
    if spec.varargs:
        raise ValueError(
            f"{owner}: tasks with variable positional arguments (*{spec.varargs}) are not "
            "supported, because every task argument is passed by keyword. Accept **kwargs "
            "instead and build the positional values from them."
        )
    clashes = [name for name in RESERVED_ARGUMENTS if name in spec.args + spec.kwonlyargs]
    if clashes:
        raise ValueError(
            f"Tasks cannot have the following argument names: {', '.join(clashes)}. "
            "These are reserved keyword arguments; rename them in the task's signature."
        )


# (positional-only argument names, inferred nout) of a class's ``run`` function: the same for
# every instance, and a flow run makes a ``Constant`` task for each constant it folded
_RUN_FACTS: weakref.WeakKeyDictionary[Callable, tuple[list[str], int | None]] = weakref.WeakKeyDictionary()


def run_facts(run: Callable) -> tuple[list[str], int | None]:
    """``(positional_only_arguments(run), infer_nout(run))``, worked out once per class method."""
    func = getattr(run, "__func__", None)  # a bound method: the class's function
    if func is None:
        return positional_only_arguments(run), infer_nout(run)
    facts = _RUN_FACTS.get(func)
    if facts is None:
        facts = _RUN_FACTS[func] = (positional_only_arguments(run), infer_nout(run))
    return list(facts[0]), facts[1]


def infer_nout(run: Callable) -> int | None:
    """How many values ``run`` returns, read from a ``tuple[...]`` return annotation."""
    try:
        hints = typing.get_type_hints(run)
    except Exception:  # unresolvable annotations just mean "unknown"
        hints = getattr(run, "__annotations__", {})
    ret = hints.get("return", inspect.Parameter.empty)
    if typing.get_origin(ret) is not tuple or ret is typing.Tuple:  # noqa: UP006 (bare: any length)
        return None
    args = typing.get_args(ret)
    if not args:  # Tuple[()]: the empty tuple
        return 0
    if len(args) == 2 and args[1] is Ellipsis:
        return None
    if args == ((),):
        return 0
    return len(args)


def positional_only_arguments(run: Callable) -> list[str]:
    return [
        p.name
        for p in inspect.signature(run).parameters.values()
        if p.kind is inspect.Parameter.POSITIONAL_ONLY
    ]


def retry_on_set(retry_on: Any, max_retries: int) -> set[type[Exception]] | None:
    if not retry_on:
        return None
    if not max_retries > 0:
        raise ValueError("A number of `max_retries` must be provided if `retry_on` is set.")
    found = {retry_on} if not isinstance(retry_on, Iterable) else set(retry_on)
    for value in found:
        if not isinstance(value, type):
            raise TypeError(
                f"Invalid `retry_on` value {value!r}. Expected an exception type but got an "
                f"instance of {type(value).__name__}"
            )
        if not issubclass(value, Exception):
            raise TypeError(f"Invalid `retry_on` value {value!r}. Expected an exception subclass.")
    return found


def on_failure_handler(on_failure: Callable) -> Callable:
    """A state handler calling ``on_failure(task, state)`` when a state is failed."""

    def handler(task: Any, old_state: Any, new_state: Any) -> Any:
        if new_state.is_failed():
            on_failure(task, new_state)
        return new_state

    handler.__name__ = getattr(on_failure, "__name__", "on_failure")
    return handler


def check_mapped_constants(flow: Any) -> None:
    """Refuse a flow where a task maps over a constant that cannot be indexed (``add.map(x=5)``).

    Raises:
        TypeError: naming the task and the argument, and how to pass the value whole.
    """
    # only mapped edges can be wrong: sorted (for a deterministic message) once one is found
    mapped = [edge for edge in flow.edges if edge.mapped]
    for edge in sorted(mapped, key=lambda e: (e.downstream_task.name, e.key or "")):
        value = getattr(edge.upstream_task, "value", None)
        constant = edge.upstream_task.flow_role == "constant"
        if constant and not hasattr(value, "__getitem__"):
            where = f"argument {edge.key!r}" if edge.key else "an upstream constant"
            raise TypeError(
                f"Cannot map {edge.downstream_task.name!r} over {where}: an object of type "
                f"{type(value).__name__} ({repr(value)[:30]}) is not subscriptable. Pass a "
                "list (or a task returning one), or wrap it in unmapped(...) to pass it whole."
            )
