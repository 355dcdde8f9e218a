"""Shared test fixtures: every test starts with a clean context (no flow, no caches)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from prefect_jupyter import context

# tests/support: Chromium page, Jupyter servers and JupyterLab, IPython shell (one copy each)
pytest_plugins = ["support.plugin"]


@pytest.fixture(autouse=True)
def clean_context() -> Iterator[None]:
    """Give each test a fresh process context; the overlay restores everything afterwards."""
    with context():
        for key in ("flow", "caches", "case", "resource", "tags", "mapped"):
            context.pop(key, None)
        yield
