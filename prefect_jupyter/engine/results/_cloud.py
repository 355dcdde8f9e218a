"""Loading a cloud SDK for a result type, with the extra to install when it is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["cloud_module"]


def cloud_module(module: str, result_type: str, extra: str) -> ModuleType:
    """Import ``module`` for ``result_type``, or raise ImportError naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f'Using `{result_type}` requires prefect_jupyter to be installed with the "{extra}" '
            f'extra (no module named {module!r}): pip install "prefect_jupyter[{extra}]"'
        ) from exc
