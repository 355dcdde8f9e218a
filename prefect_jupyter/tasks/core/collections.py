"""Tasks that gather upstream results into a ``list``, ``tuple``, ``set`` or ``dict``.

They are created automatically when a task argument is a collection that contains tasks.
"""

from __future__ import annotations

import builtins
from typing import Any

from prefect_jupyter.core.task import Task


class VarArgsTask(Task):
    """A task whose positional arguments arrive as ``arg_1``, ``arg_2``, ... keywords."""

    def bind(  # type: ignore[override]
        self, *args: Any, upstream_tasks: Any = None, flow: Any = None, **kwargs: Any
    ) -> Task:
        named = {f"arg_{i}": a for i, a in enumerate(args, start=1)}
        named.update(kwargs)
        return super().bind(upstream_tasks=upstream_tasks, flow=flow, **named)

    @staticmethod
    def _ordered(task_results: dict) -> list:
        keyed = sorted(task_results.items(), key=lambda kv: int(kv[0].split("_", 1)[1]))
        return [value for _, value in keyed]


class List(VarArgsTask):
    """Collects its arguments into a list."""

    def run(self, **task_results: Any) -> list:  # type: ignore[override]
        return self._ordered(task_results)


class Tuple(VarArgsTask):
    """Collects its arguments into a tuple."""

    def run(self, **task_results: Any) -> tuple:  # type: ignore[override]
        return tuple(self._ordered(task_results))


class Set(VarArgsTask):
    """Collects its arguments into a set."""

    def run(self, **task_results: Any) -> set:  # type: ignore[override]
        return builtins.set(self._ordered(task_results))


class Dict(Task):
    """Builds a dict from a list of keys and a list of values."""

    def run(self, keys: Any, values: Any) -> dict:  # type: ignore[override]
        keys, values = builtins.list(keys), builtins.list(values)
        if len(keys) != len(values):
            raise ValueError(
                f"A Dict task needs as many keys as values (got {len(keys)} and {len(values)})."
            )
        return dict(zip(keys, values, strict=True))
