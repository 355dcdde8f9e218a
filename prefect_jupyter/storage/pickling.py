"""Pickling a flow's code: ``Pickle``, the default ``storage`` of a registered flow.

The whole ``Flow`` is pickled with cloudpickle, base64 text in ``storage["flow"]``. cloudpickle
pickles functions and classes defined in ``__main__`` (a script, or a notebook's kernel) *by
value*, so the flow still runs after the notebook's kernel is gone. Code from a module that can't
be imported elsewhere (made at run time, with no file behind it) is pickled by value too. Code
from importable modules travels by reference: those modules must be installed where the flow
runs.

Pickling needs every object a task refers to be picklable. Locks, open connections, sockets,
files and generators are not: :func:`pickle_flow` then raises :class:`FlowSerializationError`
naming the task, the object's type and where the task refers to it, before anything is sent.

Code pickled by value only loads on the Python version (major.minor) that pickled it, and with a
compatible cloudpickle; :func:`pickle_versions` records both, so that :func:`unpickle_flow` can
say so.

Which kind a flow ships as (``Pickle`` or ``Module``) and loading it back is
:mod:`prefect_jupyter.storage.shipping`, above this module: the storage classes' own health checks
pickle flows, so this module imports none of them. Prefect 1's path for these names is
``prefect_jupyter.serialization.storage``.
"""

from __future__ import annotations

import base64
import platform
import sys
import types
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prefect_jupyter.exceptions import FlowStorageError
from prefect_jupyter.utilities.code import global_names

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = [
    "FlowLoadError",
    "FlowSerializationError",
    "pickle_flow",
    "pickle_versions",
    "unpickle_flow",
]

# how deep to look inside a task for the object that can't be pickled
_MAX_DEPTH = 8


class FlowSerializationError(TypeError):
    """The flow's code can't be pickled: an object a task refers to is not picklable."""


class FlowLoadError(FlowStorageError, RuntimeError):
    """A registered flow's code can't be loaded in this process."""


def pickle_versions() -> dict[str, str]:
    """The Python and cloudpickle versions this process pickles with (kept beside a pickle)."""
    import cloudpickle

    return {"python_version": platform.python_version(), "cloudpickle_version": cloudpickle.__version__}


def pickle_flow(flow: Flow) -> str:
    """``flow`` pickled with cloudpickle, as base64 text.

    Raises:
        FlowSerializationError: naming the task (and object) that can't be pickled.
    """
    import cloudpickle

    registered = _register_unimportable_modules(flow)
    try:
        payload = cloudpickle.dumps(flow)
    except Exception as exc:  # pickling raises TypeError, PicklingError, AttributeError, ...
        raise FlowSerializationError(_explain_unpicklable(flow, exc)) from exc
    finally:
        for name in registered:
            cloudpickle.unregister_pickle_by_value(sys.modules[name])
    return base64.b64encode(payload).decode("ascii")


def _register_unimportable_modules(flow: Flow) -> list[str]:
    """Make cloudpickle pickle by value the task code of modules nothing else could import."""
    import cloudpickle

    already = set(cloudpickle.list_registry_pickle_by_value())
    registered: list[str] = []
    for task in flow.tasks:
        run = task.__dict__.get("run")
        for obj in (run, type(task)):
            name = getattr(obj, "__module__", None)
            module = sys.modules.get(name) if isinstance(name, str) else None
            if (
                module is None
                or name == "__main__"
                or name in already
                or name in registered
                or name in sys.builtin_module_names
                or not _is_unimportable(module)
            ):
                continue
            cloudpickle.register_pickle_by_value(module)
            registered.append(name)
    return registered


def _is_unimportable(module: types.ModuleType) -> bool:
    # a module made at run time (types.ModuleType, exec'd notebook code) has no spec or no file
    spec = getattr(module, "__spec__", None)
    return spec is None or (getattr(module, "__file__", None) is None and spec.origin is None)


# -- finding the unpicklable object ----------------------------------------------------------------
def _picklable(obj: Any) -> Exception | None:
    import cloudpickle

    try:
        cloudpickle.dumps(obj)
    except Exception as exc:  # any failure means "not picklable"; the caller reports it
        return exc
    return None


def _type_name(obj: Any) -> str:
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _explain_unpicklable(flow: Flow, exc: Exception) -> str:
    advice = (
        "The flow's code is pickled (cloudpickle) to travel with its registration, so tasks can't "
        "hold locks, open connections, sockets, files or generators: create such objects inside "
        "the task's function (or with a resource_manager) and pass only plain data between tasks."
    )
    for task in flow.sorted_tasks():
        slug = flow.slugs.get(task)
        if _picklable(task) is not None:
            path, culprit = _locate(task, [f"task {task.name!r}"], set(), 0)
            error = _picklable(culprit) or exc
            return (
                f"Task {task.name!r} (slug {slug!r}) of flow {flow.name!r} can't be registered: it "
                f"refers to a {_type_name(culprit)} object ({' → '.join(path)}) that can't be "
                f"pickled ({type(error).__name__}: {error}). {advice}"
            )
        for key, value in sorted(flow.constants.get(task, {}).items()):
            if _picklable(value) is not None:
                return (
                    f"Task {task.name!r} (slug {slug!r}) of flow {flow.name!r} can't be "
                    f"registered: its argument {key!r} is a {_type_name(value)} object that can't "
                    f"be pickled. {advice}"
                )
    for name, value in sorted(vars(flow).items()):
        if _picklable(value) is not None:
            path, culprit = _locate(value, [f"flow.{name}"], set(), 0)
            return (
                f"Flow {flow.name!r} can't be registered: {' → '.join(path)} is a "
                f"{_type_name(culprit)} object that can't be pickled ({type(exc).__name__}: "
                f"{exc}). {advice}"
            )
    return f"Flow {flow.name!r} can't be pickled for registration ({type(exc).__name__}: {exc}). {advice}"


