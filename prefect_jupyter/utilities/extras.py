"""The one message for a feature whose optional dependencies (an extra) are missing.

Every integration's third-party libraries are an extra of the package (``pip install
"prefect_jupyter[aws]"``). Task-library modules import them at their top through `require`, so a
missing library fails at import with the extra to install rather than deep inside a run; result
types (``GCSResult``, ...) call it on first use, so that ``engine.results`` imports without them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtraError", "missing_extra_message", "require"]


class MissingExtraError(ImportError):
    """A task-library module (or result type) needs an extra that is not installed."""


def missing_extra_message(feature: str, extra: str, cause: str | None = None) -> str:
    """The message naming ``feature``, the ``extra`` that provides its libraries and the cause."""
    why = f" ({cause})" if cause else ""
    return (
        f'Using `{feature}` requires prefect_jupyter to be installed with the "{extra}" extra'
        f'{why}: pip install "prefect_jupyter[{extra}]"'
    )


def require(module: str, *, feature: str, extra: str) -> ModuleType:
    """Import ``module`` or raise `MissingExtraError` naming ``feature`` and ``extra``.

    Args:
        module: the third-party module to import, e.g. ``"boto3"``.
        feature: what needs it, as the user knows it, e.g. ``"prefect_jupyter.tasks.aws"`` or
            ``"GCSResult"``.
        extra: the extra that installs it, e.g. ``"aws"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            missing_extra_message(feature, extra, f"no module named {module!r}")
        ) from exc
