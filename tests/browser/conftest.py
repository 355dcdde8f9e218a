"""Fixtures for the notebook browser tests: a throwaway JupyterLab server and headless Chromium.

The server and the page come from the shared test support (tests/support: JupyterLab on
127.0.0.1 with a free port, a random token and every Jupyter dir in a temp dir, stopped by PID;
Debian's /usr/bin/chromium driven by Python Playwright). Screenshots, the browser console log
and the server log go to ``tests/artifacts/browser/`` (gitignored).
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
from support import lab_notebook
from support.browser import Console
from support.jupyter_server import JupyterServer


@pytest.fixture(scope="module")
def lab(jupyter_factory: Any) -> JupyterServer:
    """JupyterLab (this venv's Python) in a temp dir, stopped by PID after the module."""
    return jupyter_factory("jupyterlab", ["--LabApp.expose_app_in_browser=True"], "jupyterlab.log")


@pytest.fixture
def open_notebook(lab: JupyterServer, page: Any) -> Any:
    """A function that writes a notebook of code ``cells`` to the lab's root dir as ``name``,
    opens it in the page and waits until its kernel is idle (nothing is run yet)."""
    return lambda name, cells: lab_notebook.open_notebook(lab, page, name, cells)


@pytest.fixture
def run_all_cells(
    lab: JupyterServer, page: Any, console: Console, artifacts: pathlib.Path
) -> Any:
    """A function that runs every cell of the open notebook and waits (up to ``timeout`` s)
    until every cell has run, failing at once on stderr or error outputs and page errors.
    ``while_busy`` (if given) is called about every 100 ms while cells run."""

    def run(timeout: float, while_busy: Any = None, shot: str = "run-timeout") -> None:
        lab_notebook.run_all_cells(lab, page, console, artifacts, timeout, while_busy, shot)

    return run
