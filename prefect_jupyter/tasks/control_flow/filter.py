"""``FilterTask``: keep the results of a list (typically a mapped task's) that pass a test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect_jupyter.core.task import Task


class FilterTask(Task):
    """Filters its ``task_results`` list with ``filter_func``.

    By default it drops ``None`` and exceptions (the results of failed mapped children), runs
    whatever upstream finished with (``all_finished``), and does not skip on upstream skips.

    Args:
        filter_func: keep a result when this returns true.
        log_func: called with the filtered list; its return value is logged.
        **kwargs: passed on to ``Task``.
    """

    def __init__(
        self, filter_func: Callable[[Any], bool] | None = None, log_func: Callable | None = None, **kwargs: Any
    ) -> None:
        from prefect_jupyter.triggers import all_finished

        kwargs.setdefault("skip_on_upstream_skip", False)
        kwargs.setdefault("trigger", all_finished)
        self.filter_func = filter_func or (lambda r: not isinstance(r, (type(None), BaseException)))
        self.log_func = log_func
        super().__init__(**kwargs)

    def run(self, task_results: list[Any]) -> list[Any]:  # type: ignore[override]
        kept = [r for r in task_results if self.filter_func(r)]
        if self.log_func:
            self.logger.info(self.log_func(kept))
        return kept