def _locate(obj: Any, path: list[str], seen: set[int], depth: int) -> tuple[list[str], Any]:
    """The deepest unpicklable object inside ``obj`` (which can't be pickled), and the way to it."""
    if depth >= _MAX_DEPTH:
        return path, obj
    for label, child in _children(obj):
        if id(child) in seen:
            continue
        seen.add(id(child))
        if _picklable(child) is not None:
            return _locate(child, [*path, label], seen, depth + 1)
    return path, obj


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    from prefect_jupyter.core.task import Task

    if isinstance(obj, types.FunctionType):
        yield from _function_children(obj)
    elif isinstance(obj, types.MethodType):
        yield f"method {obj.__func__.__qualname__}", obj.__func__
        yield "its instance", obj.__self__
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield f"[{key!r}]", value
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for i, value in enumerate(obj):
            yield f"item {i}", value
    elif isinstance(obj, (type, types.ModuleType)):
        return
    else:
        attributes = getattr(obj, "__dict__", None)
        if isinstance(attributes, dict):
            for name, value in attributes.items():
                label = f"function {value.__qualname__}" if (
                    isinstance(obj, Task) and name == "run" and isinstance(value, types.FunctionType)
                ) else f"attribute `{name}`"
                yield label, value


def _function_children(fn: types.FunctionType) -> Iterator[tuple[str, Any]]:
    code = fn.__code__
    for name, cell in zip(code.co_freevars, fn.__closure__ or (), strict=False):
        try:
            yield f"closure variable `{name}`", cell.cell_contents
        except ValueError:  # an empty cell
            continue
    for name in sorted(global_names(code)):
        if name in fn.__globals__:
            yield f"global `{name}`", fn.__globals__[name]
    for i, value in enumerate(fn.__defaults__ or ()):
        yield f"default {i}", value
    for name, value in (fn.__kwdefaults__ or {}).items():
        yield f"default `{name}`", value


# -- loading ---------------------------------------------------------------------------------------
def unpickle_flow(name: str | None, storage: dict[str, Any]) -> Any:
    """The object pickled in ``storage["flow"]`` (base64), checked against the versions that made it
    (``python_version``, ``cloudpickle_version`` and ``prefect_version``, where known).

    Raises:
        FlowLoadError: ``An error occurred while unpickling ...`` with the error, then the
            missing module or the versions that differ, when either may be the cause.
    """
    import cloudpickle

    from prefect_jupyter import __version__

    theirs = {
        "python": storage.get("python_version"),
        "cloudpickle": storage.get("cloudpickle_version"),
        "prefect": storage.get("prefect_version"),
    }
    ours = {"python": platform.python_version(), "cloudpickle": cloudpickle.__version__, "prefect": __version__}
    which = f"flow {name!r}" if name else "the flow"
    if theirs["python"] and str(theirs["python"]).split(".")[:2] != ours["python"].split(".")[:2]:
        minor = ".".join(str(theirs["python"]).split(".")[:2])
        raise FlowLoadError(
            f"An error occurred while unpickling {which}: it was pickled by Python {theirs['python']} "
            f"and this process runs Python {ours['python']}. Code pickled by value only loads on the "
            f"same Python version: run it with Python {minor}, or register the flow again from this Python."
        )
    try:
        return cloudpickle.loads(base64.b64decode(storage["flow"]))
    except Exception as exc:  # a missing module, a broken or incompatible pickle: say what may be why
        lines = [f"An error occurred while unpickling {which}:", f"  {type(exc).__name__}: {exc}"]
        if isinstance(exc, ImportError):
            module = f"the module {exc.name!r}" if exc.name else "a module"
            lines.append(
                "This may be due to a missing Python module in your current environment: its code "
                f"imports {module}, which is not installed here. Install it where the flow runs (or "
                "put it on PYTHONPATH)."
            )
        differ = [
            f"  - {key}: (flow built with {str(value)!r}, currently running with {ours[key]!r})"
            for key, value in theirs.items()
            if value and str(value) != ours[key]
        ]
        if differ:
            lines.append(
                "This may be due to one of the following version mismatches between the flow build "
                "and execution environments (install the same versions, or register the flow again "
                "from here):"
            )
            lines.extend(differ)
        raise FlowLoadError("\n".join(lines)) from exc
