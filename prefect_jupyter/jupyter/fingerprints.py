"""Fingerprints of a flow's tasks: what ``%flow rerun --changed`` compares between runs.

A task's fingerprint hashes its code (for a function task, the function's source and the
notebook functions it calls by name; for a cell task, the cell's source and the notebook
functions it reads), its constant inputs, the parameter values it depends on, and the
fingerprints of its upstream tasks — so a change anywhere upstream changes it too.
"""

from __future__ import annotations

import hashlib
import inspect
import types
from typing import Any

from prefect_jupyter.core.flow import Flow
from prefect_jupyter.core.parameter import Parameter
from prefect_jupyter.core.task import Task
from prefect_jupyter.jupyter.cell_runner import CellRunner, is_cell_task
from prefect_jupyter.tasks.core.function import FunctionTask

__all__ = ["code_hash", "fingerprints"]


def code_hash(obj: Any, _seen: set[int] | None = None) -> str:
    """A hash of a task's code, including the notebook functions it calls by name."""
    seen = _seen if _seen is not None else set()
    if id(obj) in seen:
        return ""
    seen.add(id(obj))
    if isinstance(obj, Task):
        run = obj.run
        return code_hash(run if is_cell_task(obj) or isinstance(obj, FunctionTask) else type(obj).run, seen)
    digest = hashlib.sha256()
    helpers: dict[str, Any] = {}
    if isinstance(obj, CellRunner):
        digest.update(obj.spec.source.encode())
        helpers = {n: obj.user_ns.get(n) for n in obj.spec.reads}
    elif isinstance(obj, types.FunctionType):
        try:
            digest.update(inspect.getsource(obj).encode())
        except (OSError, TypeError):
            digest.update(obj.__code__.co_code)
            digest.update(repr(obj.__code__.co_consts).encode())
        helpers = {n: obj.__globals__.get(n) for n in _global_names(obj.__code__)}
    for name in sorted(helpers):
        value = helpers[name]
        if isinstance(value, FunctionTask):
            value = value.run
        if isinstance(value, types.FunctionType) and value.__module__ == "__main__":
            digest.update(name.encode())
            digest.update(code_hash(value, seen).encode())
    return digest.hexdigest()


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def fingerprints(flow: Flow, parameters: dict[str, Any]) -> dict[str, str]:
    """By slug: a hash of each task's code, constants, and its upstream tasks' fingerprints.

    A task's fingerprint changes when its code, its constant inputs, a parameter it depends on,
    or anything upstream of it changes.
    """
    found: dict[Any, str] = {}
    for task in flow.sorted_tasks():
        digest = hashlib.sha256(code_hash(task).encode())
        if isinstance(task, Parameter):
            digest.update(repr(parameters.get(task.name, task.default)).encode())
        if hasattr(task, "value") and not isinstance(task, Parameter):
            digest.update(repr(task.value).encode())
        digest.update(repr(sorted(flow.constants.get(task, {}).items(), key=lambda kv: kv[0])).encode())
        for edge in sorted(flow.edges_to(task), key=lambda e: (e.key or "", flow.slugs[e.upstream_task])):
            digest.update(f"{edge.key}:{edge.mapped}:{found[edge.upstream_task]}".encode())
        found[task] = digest.hexdigest()
    return {flow.slugs[t]: h for t, h in found.items()}
