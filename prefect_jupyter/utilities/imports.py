"""Importing objects named by dotted paths (as configuration does)."""

from __future__ import annotations

import importlib
from typing import Any


def import_object(name: str) -> Any:
    """The object at ``"package.module.attr"``.

    Raises:
        ImportError: naming the path and what could not be found.
    """
    module_name, _, attr = name.rpartition(".")
    if not module_name:
        raise ImportError(f"{name!r} is not a dotted path like 'package.module.Object'.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"Could not import {name!r}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(f"Could not import {name!r}: module {module_name!r} has no {attr!r}.") from None
