"""``LocalExecutor`` at its deprecated path (see :mod:`prefect_jupyter.engine.executors`)."""

from prefect_jupyter.engine.executors._moved import Moved
from prefect_jupyter.executors import LocalExecutor as _LocalExecutor

__all__ = ["LocalExecutor"]


class LocalExecutor(Moved, _LocalExecutor):
    """:class:`prefect_jupyter.executors.LocalExecutor`; warns that it moved."""
