"""Plain Python values as tasks: :func:`as_task`, which every edge's ends go through.

A value that holds no task becomes a ``Constant`` (which a flow then keeps with the task using
it, see ``Task.flow_role``); a list, tuple, set or dict holding tasks becomes a ``List``,
``Tuple``, ``Set`` or ``Dict`` task bound to those tasks. Prefect 1's path for it,
``prefect_jupyter.utilities.tasks.as_task``, re-exports it.
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.utilities.edges import EdgeAnnotation

__all__ = ["as_task"]


def _is_constant(value: Any) -> bool:
    if isinstance(value, (Task, EdgeAnnotation)):
        return False
    if isinstance(value, (list, tuple, set)):
        return all(_is_constant(v) for v in value)
    if isinstance(value, dict):
        return all(_is_constant(v) for v in value.values())
    return True


def as_task(x: Any, flow: Any = None) -> Any:
    """Turn ``x`` into a task: tasks pass through, constants become ``Constant`` tasks, and
    collections holding tasks become ``List``/``Tuple``/``Set``/``Dict`` tasks bound in ``flow``."""
    from prefect_jupyter.tasks.core import collections as coll
    from prefect_jupyter.tasks.core.constants import Constant

    if isinstance(x, Task):
        return x
    if isinstance(x, EdgeAnnotation):
        return as_task(x.value, flow=flow)
    if _is_constant(x):
        made: Task = Constant(x)
    elif isinstance(x, list):
        made = coll.List().bind(*x, flow=flow)
    elif isinstance(x, tuple):
        made = coll.Tuple().bind(*x, flow=flow)
    elif isinstance(x, set):
        made = coll.Set().bind(*x, flow=flow)
    elif isinstance(x, dict):
        made = coll.Dict().bind(keys=list(x.keys()), values=list(x.values()), flow=flow)
    else:
        return x
    made.auto_generated = True
    return made
