"""Prefect 1's ``prefect.engine.cloud.flow_runner`` path for ``CloudFlowRunner`` (in ``backend/``)."""

from prefect_jupyter.engine.cloud import __getattr__  # noqa: F401 (the name resolves lazily)

__all__ = ["CloudFlowRunner"]  # noqa: F822
