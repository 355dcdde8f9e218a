"""``case``: a block of tasks that runs only when a task's result equals a value.

Example:
    >>> with Flow("example") as flow:
    ...     cond = condition()
    ...     with case(cond, "a"):
    ...         run_if_a()
    ...     with case(cond, "b"):
    ...         run_if_b()
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.context import context
from prefect_jupyter.core.task import Task


class case:  # noqa: N801 - Prefect 1's name
    """Run the tasks created in this block only if ``task``'s result equals ``value``.

    Tasks in the block that have no upstream task inside the block get a hidden
    ``CompareValue`` task upstream; when it skips, they skip (and so does whatever depends on
    them, unless it sets ``skip_on_upstream_skip=False`` — see ``merge``).

    Args:
        task: the task whose result is compared.
        value: the value to compare against (not a task).
    """

    def __init__(self, task: Task, value: Any) -> None:
        if isinstance(value, Task):
            raise TypeError("`value` cannot be a task; compare against a plain value.")
        self.task = task
        self.value = value
        self._tasks: set[Task] = set()
        self._flow: Any = None

    def add_task(self, task: Task, flow: Any) -> None:
        """Record a task created inside the block (called by ``Flow.add_task``)."""
        if self._flow is None:
            self._flow = flow
        elif self._flow is not flow:
            raise ValueError("Multiple flows cannot be used with the same case statement")
        self._tasks.add(task)

    def __enter__(self) -> None:
        self._previous = context.get("case")
        context["case"] = self

    def __exit__(self, *exc: object) -> None:
        from prefect_jupyter.tasks.control_flow.conditional import CompareValue

        if self._previous is None:
            context.pop("case", None)
        else:
            context["case"] = self._previous
        if not self._tasks:
            return
        condition = CompareValue(self.value, name=f"case({self.value})").bind(
            value=self.task, flow=self._flow
        )
        for child in self._tasks:
            if not self._tasks & self._flow.upstream_tasks(child):
                child.set_upstream(condition, flow=self._flow)
