"""Prefect 1's ``prefect.engine.cloud.task_runner`` path for ``CloudTaskRunner``, which lives in
``backend/cloud_runners.py`` (imported when the name is first used)."""

__all__ = ["CloudTaskRunner"]  # noqa: F822 (given by __getattr__)


def __getattr__(name: str):
    if name == "CloudTaskRunner":
        from prefect_jupyter.backend.cloud_runners import CloudTaskRunner

        return CloudTaskRunner
    raise AttributeError(name)
