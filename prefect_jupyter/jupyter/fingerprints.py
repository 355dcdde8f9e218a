"""Fingerprints of a flow's tasks: what ``%flow rerun --changed`` compares between runs.

A task's fingerprint hashes its code (for a function task, the function's source and the
notebook functions it calls by name; for a cell task, the cell's source and the notebook
functions it reads), the values of the notebook variables that code reads, its constant inputs,
the parameter values it depends on, and the fingerprints of its upstream tasks — so a change
anywhere upstream changes it too.

A notebook variable's value is hashed through its pickle, streamed into the hash (NumPy and
pandas buffers included, without copying), up to :data:`VALUE_HASH_LIMIT` bytes. A value that
cannot be pickled (an open connection, a lock, a generator) or is larger than the limit is
compared by identity instead: binding the name to another object counts as a change, changing
the object in place does not. Modules, classes and functions from installed packages are code,
not data, and are left out.
"""

from __future__ import annotations

import hashlib
import inspect
import pickle
import types
from typing import Any

from prefect_jupyter.core.flow import Flow
from prefect_jupyter.core.parameter import Parameter
from prefect_jupyter.core.task import Task
from prefect_jupyter.jupyter.cell_runner import CellRunner, is_cell_task
from prefect_jupyter.tasks.core.function import FunctionTask
from prefect_jupyter.utilities.code import global_names

__all__ = ["VALUE_HASH_LIMIT", "code_hash", "fingerprints", "value_hash"]

VALUE_HASH_LIMIT = 256 * 2**20
"""Bytes of pickle a notebook variable's value may have and still be hashed by content."""


class _TooLarge(Exception):
    """Raised inside the pickler once a value passes :data:`VALUE_HASH_LIMIT`."""


class _HashSink:
    """A file-like target for ``pickle`` that hashes what it is given and counts the bytes."""

    def __init__(self, limit: int) -> None:
        self.digest = hashlib.sha256()
        self.left = limit

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.left -= view.nbytes
        if self.left < 0:
            raise _TooLarge
        self.digest.update(view)
        return view.nbytes

    def buffer(self, buffer: pickle.PickleBuffer) -> bool:
        """Out-of-band buffers (protocol 5: NumPy arrays, pandas blocks) hash without a copy."""
        try:
            self.write(buffer.raw())
        except BufferError:  # not contiguous: let pickle copy it in band
            return True
        return False


def value_hash(value: Any, limit: int = VALUE_HASH_LIMIT) -> str:
    """A hash of ``value``'s content, or of its identity when it cannot be pickled or is too big.

    Equal values built the same way hash the same; a hash that differs only means "maybe
    changed", so ``--changed`` errs towards running a task again.
    """
    sink = _HashSink(limit)
    try:
        pickle.Pickler(sink, protocol=5, buffer_callback=sink.buffer).dump(value)
    except _TooLarge:
        return f"large {type(value).__qualname__} @{id(value):x}"
    except Exception:  # noqa: BLE001 - any pickling failure means "compare by identity"
        return f"unpicklable {type(value).__qualname__} @{id(value):x}"
    return sink.digest.hexdigest()


_CODE_TYPES = (
    types.ModuleType, type, Task, Flow, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
)


def code_hash(obj: Any, _seen: set[int] | None = None, _values: dict[int, str] | None = None) -> str:
    """A hash of a task's code, including the notebook functions it calls by name and the values
    of the notebook variables it reads."""
    seen = _seen if _seen is not None else set()
    values = _values if _values is not None else {}
    if id(obj) in seen:
        return ""
    seen.add(id(obj))
    if isinstance(obj, Task):
        run = obj.run
        return code_hash(
            run if is_cell_task(obj) or isinstance(obj, FunctionTask) else type(obj).run, seen, values
        )
    digest = hashlib.sha256()
    reads: dict[str, Any] = {}
    if isinstance(obj, CellRunner):
        digest.update(obj.spec.source.encode())
        inputs = set(inspect.signature(obj).parameters)  # values that arrive along edges
        reads = {n: obj.user_ns[n] for n in obj.spec.reads if n in obj.user_ns and n not in inputs}
    elif isinstance(obj, types.FunctionType):
        try:
            digest.update(inspect.getsource(obj).encode())
        except (OSError, TypeError):
            digest.update(obj.__code__.co_code)
            digest.update(repr(obj.__code__.co_consts).encode())
        if obj.__module__ == "__main__":  # a library function's module state is not the notebook's
            names = global_names(obj.__code__)
            reads = {n: obj.__globals__[n] for n in names if n in obj.__globals__}
    for name in sorted(reads):
        value = reads[name]
        if isinstance(value, FunctionTask):
            value = value.run
        if isinstance(value, types.FunctionType) and value.__module__ == "__main__":
            digest.update(f"{name}()".encode())
            digest.update(code_hash(value, seen, values).encode())
        elif not isinstance(value, _CODE_TYPES) and not name.startswith("__"):
            if id(value) not in values:  # one hash per object per fingerprints() call
                values[id(value)] = value_hash(value)
            digest.update(f"{name}={values[id(value)]}".encode())
    return digest.hexdigest()


def fingerprints(flow: Flow, parameters: dict[str, Any]) -> dict[str, str]:
    """By slug: a hash of each task's code, constants, and its upstream tasks' fingerprints.

    A task's fingerprint changes when its code, a notebook variable its code reads, its constant
    inputs, a parameter it depends on, or anything upstream of it changes.
    """
    found: dict[Any, str] = {}
    values: dict[int, str] = {}
    for task in flow.sorted_tasks():
        digest = hashlib.sha256(code_hash(task, None, values).encode())
        if isinstance(task, Parameter):
            digest.update(value_hash(parameters.get(task.name, task.default)).encode())
        if hasattr(task, "value") and not isinstance(task, Parameter):
            digest.update(value_hash(task.value).encode())
        for key, constant in sorted(flow.constants.get(task, {}).items(), key=lambda kv: kv[0]):
            digest.update(f"{key}={value_hash(constant)}".encode())
        for edge in sorted(flow.edges_to(task), key=lambda e: (e.key or "", flow.slugs[e.upstream_task])):
            digest.update(f"{edge.key}:{edge.mapped}:{found[edge.upstream_task]}".encode())
        found[task] = digest.hexdigest()
    return {flow.slugs[t]: h for t, h in found.items()}
