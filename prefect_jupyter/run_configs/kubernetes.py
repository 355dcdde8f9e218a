"""``KubernetesRun``: Prefect 1's run config for its Kubernetes agent (kept for registration)."""

from __future__ import annotations

from collections.abc import Iterable

from prefect_jupyter.run_configs.base import RunConfig, is_local_path, load_local_yaml

__all__ = ["KubernetesRun"]

IMAGE_PULL_POLICIES = ("Always", "IfNotPresent", "Never")


class KubernetesRun(RunConfig):
    """Run the flow as a Kubernetes job (a Prefect 1 Kubernetes agent's run config).

    A ``job_template_path`` on this machine is read now (the template travels with the
    registration); a remote one (``s3://``, ``gcs://``, ``https://``) is left for the agent.

    Args:
        job_template_path: a YAML job template, local or remote.
        job_template: a job template, as a dict or YAML text.
        image: the image to run (default: the agent's).
        env: extra environment variables for the job's container.
        cpu_limit: CPU limit, e.g. ``"2"`` or ``"500m"`` (numbers are written as text).
        cpu_request: CPU request, likewise.
        memory_limit: memory limit, e.g. ``"4G"``.
        memory_request: memory request, likewise.
        service_account_name: the service account the job runs as.
        image_pull_secrets: names of the secrets for pulling the image.
        labels: labels an agent must have to pick the flow's runs.
        image_pull_policy: ``"Always"``, ``"IfNotPresent"`` or ``"Never"``.

    Raises:
        ValueError: for both ``job_template_path`` and ``job_template``, an unreadable local
            template, or an unknown ``image_pull_policy``.
    """

    def __init__(
        self,
        *,
        job_template_path: str | None = None,
        job_template: str | dict | None = None,
        image: str | None = None,
        env: dict | None = None,
        cpu_limit: float | str | None = None,
        cpu_request: float | str | None = None,
        memory_limit: str | None = None,
        memory_request: str | None = None,
        service_account_name: str | None = None,
        image_pull_secrets: Iterable[str] | None = None,
        labels: Iterable[str] | None = None,
        image_pull_policy: str | None = None,
    ) -> None:
        super().__init__(env=env, labels=labels)
        if job_template_path is not None and job_template is not None:
            raise ValueError("Cannot provide both `job_template_path` and `job_template`")
        if image_pull_policy is not None and image_pull_policy not in IMAGE_PULL_POLICIES:
            raise ValueError(
                f"Invalid image_pull_policy {image_pull_policy!r}.  "
                "Expected 'Always', 'IfNotPresent', or 'Never'"
            )
        if job_template_path is not None and is_local_path(job_template_path):
            job_template = load_local_yaml(job_template_path, "job_template_path", "KubernetesRun")
            job_template_path = None
        elif isinstance(job_template, str):
            import yaml

            job_template = yaml.safe_load(job_template)
        self.job_template_path = job_template_path
        self.job_template = job_template
        self.image = image
        self.cpu_limit = None if cpu_limit is None else str(cpu_limit)
        self.cpu_request = None if cpu_request is None else str(cpu_request)
        self.memory_limit = memory_limit
        self.memory_request = memory_request
        self.service_account_name = service_account_name
        self.image_pull_secrets = None if image_pull_secrets is None else list(image_pull_secrets)
        self.image_pull_policy = image_pull_policy
