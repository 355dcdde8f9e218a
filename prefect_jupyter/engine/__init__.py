"""Execution: states, signals, runners, results and the state-event stream."""

from __future__ import annotations

from prefect_jupyter.engine import signals, state
from prefect_jupyter.engine.defaults import (
    configured_class,
    get_default_executor_class,
    get_default_task_runner_class,
)
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


def get_default_flow_runner_class() -> type:
    """The flow runner class of ``config.engine.flow_runner.default_class``."""
    from prefect_jupyter.engine import flow_runner

    return configured_class("flow_runner", flow_runner.FlowRunner)
