"""``ExecuteNotebook``: run a Jupyter notebook with papermill (extra ``notebook-tasks``)."""

from prefect_jupyter.tasks.jupyter.jupyter import ExecuteNotebook

__all__ = ["ExecuteNotebook"]
