"""Executing a cell task: the ``run`` of a ``%%task NAME`` cell, and running one cell at once.

A cell task's ``run`` is a :class:`CellRunner`: it executes the cell's code in a copy of the
notebook's namespace with its inputs bound, and returns the names the cell assigns as a dict.
Inputs from other cells arrive as those cells' output dicts (one edge per name read); inputs
from parameters arrive as plain values. :func:`run_cell_now` is what running the cell in the
notebook does: the same code, against the upstream cells' latest outputs.
"""

from __future__ import annotations

import builtins
import inspect
from typing import Any

from prefect_jupyter.core.flow import Flow
from prefect_jupyter.core.parameter import Parameter
from prefect_jupyter.core.task import Task
from prefect_jupyter.jupyter.notebook import CellError, CellSpec, Notebook

__all__ = ["CellRunner", "is_cell_task", "run_cell_now"]


class CellRunner:
    """The ``run`` of a cell task: executes the cell's code with its inputs and returns its outputs.

    Inputs that come from other cells arrive as those cells' output dicts (one edge per name); the
    runner picks its names out of them. The rest of the namespace is the user's, read at run time.
    """

    def __init__(
        self, spec: CellSpec, from_cells: dict[str, str], from_parameters: list[str], user_ns: dict
    ) -> None:
        self.spec = spec
        self.from_cells = from_cells
        self.user_ns = user_ns
        names = [*from_cells, *from_parameters]
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
        )
        self.__name__ = spec.name
        self.__doc__ = f"The notebook cell {spec.name!r}."

    def __call__(self, **inputs: Any) -> dict[str, Any]:
        values = {
            k: (v[k] if k in self.from_cells and isinstance(v, dict) else v) for k, v in inputs.items()
        }
        return self.execute(values)

    def execute(self, values: dict[str, Any]) -> dict[str, Any]:
        """Run the cell with ``values`` for its inputs; return ``{name: value}`` for its outputs."""
        namespace = dict(self.user_ns)
        namespace.update(values)
        exec(compile(self.spec.source, self.spec.filename, "exec"), namespace)  # noqa: S102
        # imports and functions the cell defines are code, not data: they join the notebook's
        # namespace (here, not in a worker process) as if the cell had run normally
        for name in self.spec.defines:
            if name in namespace:
                self.user_ns[name] = namespace[name]
        return {n: namespace[n] for n in self.spec.outputs if n in namespace}

    def __getstate__(self) -> dict:
        # a process or cluster worker gets only the globals the cell reads, not the whole notebook
        state = self.__dict__.copy()
        state["user_ns"] = {k: self.user_ns[k] for k in self.spec.reads if k in self.user_ns}
        state["user_ns"]["__builtins__"] = builtins
        return state


def is_cell_task(task: Task) -> bool:
    """Whether ``task`` is a ``%%task NAME`` cell (its ``run`` is a :class:`CellRunner`)."""
    return isinstance(getattr(task, "run", None), CellRunner)


def run_cell_now(notebook: Notebook, flow: Flow, cell: str, user_ns: dict) -> dict[str, Any]:
    """Run one cell task at once against its upstream results; write its outputs to ``user_ns``.

    Raises:
        CellError: when an upstream cell has not run yet.
    """
    task = next(t for t in flow.tasks if flow.slugs[t] == cell)
    runner: CellRunner = task.run  # type: ignore[assignment]
    results = notebook.outputs.setdefault(flow.name, {})
    values: dict[str, Any] = {}
    for edge in flow.edges_to(task):
        up = edge.upstream_task
        key = edge.key or ""
        if isinstance(up, Parameter):
            current = user_ns.get(key, up.default)
            values[key] = up.default if isinstance(current, Task) else current
        elif key in results.get(flow.slugs[up], {}):
            values[key] = results[flow.slugs[up]][key]
        elif key in user_ns:
            values[key] = user_ns[key]
        else:
            raise CellError(
                f"Cell {cell!r} needs `{key}` from cell {flow.slugs[up]!r}, which has not run yet. "
                f"Run cell {flow.slugs[up]!r} first (or `%flow run {flow.name}`)."
            )
    outputs = runner.execute(values)
    results[cell] = outputs
    user_ns.update(outputs)
    return outputs
