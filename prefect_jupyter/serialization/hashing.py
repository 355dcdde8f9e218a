"""The digest behind ``structure_hash``: a fingerprint of a flow's structure and code (the default
idempotency key; :func:`prefect_jupyter.serialization.structure_hash` computes it for a flow).

Registering a flow whose hash is unchanged keeps the registered version; any change to what the
flow does gives a new hash, so a new version. The hash covers:

* the flow's metadata as registered: name, tasks (with their settings), edges, parameters
  (defaults included), reference tasks, schedule and labels;
* the constant arguments folded into the flow (``inc(1)`` vs ``inc(2)``);
* each task's code: the source of its function or class (``inspect.getsource``), else its code
  object (bytecode, names and constants), and the same for the helper functions and classes of
  the same module that the code refers to by name. Code of ``prefect_jupyter`` itself counts by
  name only: upgrading the package does not make every flow a new version.

Everything is hashed in a canonical form (sorted keys, sets in sorted order, no memory
addresses), so the hash is the same in every process for an unchanged flow.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import types
from typing import TYPE_CHECKING, Any

from prefect_jupyter.utilities.code import global_names

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["hash_structure", "code_fingerprint"]

# the serialized-flow keys that describe structure (not storage, layout or the hash itself)
STRUCTURE_KEYS = (
    "name", "type", "parameters", "tasks", "edges", "reference_tasks", "schedule", "labels",
)
_OWN_PACKAGE = "prefect_jupyter"
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def hash_structure(flow: Flow, serialized: dict[str, Any]) -> str:
    """The sha256 hex digest of ``flow``'s structure and code.

    Args:
        flow: the flow.
        serialized: its serialized form (what :func:`~prefect_jupyter.serialization.flow.
            serialize_flow` makes, which stores this digest as its ``structure_hash``).
    """
    slugs = flow.slugs
    canonical = {
        "structure": {key: serialized.get(key) for key in STRUCTURE_KEYS},
        "constants": {
            slugs[t]: {k: stable_repr(v) for k, v in sorted(consts.items())}
            for t, consts in flow.constants.items()
            if t in slugs
        },
        "defaults": {p.name: stable_repr(p.default) for p in flow.parameters()},
        "code": {slugs[t]: task_fingerprint(t) for t in flow.tasks},
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def task_fingerprint(task: Any) -> str:
    """A digest of the code ``task`` runs: its function for ``@task`` tasks, else its class."""
    run = task.__dict__.get("run")  # FunctionTask (and cell tasks) keep their code here
    if run is not None:
        return code_fingerprint(run)
    return code_fingerprint(type(task))


def code_fingerprint(obj: Any, _seen: set[int] | None = None) -> str:
    """A digest of the source (or bytecode) of a function or class and the helpers it uses."""
    seen = _seen if _seen is not None else set()
    if id(obj) in seen:
        return "<recursive>"
    seen.add(id(obj))
    source = getattr(getattr(obj, "spec", None), "source", None)  # a notebook cell task
    if isinstance(source, str):
        return hashlib.sha256(source.encode()).hexdigest()
    module = getattr(obj, "__module__", None) or ""
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    if module == _OWN_PACKAGE or module.startswith(_OWN_PACKAGE + "."):
        return f"{module}.{qualname}"
    digest = hashlib.sha256(f"{module}.{qualname}".encode())
    if not isinstance(obj, (types.FunctionType, type)):
        obj = type(obj)  # a callable object: its class holds the code
    digest.update(_source_or_code(obj).encode())
    for name, helper in _helpers(obj):
        digest.update(name.encode())
        digest.update(code_fingerprint(helper, seen).encode())
    return digest.hexdigest()


def _source_or_code(obj: types.FunctionType | type) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        pass
    if isinstance(obj, types.FunctionType):
        return _code_text(obj.__code__)
    members = sorted(
        (name, value) for name, value in vars(obj).items() if isinstance(value, types.FunctionType)
    )
    return "\n".join(f"{name}:{_code_text(value.__code__)}" for name, value in members)


def _code_text(code: types.CodeType) -> str:
    consts = [
        _code_text(c) if isinstance(c, types.CodeType) else stable_repr(c) for c in code.co_consts
    ]
    return json.dumps(
        [code.co_code.hex(), list(code.co_names), list(code.co_varnames), consts],
        separators=(",", ":"),
    )


def _helpers(obj: types.FunctionType | type) -> list[tuple[str, Any]]:
    """Functions and classes of ``obj``'s module that its code refers to by global name."""
    module = getattr(obj, "__module__", None)
    functions = [obj] if isinstance(obj, types.FunctionType) else [
        v for v in vars(obj).values() if isinstance(v, types.FunctionType)
    ]
    found: dict[str, Any] = {}
    for fn in functions:
        for name in sorted(global_names(fn.__code__)):
            value = fn.__globals__.get(name)
            run = getattr(value, "__dict__", {}).get("run") if not isinstance(value, type) else None
            if isinstance(run, types.FunctionType):
                value = run  # a @task used as a plain function
            if (
                isinstance(value, (types.FunctionType, type))
                and getattr(value, "__module__", None) == module
                and value is not obj
            ):
                found[name] = value
    return sorted(found.items())


def stable_repr(value: Any) -> str:
    """A text for ``value`` that is the same in every process (JSON when possible)."""
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(stable_repr(v) for v in value)) + "}"
    if isinstance(value, dict):
        items = sorted((stable_repr(k), stable_repr(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(stable_repr(v) for v in value) + "]"
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return _ADDRESS.sub("", repr(value))
