"""Prefect 1's ``prefect.engine.cloud.flow_runner`` path for ``CloudFlowRunner``, which lives in
``backend/cloud_runners.py`` (imported when the name is first used)."""

__all__ = ["CloudFlowRunner"]  # noqa: F822 (given by __getattr__)


def __getattr__(name: str):
    if name == "CloudFlowRunner":
        from prefect_jupyter.backend.cloud_runners import CloudFlowRunner

        return CloudFlowRunner
    raise AttributeError(name)
