"""Fixtures for the notebook-layer tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def restore_main_module() -> Iterator[None]:
    """Put ``sys.modules["__main__"]`` back after a module that used an InteractiveShell.

    IPython's shell swaps in its own ``__main__``; spawned worker processes (Dask, the
    ``processes`` scheduler) started by later tests need the real one.
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main
