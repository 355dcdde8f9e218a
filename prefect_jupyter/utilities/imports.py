"""Importing objects named by dotted paths (as configuration does)."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.utilities.importtools import import_object as _import_object


def import_object(name: str) -> Any:
    """The object at ``"package.module.attr"`` (or the module ``"package.module"``).

    Unlike Prefect 1's :func:`~prefect_jupyter.utilities.importtools.import_object`, a missing
    attribute is an ``ImportError`` too: configuration reports one kind of error for a bad path.

    Raises:
        ImportError: naming the path and what could not be found.
    """
    try:
        return _import_object(name)
    except AttributeError as exc:
        raise ImportError(str(exc)) from None
    except ImportError as exc:
        raise ImportError(f"Could not import {name!r}: {exc}") from exc
