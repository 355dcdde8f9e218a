"""``ExecuteNotebook``: execute a notebook with parameters in a kernel, return it rendered.

papermill injects the parameters after the cell tagged ``parameters`` and runs every cell in the
chosen kernel; nbconvert renders the executed notebook (``"notebook"``/``"json"``, ``"html"``,
``"markdown"``, ...).

Beyond Prefect 1: the executed notebook is always written somewhere — ``output_path`` if given,
else a temporary file that is kept only when the notebook fails — and a failing notebook fails
the task with a message naming the failing cell, its error and where the executed notebook is, so
it can be opened at the cell that raised.

Example:
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.tasks.jupyter import ExecuteNotebook
    >>> report = ExecuteNotebook("report.ipynb", output_format="html", output_path="out/report.ipynb")
    >>> with Flow("reports") as flow:
    ...     html = report(parameters={"region": "EU"})
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.engine import signals
from prefect_jupyter.utilities.extras import require
from prefect_jupyter.utilities.tasks import defaults_from_attrs

_FEATURE = "prefect_jupyter.tasks.jupyter"
papermill = require("papermill", feature=_FEATURE, extra="notebook-tasks")
nbconvert = require("nbconvert", feature=_FEATURE, extra="notebook-tasks")

__all__ = ["ExecuteNotebook"]


def failed_cell_message(exc: Any, path: str, executed_at: str) -> str:
    """One line naming the notebook, the failing cell (counted from 1, in the executed
    notebook), its error and where the executed copy is."""
    source = (exc.source or "").strip().splitlines()
    first_line = f" `{source[0][:80]}`" if source else ""
    return (
        f"Notebook {path!r} failed in cell {exc.cell_index + 1} (In [{exc.exec_count}]){first_line}: "
        f"{exc.ename}: {exc.evalue}. The executed notebook is at {executed_at}"
    )


class ExecuteNotebook(Task):
    """Execute a notebook and return it rendered in ``output_format``.

    Args:
        path: the notebook to run (a local path or any URL papermill reads).
        parameters: values injected after the cell tagged ``parameters``.
        log_output: log the cells' outputs as they run (through papermill's logger).
        output_format: ``"notebook"`` (or ``"json"``: the notebook's JSON), ``"html"``,
            ``"markdown"``, ``"script"``, ... any nbconvert exporter.
        exporter_kwargs: passed to the nbconvert exporter, e.g. ``{"exclude_input": True}``.
        kernel_name: the kernel to run in (default: the notebook's own kernelspec).
        output_path: where to write the executed notebook (an extension over Prefect 1).
        **kwargs: passed on to `Task`.
    """

    def __init__(
        self,
        path: str | None = None,
        parameters: dict | None = None,
        log_output: bool = False,
        output_format: str = "notebook",
        exporter_kwargs: dict | None = None,
        kernel_name: str | None = None,
        output_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.path = path
        self.parameters = parameters
        self.log_output = log_output
        self.output_format = output_format
        self.exporter_kwargs = exporter_kwargs
        self.kernel_name = kernel_name
        self.output_path = output_path
        super().__init__(**kwargs)

    @defaults_from_attrs("path", "parameters", "output_format", "exporter_kwargs", "output_path")
    def run(
        self,
        path: str | None = None,
        parameters: dict | None = None,
        output_format: str | None = None,
        exporter_kwargs: dict | None = None,
        output_path: str | None = None,
    ) -> str:
        """Execute the notebook and render it.

        Returns:
            The executed notebook in ``output_format``, as a string.

        Raises:
            ValueError: no notebook path was given, or ``output_format`` is unknown.
            FileNotFoundError: the notebook does not exist.
            FAIL: a cell raised; the message names the cell, the error and the executed copy.
        """
        if not path:
            raise ValueError("ExecuteNotebook needs the path of the notebook to run (`path`).")
        if "://" not in str(path) and not os.path.exists(path):
            raise FileNotFoundError(f"ExecuteNotebook: no notebook at {str(path)!r}.")
        fmt = "notebook" if output_format in (None, "json") else output_format
        exporter = self._exporter(fmt)
        executed_at = output_path or _scratch_path(str(path))
        try:
            notebook = papermill.execute_notebook(
                str(path), executed_at, parameters=parameters or {},
                kernel_name=self.kernel_name, log_output=self.log_output, progress_bar=False,
            )
        except papermill.PapermillExecutionError as exc:
            message = failed_cell_message(exc, str(path), executed_at)
            self.logger.error(message)
            raise signals.FAIL(message, result=exc) from None
        if output_path:
            self.logger.info(f"Executed notebook written to {output_path}")
        else:
            Path(executed_at).unlink(missing_ok=True)
        body, _resources = nbconvert.export(exporter, notebook, **(exporter_kwargs or {}))
        return body

    @staticmethod
    def _exporter(fmt: str) -> Any:
        try:
            return nbconvert.get_exporter(fmt)
        except nbconvert.exporters.ExporterNameError as exc:
            known = ", ".join(sorted(nbconvert.get_export_names()))
            raise ValueError(
                f"Unknown output_format {fmt!r} for ExecuteNotebook; use one of: json, {known}."
            ) from exc


def _scratch_path(path: str) -> str:
    """A temporary place for the executed notebook (kept only if the notebook fails)."""
    directory = Path(tempfile.gettempdir()) / "prefect_jupyter-notebooks"
    directory.mkdir(parents=True, exist_ok=True)
    stem = Path(path.rstrip("/")).stem or "notebook"
    return str(directory / f"{stem}-{uuid.uuid4().hex[:8]}.ipynb")
