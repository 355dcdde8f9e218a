"""Dask executors at their deprecated path (see :mod:`prefect_jupyter.engine.executors`)."""

from prefect_jupyter.engine.executors._moved import Moved
from prefect_jupyter.executors import DaskExecutor as _DaskExecutor
from prefect_jupyter.executors import LocalDaskExecutor as _LocalDaskExecutor

__all__ = ["DaskExecutor", "LocalDaskExecutor"]


class DaskExecutor(Moved, _DaskExecutor):
    """:class:`prefect_jupyter.executors.DaskExecutor`; warns that it moved."""


class LocalDaskExecutor(Moved, _LocalDaskExecutor):
    """:class:`prefect_jupyter.executors.LocalDaskExecutor`; warns that it moved."""
