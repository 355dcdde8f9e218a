"""Executors at their pre-1.0 path, ``prefect_jupyter.engine.executors`` (deprecated, as in Prefect 1).

Prefect 1.4.1 still shipped ``prefect.engine.executors``: the same executors as
:mod:`prefect_jupyter.executors`, warning on use that they moved. Flows written for it run
unchanged here; change the import to ``prefect_jupyter.executors`` to silence the warning.

Example:
    >>> from prefect_jupyter.engine.executors import LocalExecutor   # warns when instantiated
"""

from prefect_jupyter.engine.executors.dask import DaskExecutor, LocalDaskExecutor
from prefect_jupyter.engine.executors.local import LocalExecutor
from prefect_jupyter.executors.base import Executor

__all__ = ["DaskExecutor", "Executor", "LocalDaskExecutor", "LocalExecutor"]
