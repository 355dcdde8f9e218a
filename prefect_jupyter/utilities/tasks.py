"""Helpers for making and grouping tasks: ``@task``, ``tags``, ``as_task``, ``apply_map``.

Example:
    >>> @task(max_retries=2, retry_delay=timedelta(seconds=1))
    ... def fetch(url):
    ...     ...
    >>> with tags("etl"):
    ...     data = fetch("https://example.com")
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prefect_jupyter.context import context
from prefect_jupyter.core.task import Task
from prefect_jupyter.core.task_values import as_task
from prefect_jupyter.utilities.edges import EdgeAnnotation, flatten, mapped, unmapped

__all__ = [
    "task",
    "tags",
    "as_task",
    "apply_map",
    "defaults_from_attrs",
    "pause_task",
    "unmapped",
    "mapped",
    "flatten",
]


def task(fn: Callable | None = None, **task_init_kwargs: Any) -> Any:
    """Make a ``FunctionTask`` from a function; works with and without arguments.

    Example:
        >>> @task
        ... def double(x):
        ...     return 2 * x
        >>> @task(name="triple", nout=2)
        ... def split(x):
        ...     return x, x
    """
    from prefect_jupyter.tasks.core.function import FunctionTask

    if fn is None:
        return lambda fn: FunctionTask(fn=fn, **task_init_kwargs)
    if not callable(fn):
        raise TypeError(
            f"@task decorates a function, got {fn!r}. Task options go by keyword: "
            "@task(name=..., max_retries=...)."
        )
    return FunctionTask(fn=fn, **task_init_kwargs)


@contextlib.contextmanager
def tags(*tags: str) -> Iterator[None]:
    """Add ``tags`` to every task created or called inside the block."""
    current = set(context.get("tags", ()))
    with context(tags=current | set(tags)):
        yield


def apply_map(func: Callable, *args: Any, flow: Any = None, **kwargs: Any) -> Any:
    """Map a whole function of tasks (including ``case``/``merge``) over its arguments.

    Every task that ``func`` creates becomes a mapped task; arguments wrapped in
    ``unmapped(...)`` are passed whole.

    Raises:
        ValueError: outside a flow context.
        TypeError: when an argument is neither a task nor a sequence.
    """
    from prefect_jupyter.core.flow import Flow
    from prefect_jupyter.tasks.core.constants import Constant

    target = flow or context.get("flow")
    if target is None:
        raise ValueError(
            "Couldn't infer a flow in the current context: call apply_map inside "
            "`with Flow(...):` or pass flow=..."
        )
    for value in itertools.chain(args, kwargs.values()):
        if not isinstance(value, (Task, EdgeAnnotation, Sequence)):
            raise TypeError(
                f"Cannot map over non-sequence object of type `{type(value).__name__}`; "
                "pass a list, a task, or wrap it in unmapped(...)."
            )
    original_tasks = set(target.tasks)
    scratch = Flow("apply_map scratch")
    arg_flags: dict[Task, tuple[bool, bool]] = {}
    # constants given as mapped arguments end up in ``scratch.constants`` by value
    mapped_constants: dict[int, tuple[Task, bool]] = {}

    def prepare(value: Any) -> Task:
        # an enclosing ``case``/resource block records the tasks added to ``target`` only:
        # the scratch flow is not the block's flow
        with context(case=None, resource=None):
            made = as_task(value, flow=scratch)
            if not isinstance(made, Constant):
                scratch.add_task(made)
        arg_flags[made] = (not isinstance(value, unmapped), isinstance(value, flatten))
        if isinstance(made, Constant):
            if not isinstance(value, unmapped):
                mapped_constants[id(made.value)] = (made, isinstance(value, flatten))
        else:
            target.add_task(made)
        return made

    args2 = [prepare(a) for a in args]
    kwargs2 = {k: prepare(v) for k, v in kwargs.items()}
    with context(mapped=True, case=None, resource=None), scratch:
        result = func(*args2, **kwargs2) if flow is None else func(*args2, flow=scratch, **kwargs2)
    for t in scratch.tasks:
        target.add_task(t)
    for edge in scratch.edges:
        is_mapped, is_flat = arg_flags.get(edge.upstream_task, (True, False))
        target.add_edge(
            edge.upstream_task, edge.downstream_task, key=edge.key, mapped=is_mapped, flattened=is_flat
        )
    for t, consts in scratch.constants.items():
        for key, value in consts.items():
            if id(value) in mapped_constants:
                const, is_flat = mapped_constants[id(value)]
                target.add_edge(const, t, key=key, mapped=True, flattened=is_flat)
            else:
                # a constant the function made itself is passed whole to every child
                target.add_edge(Constant(value), t, key=key, mapped=False)
    # As in Prefect 1, a task ``func`` made with no upstream task inside the subgraph depends
    # on every argument (except unmapped constants), so that it is mapped like the others.
    new_tasks = scratch.tasks - original_tasks - set(arg_flags)
    for t in new_tasks:
        upstream = target.upstream_tasks(t)
        if upstream & new_tasks:
            continue
        for arg, (is_mapped, is_flat) in arg_flags.items():
            if arg not in upstream and (is_mapped or not isinstance(arg, Constant)):
                target.add_edge(arg, t, mapped=is_mapped, flattened=is_flat)
    return result


def defaults_from_attrs(*attr_args: str) -> Callable:
    """Fill ``run`` keyword arguments that were not passed from the task's attributes of that
    name (an explicit ``None`` is kept, as in Prefect 1)."""

    def wrapper(run_method: Callable) -> Callable:
        @functools.wraps(run_method)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            for attr in attr_args:
                kwargs.setdefault(attr, getattr(self, attr))
            return run_method(self, *args, **kwargs)

        return method

    return wrapper


def pause_task(message: str | None = None, duration: Any = None) -> None:
    """Pause the running task (raise ``PAUSE``) unless it was resumed already."""
    from prefect_jupyter.engine import signals

    if context.get("resume", False):
        return
    start_time = None
    if duration is not None:
        import datetime

        start_time = datetime.datetime.now(datetime.UTC) + duration
    raise signals.PAUSE(message or "Pause signal raised during task execution.", start_time=start_time)
