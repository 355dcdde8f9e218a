"""Execution: states, signals, runners, results and the state-event stream."""

from prefect_jupyter.engine import signals, state
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.engine.task_runner import TaskRunner

__all__ = ["state", "signals", "FlowRunner", "TaskRunner"]
