"""Control flow: ``case`` blocks, ``switch``/``ifelse`` branches, ``merge`` and ``FilterTask``."""

from prefect_jupyter.tasks.control_flow.case import case
from prefect_jupyter.tasks.control_flow.conditional import ifelse, merge, switch
from prefect_jupyter.tasks.control_flow.filter import FilterTask

__all__ = ["case", "switch", "ifelse", "merge", "FilterTask"]
