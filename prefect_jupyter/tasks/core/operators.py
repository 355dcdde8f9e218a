"""Tasks behind the operators on ``Task`` (``a + b``, ``a[i]``, ``a > b``, ...)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from prefect_jupyter.core.task import Task


class _Missing:
    """The marker for "no default"; pickles by reference so it survives a trip to a worker."""

    def __repr__(self) -> str:
        return "<no default>"

    def __reduce__(self) -> str:
        return "_MISSING"


_MISSING: Any = _Missing()


class GetItem(Task):
    """Evaluates ``task_result[key]`` (``default`` when the key is missing, if given)."""

    def __init__(self, default: Any = _MISSING, **kwargs: Any) -> None:
        self.default = default
        super().__init__(**kwargs)

    def run(self, task_result: Any, key: Any, default: Any = _MISSING) -> Any:  # type: ignore[override]
        if default is _MISSING:
            default = self.default
        if default is _MISSING:
            return task_result[key]
        try:
            return task_result[key]
        except (KeyError, IndexError, TypeError):
            return default


class GetAttr(Task):
    """Evaluates ``getattr(task_result, attr)`` (dotted names follow attributes)."""

    def __init__(self, default: Any = _MISSING, **kwargs: Any) -> None:
        self.default = default
        super().__init__(**kwargs)

    def run(self, task_result: Any, attr: str, default: Any = _MISSING) -> Any:  # type: ignore[override]
        if default is _MISSING:
            default = self.default
        value = task_result
        try:
            for part in attr.split("."):
                value = getattr(value, part)
        except AttributeError:
            if default is _MISSING:
                raise
            return default
        return value


class Not(Task):
    """Evaluates ``not x``."""

    def run(self, x: Any) -> bool:  # type: ignore[override]
        return not x


def _binary(name: str, func: Callable[[Any, Any], Any], symbol: str) -> type[Task]:
    """A task class whose ``run(x, y)`` returns ``func(x, y)``."""

    def run(self: Task, x: Any, y: Any) -> Any:
        return func(x, y)

    cls = type(name, (Task,), {"run": run, "__doc__": f"Evaluates ``x {symbol} y``.", "__module__": __name__})
    cls.__qualname__ = name
    return cls


Add = _binary("Add", operator.add, "+")
Sub = _binary("Sub", operator.sub, "-")
Mul = _binary("Mul", operator.mul, "*")
Div = _binary("Div", operator.truediv, "/")
FloorDiv = _binary("FloorDiv", operator.floordiv, "//")
Pow = _binary("Pow", operator.pow, "**")
Mod = _binary("Mod", operator.mod, "%")
And = _binary("And", lambda x, y: x and y, "and")
Or = _binary("Or", lambda x, y: x or y, "or")
Equal = _binary("Equal", operator.eq, "==")
NotEqual = _binary("NotEqual", operator.ne, "!=")
GreaterThan = _binary("GreaterThan", operator.gt, ">")
GreaterThanOrEqual = _binary("GreaterThanOrEqual", operator.ge, ">=")
LessThan = _binary("LessThan", operator.lt, "<")
LessThanOrEqual = _binary("LessThanOrEqual", operator.le, "<=")
