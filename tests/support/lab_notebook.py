"""A notebook in JupyterLab, driven from Playwright: open one, run all its cells.

Plain functions, shared by the browser tests (through the ``open_notebook`` and
``run_all_cells`` fixtures of tests/browser/conftest.py) and the browser benchmarks
(tests/benchmarks/widget_scale.py). A failure raises :class:`NotebookError` (an
``AssertionError``, so pytest reports it as a failed check) after saving a screenshot.
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Callable
from typing import Any

from support.browser import Console
from support.jupyter_server import JupyterServer

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


class NotebookError(AssertionError):
    """The notebook printed to stderr, raised, broke the page or did not finish in time."""


def forget_open_notebooks(lab: JupyterServer) -> None:
    """Let the next page see only the notebook it opens: Lab would reopen the earlier tabs from
    its saved workspace (their cells would match the locators), and their kernels are shut
    down."""
    for path in pathlib.Path(lab.env["JUPYTERLAB_WORKSPACES_DIR"]).glob("*"):
        path.unlink()
    kernels = lab.request("GET", "/api/kernels").body
    for kernel in kernels if isinstance(kernels, list) else []:
        lab.request("DELETE", f"/api/kernels/{kernel['id']}")


def open_notebook(lab: JupyterServer, page: Any, name: str, cells: list[str]) -> None:
    """Write a notebook of code ``cells`` to the lab's root dir as ``name``, open it in
    ``page`` and wait until its kernel is idle (nothing is run yet)."""
    import nbformat

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


def run_all_cells(
    lab: JupyterServer, page: Any, console: Console, artifacts: pathlib.Path, timeout: float,
    while_busy: Callable[[], Any] | None = None, shot: str = "run-timeout",
) -> None:
    """Run every cell of the open notebook and wait (up to ``timeout`` s) until every cell
    has run, failing at once on stderr or error outputs and page errors. ``while_busy`` (if
    given) is called about every 100 ms while cells run."""
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    deadline = time.monotonic() + timeout
    while True:
        lab.check_alive()
        status = page.evaluate(NOTEBOOK_STATUS)
        if status["stderr"] or status["errors"]:
            page.screenshot(path=artifacts / f"{shot}-output.png", full_page=True)
            raise NotebookError("stderr or error output in the notebook:\n"
                                + "\n---\n".join(status["stderr"] + status["errors"]))
        if console.errors:
            raise NotebookError("page errors:\n" + "\n".join(console.errors))
        if status["done"]:
            return
        if while_busy is not None:
            while_busy()
        if time.monotonic() > deadline:
            page.screenshot(path=artifacts / f"{shot}.png", full_page=True)
            raise NotebookError(f"the notebook did not finish within {timeout} s")
        time.sleep(0.1)
