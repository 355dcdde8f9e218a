"""Prefect 1's ``prefect.utilities.importtools``: objects named by dotted paths, and modules
loaded on first use."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

__all__ = ["import_object", "lazy_import"]


def import_object(name: str) -> Any:
    """The module or object a dotted path names: ``"random"``, ``"random.randint"``,
    ``"prefect_jupyter.hello_world"`` (a submodule its package does not import itself).

    Raises:
        ImportError: no module of the path can be imported.
        AttributeError: the module has no such attribute.
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        module_name, _, attr = name.rpartition(".")
        if not module_name:
            raise
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise AttributeError(f"Could not import {name!r}: module {module_name!r} has no attribute {attr!r}.") from None


def lazy_import(name: str, globals: dict[str, Any] | None = None, locals: dict[str, Any] | None = None) -> types.ModuleType:
    """The module ``name``, imported when one of its attributes is first read (its own import
    errors surface then)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
