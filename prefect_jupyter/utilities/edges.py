"""Annotations that change how a task's argument is fed: ``unmapped``, ``mapped``, ``flatten``.

Example:
    >>> add.map(x=[1, 2, 3], y=unmapped(10))
    >>> total.map(flatten(nested_lists))
"""

from __future__ import annotations

from typing import Any

__all__ = ["EdgeAnnotation", "unmapped", "mapped", "flatten"]


class EdgeAnnotation:
    """A wrapper that carries a value and flags for the edge it becomes."""

    annotations: dict[str, bool] = {}

    def __init__(self, value: Any) -> None:
        self.value = value
        # Annotations nest (``unmapped(flatten(x))``): merge the inner flags. As in Prefect 1,
        # the inner annotation wins a conflict (``mapped(unmapped(x))`` is unmapped).
        merged = dict(type(self).annotations)
        if isinstance(value, EdgeAnnotation):
            merged.update(value.annotations)
            self.value = value.value
        self.annotations = merged

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


class unmapped(EdgeAnnotation):  # noqa: N801 - Prefect 1's name
    """Pass this argument whole to every mapped child instead of mapping over it."""

    annotations = {"mapped": False}


class mapped(EdgeAnnotation):  # noqa: N801 - Prefect 1's name
    """Map over this argument even when the task is called, not ``.map``-ed."""

    annotations = {"mapped": True}


class flatten(EdgeAnnotation):  # noqa: N801 - Prefect 1's name
    """Flatten a list of lists one level before it is passed (or mapped over)."""

    annotations = {"flattened": True}
