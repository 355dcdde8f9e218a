"""``LocalRun``: run the flow as a process on the local agent's machine."""

from __future__ import annotations

import os
from collections.abc import Iterable

from prefect_jupyter.run_configs.base import RunConfig

__all__ = ["LocalRun"]


class LocalRun(RunConfig):
    """Run the flow in a local process, with extra environment variables and a working directory.

    Args:
        env: extra environment variables for the flow run's process.
        working_dir: the directory the flow runs in (made absolute here; default: the agent's).
        labels: labels an agent must have to pick the flow's runs.

    Example:
        >>> flow.run_config = LocalRun(env={"STAGE": "dev"}, working_dir="/data", labels=["etl"])
    """

    def __init__(
        self,
        *,
        env: dict | None = None,
        working_dir: str | os.PathLike[str] | None = None,
        labels: Iterable[str] | None = None,
    ) -> None:
        super().__init__(env=env, labels=labels)
        self.working_dir = None if working_dir is None else os.path.abspath(working_dir)
