"""Core tasks: constants, collections, functions, operators and resource managers."""

from prefect_jupyter.tasks.core import collections, constants, function, operators, resource_manager

__all__ = ["collections", "constants", "function", "operators", "resource_manager"]
