"""``VertexRun``: Prefect 1's run config for its Vertex AI agent (kept for registration)."""

from __future__ import annotations

from collections.abc import Iterable

from prefect_jupyter.run_configs.base import RunConfig

__all__ = ["VertexRun"]


class VertexRun(RunConfig):
    """Run the flow as a Vertex AI custom job (a Prefect 1 Vertex agent's run config).

    Args:
        env: extra environment variables for the job.
        labels: labels an agent must have to pick the flow's runs.
        image: the image to run (default: the agent's).
        machine_type: the machine type of the job's worker (default ``"e2-standard-4"``).
        scheduling: the job's scheduling settings (Vertex ``Scheduling``).
        service_account: the service account the job runs as.
        network: the VPC network of the job.
        worker_pool_specs: full worker pool specs (override ``image``/``machine_type``).
    """

    def __init__(
        self,
        *,
        env: dict | None = None,
        labels: Iterable[str] | None = None,
        image: str | None = None,
        machine_type: str = "e2-standard-4",
        scheduling: dict | None = None,
        service_account: str | None = None,
        network: str | None = None,
        worker_pool_specs: list[dict] | None = None,
    ) -> None:
        super().__init__(env=env, labels=labels)
        self.image = image
        self.machine_type = machine_type
        self.scheduling = scheduling
        self.service_account = service_account
        self.network = network
        self.worker_pool_specs = worker_pool_specs
