"""Executors: where task runs execute — here, on local cores through Dask, or on a Dask cluster.

Dask itself is imported only when a Dask executor starts."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.executors.base import Executor
from prefect_jupyter.executors.dask import DaskExecutor
from prefect_jupyter.executors.local import LocalExecutor
from prefect_jupyter.executors.local_dask import LocalDaskExecutor

__all__ = ["Executor", "LocalExecutor", "LocalDaskExecutor", "DaskExecutor", "default_executor"]


def default_executor() -> Any:
    """A new instance of the configured ``engine.executor.default_class``."""
    from prefect_jupyter.configuration import config
    from prefect_jupyter.utilities.imports import import_object

    cls_path = config.engine.executor.default_class
    cls = import_object(cls_path) if isinstance(cls_path, str) else cls_path
    return cls()
