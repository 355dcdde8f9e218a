"""Prefect 1's ``prefect.engine.cloud.task_runner`` path for ``CloudTaskRunner`` (in ``backend/``)."""

from prefect_jupyter.engine.cloud import __getattr__  # noqa: F401 (the name resolves lazily)

__all__ = ["CloudTaskRunner"]  # noqa: F822
