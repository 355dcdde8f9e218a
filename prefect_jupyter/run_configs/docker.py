"""``DockerRun``: Prefect 1's run config for its Docker agent (kept for registration)."""

from __future__ import annotations

from collections.abc import Iterable

from prefect_jupyter.run_configs.base import RunConfig

__all__ = ["DockerRun"]


class DockerRun(RunConfig):
    """Run the flow in a Docker container (a Prefect 1 Docker agent's run config).

    This project has no Docker agent: the config registers and round-trips unchanged, and the
    local agent refuses runs that need it.

    Args:
        image: the image to run (default: the agent's).
        env: extra environment variables for the container.
        labels: labels an agent must have to pick the flow's runs.
        ports: container ports to expose.
        host_config: Docker host configuration (``docker.APIClient.create_host_config`` kwargs).
    """

    def __init__(
        self,
        *,
        image: str | None = None,
        env: dict | None = None,
        labels: Iterable[str] | None = None,
        ports: Iterable[int] | None = None,
        host_config: dict | None = None,
    ) -> None:
        super().__init__(env=env, labels=labels)
        self.image = image
        self.host_config = host_config
        self.ports = ports
