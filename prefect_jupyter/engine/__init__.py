"""Execution: states, signals, runners, results and the state-event stream."""

from __future__ import annotations

import warnings
from typing import Any

from prefect_jupyter.engine import signals, state
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.engine.task_runner import TaskRunner

__all__ = [
    "state",
    "signals",
    "FlowRunner",
    "TaskRunner",
    "get_default_executor_class",
    "get_default_flow_runner_class",
    "get_default_task_runner_class",
]


def _configured_class(section: str, default: Any) -> Any:
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
    from prefect_jupyter.executors import LocalExecutor

    return _configured_class("executor", LocalExecutor)


def get_default_flow_runner_class() -> type:
    """The flow runner class of ``config.engine.flow_runner.default_class``."""
    from prefect_jupyter.engine import flow_runner

    return _configured_class("flow_runner", flow_runner.FlowRunner)


def get_default_task_runner_class() -> type:
    """The task runner class of ``config.engine.task_runner.default_class``."""
    from prefect_jupyter.engine import task_runner

    return _configured_class("task_runner", task_runner.TaskRunner)
