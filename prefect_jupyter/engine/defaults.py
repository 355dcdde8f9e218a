"""The classes a run uses when it is given none: ``config.engine.<kind>.default_class``.

Prefect 1's paths for these are ``prefect.engine.get_default_executor_class`` and
``get_default_task_runner_class``; :mod:`prefect_jupyter.engine` re-exports them. They live in
this module, below the runners, because the flow runner asks for them and the ``engine`` package
imports the flow runner (to re-export ``FlowRunner``); the flow runner's own default,
``get_default_flow_runner_class``, stays in the package.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["configured_class", "get_default_executor_class", "get_default_task_runner_class"]


def configured_class(section: str, default: Any) -> Any:
    """The class at ``config.engine.<section>.default_class`` (a class or a dotted path).

    A path Prefect 1 wrote (``prefect.executors.LocalDaskExecutor``) names this package's class.
    A path that cannot be imported warns and gives ``default``, as in Prefect 1.
    """
    from prefect_jupyter.configuration import config
    from prefect_jupyter.utilities.imports import import_object

    value = config.engine[section].get("default_class")
    if not isinstance(value, str):
        return value if value is not None else default
    candidates = [value]
    if value.startswith("prefect."):
        candidates.append("prefect_jupyter." + value[len("prefect."):])
    for path in candidates:
        try:
            return import_object(path)
        except ImportError:
            continue
    name = getattr(default, "__qualname__", repr(default))
    warnings.warn(
        f"Could not import {value!r}, set as config.engine.{section}.default_class; using "
        f"{name} instead. Fix the dotted path (e.g. "
        f"PREFECT_JUPYTER__ENGINE__{section.upper()}__DEFAULT_CLASS).",
        UserWarning,
        stacklevel=3,
    )
    return default


def get_default_executor_class() -> type:
    """The executor class ``flow.run()`` uses when none is given (``engine.executor``)."""
    # executors.local, not the executors package: the package also holds DaskExecutor, whose
    # task-run shipping knows the flow runner's ``run_task`` (the runners sit below it)
    from prefect_jupyter.executors.local import LocalExecutor

    return configured_class("executor", LocalExecutor)


def get_default_task_runner_class() -> type:
    """The task runner class of ``config.engine.task_runner.default_class``."""
    from prefect_jupyter.engine import task_runner

    return configured_class("task_runner", task_runner.TaskRunner)
