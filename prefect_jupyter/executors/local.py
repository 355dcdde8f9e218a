"""``LocalExecutor``: runs each task at once, in order, in the calling thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect_jupyter.executors.base import Executor


class LocalExecutor(Executor):
    """Runs every task synchronously where ``flow.run`` was called; easiest to debug.

    ``submit(fn, ...)`` is ``fn(...)``, so the flow runner calls the task runs itself (without
    going through ``submit``) when an executor's ``submit`` is this one.

    Example:
        >>> flow.run(executor=LocalExecutor())
    """

    def submit(self, fn: Callable, *args: Any, extra_context: dict | None = None, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def wait(self, futures: Any) -> Any:
        return futures
