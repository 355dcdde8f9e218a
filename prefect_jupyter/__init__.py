"""prefect_jupyter: Prefect 1's workflow engine, made for people who work in notebooks.

Example:
    >>> from prefect_jupyter import task, Flow, Parameter
    >>> @task(log_stdout=True)
    ... def say_hello(name):
    ...     print(f"Hello, {name}!")
    >>> with Flow("My First Flow") as flow:
    ...     name = Parameter("name")
    ...     say_hello(name)
    >>> state = flow.run(name="world")

Importing this package stays light: dask, graphviz, SQLAlchemy, IPython and pandas load only
when a feature that needs them is used.
"""

import prefect_jupyter.engine  # noqa: E402,F401
import prefect_jupyter.executors  # noqa: E402,F401
import prefect_jupyter.triggers  # noqa: E402,F401  (Prefect 1 path: prefect_jupyter.triggers)
import prefect_jupyter.utilities.logging  # noqa: E402,F401  (loaded by `import prefect` in Prefect 1)
from prefect_jupyter.configuration import config
from prefect_jupyter.context import context
from prefect_jupyter.core import DateTimeParameter, Edge, Flow, Parameter, Task
from prefect_jupyter.tasks.control_flow import case, ifelse, merge, switch
from prefect_jupyter.tasks.core.resource_manager import resource_manager
from prefect_jupyter.utilities.edges import flatten, mapped, unmapped
from prefect_jupyter.utilities.tasks import apply_map, tags, task

# ``prefect_jupyter.context`` is the context object (as ``prefect.context`` is), not the module.
context = context  # noqa: PLW0127

__version__ = "0.1.0"

__all__ = [
    "Task",
    "Flow",
    "Parameter",
    "DateTimeParameter",
    "Edge",
    "task",
    "tags",
    "unmapped",
    "mapped",
    "flatten",
    "apply_map",
    "case",
    "merge",
    "ifelse",
    "switch",
    "resource_manager",
    "context",
    "config",
    "triggers",
    "Client",
]


# Subpackages that `import prefect` loaded in Prefect 1, so `prefect.storage.Local` worked after a
# bare `import prefect`: here they load on first attribute access, keeping the import light.
_LAZY_SUBPACKAGES = frozenset(
    {"agent", "backend", "client", "exceptions", "run_configs", "schedules", "serialization", "storage", "tasks"}
)


def __getattr__(name: str) -> object:
    """``prefect_jupyter.Client`` (as ``prefect.Client``; it needs httpx) and the subpackages
    ``import prefect`` used to load, imported on first use."""
    if name == "Client":
        from prefect_jupyter.client import Client

        return Client
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"prefect_jupyter.{name}")
    raise AttributeError(f"module 'prefect_jupyter' has no attribute {name!r}")


def load_ipython_extension(ip: object) -> None:
    """``%load_ext prefect_jupyter``: register the ``%%task`` and ``%flow`` magics."""
    from prefect_jupyter.jupyter.extension import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip: object) -> None:
    """``%unload_ext prefect_jupyter``: remove the magics again."""
    from prefect_jupyter.jupyter.extension import unload_ipython_extension as unload

    unload(ip)
