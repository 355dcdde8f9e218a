"""Fixtures for the notebook browser tests: a throwaway JupyterLab server and headless Chromium.

The server and the page come from the shared test support (tests/support: JupyterLab on
127.0.0.1 with a free port, a random token and every Jupyter dir in a temp dir, stopped by PID;
Debian's /usr/bin/chromium driven by Python Playwright). Screenshots, the browser console log
and the server log go to ``tests/artifacts/browser/`` (gitignored).
"""

from __future__ import annotations

import pathlib
import time
from typing import Any

import pytest
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
    import nbformat

    def open_(name: str, cells: list[str]) -> None:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nbformat.write(nb, str(lab.root / name))
        page.goto(lab.page_url(name))
        page.wait_for_function(
            "(n) => window.jupyterapp?.shell?.currentWidget?.sessionContext"
            " && document.querySelectorAll('.jp-Notebook .jp-Cell').length === n",
            arg=len(cells),
            timeout=45_000,
        )
        page.evaluate(
            """async () => {
              const w = window.jupyterapp.shell.currentWidget;
              await w.context.ready;
              await w.sessionContext.ready;
            }"""
        )
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status"
            " === 'idle'",
            timeout=30_000,
        )

    return open_


#: JS: whether every cell has run (a number in each prompt) and the stderr/error outputs so far
NOTEBOOK_STATUS = """() => ({
  done: [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')]
    .every((e) => /\\[\\d+\\]/.test(e.textContent)),
  stderr: [...document.querySelectorAll(
    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
    .map((e) => e.textContent),
  errors: [...document.querySelectorAll(
    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")]
    .map((e) => e.textContent),
})"""


@pytest.fixture
def run_all_cells(
    lab: JupyterServer, page: Any, console: Console, artifacts: pathlib.Path
) -> Any:
    """A function that runs every cell of the open notebook and waits (up to ``timeout`` s)
    until every cell has run, failing at once on stderr or error outputs and page errors.
    ``while_busy`` (if given) is called about every 100 ms while cells run."""

    def run(timeout: float, while_busy: Any = None, shot: str = "run-timeout") -> None:
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        deadline = time.monotonic() + timeout
        while True:
            lab.check_alive()
            status = page.evaluate(NOTEBOOK_STATUS)
            if status["stderr"] or status["errors"]:
                page.screenshot(path=artifacts / f"{shot}-output.png", full_page=True)
                pytest.fail("stderr or error output in the notebook:\n"
                            + "\n---\n".join(status["stderr"] + status["errors"]))
            if console.errors:
                pytest.fail("page errors:\n" + "\n".join(console.errors))
            if status["done"]:
                return
            if while_busy is not None:
                while_busy()
            if time.monotonic() > deadline:
                page.screenshot(path=artifacts / f"{shot}.png", full_page=True)
                pytest.fail(f"the notebook did not finish within {timeout} s")
            time.sleep(0.1)

    return run
