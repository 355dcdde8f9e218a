"""The graph a user builds: ``Task``, ``Flow``, ``Parameter`` and ``Edge``."""

from prefect_jupyter.core.edge import Edge
from prefect_jupyter.core.flow import Flow
from prefect_jupyter.core.parameter import DateTimeParameter, Parameter
from prefect_jupyter.core.task import Task

__all__ = ["Task", "Flow", "Parameter", "DateTimeParameter", "Edge"]
