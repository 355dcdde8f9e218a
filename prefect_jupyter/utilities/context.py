"""Prefect 1's path for the context: ``prefect_jupyter.utilities.context.context``."""

from prefect_jupyter.context import Context, context

__all__ = ["Context", "context"]
