"""Branching: ``switch``, ``ifelse`` and ``merge``.

A branch that does not match is ``Skipped``, and skips propagate downstream (unless a task sets
``skip_on_upstream_skip=False``); ``merge`` brings the branches back together.

Example:
    >>> with Flow("branching") as flow:
    ...     ifelse(is_weekend(), relax(), work())
    ...     summary = merge(relax, work)
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.engine import signals


class Merge(Task):
    """Returns the first non-``None`` result among its upstream tasks (in argument order)."""

    def __init__(self, **kwargs: Any) -> None:
        from prefect_jupyter import triggers

        if kwargs.setdefault("skip_on_upstream_skip", False):
            raise ValueError("Merge tasks must have `skip_on_upstream_skip=False`.")
        kwargs.setdefault("trigger", triggers.not_all_skipped)
        super().__init__(**kwargs)

    def run(self, **task_results: Any) -> Any:  # type: ignore[override]
        ordered = sorted(task_results.items(), key=lambda kv: int(kv[0].rsplit("_", 1)[1]))
        return next((v for _, v in ordered if v is not None), None)


class CompareValue(Task):
    """Skips unless the ``value`` it receives equals the value it was made with."""

    def __init__(self, value: Any, **kwargs: Any) -> None:
        self.value = value
        kwargs.setdefault("name", f'CompareValue: "{value}"')
        super().__init__(**kwargs)

    def run(self, value: Any) -> None:  # type: ignore[override]
        if value != self.value:
            raise signals.SKIP(f'Provided value "{value}" did not match "{self.value}"')


def switch(condition: Task, cases: dict[Any, Any], mapped: bool = False) -> None:
    """Run only the task in ``cases`` whose key equals ``condition``'s result; skip the rest.

    Args:
        condition: a task whose result picks the branch.
        cases: branch value -> task to run for it.
        mapped: map the comparison over ``condition``'s result.
    """
    from prefect_jupyter.utilities.tasks import as_task, tags

    if not isinstance(cases, dict) or not cases:
        raise TypeError("switch needs `cases`: a non-empty dict of value -> task.")
    with tags("switch"):
        for value, branch in cases.items():
            branch = as_task(branch)
            match = CompareValue(value=value).bind(value=condition, mapped=mapped)
            branch.set_dependencies(upstream_tasks=[match], mapped=mapped)


def ifelse(condition: Task, true_task: Any, false_task: Any, mapped: bool = False) -> None:
    """Run ``true_task`` if ``condition`` is truthy, else ``false_task`` (the other skips)."""
    from prefect_jupyter.tasks.core.function import FunctionTask

    cases = {c: t for c, t in ((True, true_task), (False, false_task)) if t is not None}
    if cases:
        as_bool = FunctionTask(_as_bool, name="as_bool")
        switch(condition=as_bool(condition, mapped=mapped), cases=cases, mapped=mapped)


def _as_bool(x: Any) -> bool:
    return bool(x)


def merge(*tasks: Any, flow: Any = None, mapped: bool = False, **kwargs: Any) -> Task:
    """A task returning the first real (non-``None``) result of ``tasks``: rejoin branches.

    It skips only when every one of ``tasks`` skipped.
    """
    return Merge(**kwargs).bind(
        **{f"task_{i}": t for i, t in enumerate(tasks, start=1)}, flow=flow, mapped=mapped
    )
