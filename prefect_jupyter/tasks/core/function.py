"""``FunctionTask``: a task whose ``run`` is a plain function (what ``@task`` makes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect_jupyter.core.task import Task, validate_run_signature


class FunctionTask(Task):
    """A task that calls ``fn``.

    Args:
        fn: the function to run; its signature is the task's signature.
        name: display name (default: the function's name).
        **kwargs: passed on to ``Task``.

    Example:
        >>> double = FunctionTask(lambda x: 2 * x, name="double")
        >>> double.run(4)
        8
    """

    def __init__(self, fn: Callable, name: str | None = None, **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {fn!r}.")
        validate_run_signature(fn, owner=getattr(fn, "__name__", "task"))
        # The function itself is the run method: no bound-method indirection on the hot path.
        self.run = fn  # type: ignore[method-assign]
        self.__wrapped__ = fn  # so inspect and decorators see the function, as in Prefect 1
        self.__doc__ = getattr(fn, "__doc__", None)
        super().__init__(name=name or getattr(fn, "__name__", type(self).__name__), **kwargs)

    def __getstate__(self) -> dict:
        return self.__dict__.copy()
