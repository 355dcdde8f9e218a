"""``ECSRun``: Prefect 1's run config for its ECS agent (kept for registration)."""

from __future__ import annotations

from collections.abc import Iterable

from prefect_jupyter.run_configs.base import RunConfig, is_local_path, load_local_yaml

__all__ = ["ECSRun"]


class ECSRun(RunConfig):
    """Run the flow as an AWS ECS task (a Prefect 1 ECS agent's run config).

    A ``task_definition_path`` on this machine is read now; a remote one is left for the agent.

    Args:
        task_definition: an ECS task definition, as a dict.
        task_definition_path: a YAML task definition, local or remote.
        task_definition_arn: the ARN of a registered task definition.
        image: the image to run (not with ``task_definition_arn``).
        env: extra environment variables for the task's container.
        cpu: CPU units, e.g. ``"1 vcpu"`` or ``1024`` (written as text).
        memory: memory, e.g. ``"2 GB"`` or ``2048`` (written as text).
        task_role_arn: the IAM role the task's code runs as.
        execution_role_arn: the IAM role ECS uses to start the task.
        run_task_kwargs: extra arguments for ECS ``run_task``.
        labels: labels an agent must have to pick the flow's runs.

    Raises:
        ValueError: for more than one task definition source, ``image`` with
            ``task_definition_arn``, or an unreadable local definition.
    """

    def __init__(
        self,
        *,
        task_definition: dict | None = None,
        task_definition_path: str | None = None,
        task_definition_arn: str | None = None,
        image: str | None = None,
        env: dict | None = None,
        cpu: int | str | None = None,
        memory: int | str | None = None,
        task_role_arn: str | None = None,
        execution_role_arn: str | None = None,
        run_task_kwargs: dict | None = None,
        labels: Iterable[str] | None = None,
    ) -> None:
        super().__init__(env=env, labels=labels)
        sources = (task_definition, task_definition_path, task_definition_arn)
        if sum(source is not None for source in sources) > 1:
            raise ValueError(
                "Can only provide one of `task_definition`, `task_definition_path`, "
                "or `task_definition_arn`"
            )
        if task_definition_arn is not None and image is not None:
            raise ValueError(
                "Cannot provide both `task_definition_arn` and `image`, since an ECS "
                "task's `image` can only be configured as part of the task definition"
            )
        if task_definition_path is not None and is_local_path(task_definition_path):
            task_definition = load_local_yaml(task_definition_path, "task_definition_path", "ECSRun")
            task_definition_path = None
        self.task_definition = task_definition
        self.task_definition_path = task_definition_path
        self.task_definition_arn = task_definition_arn
        self.image = image
        self.cpu = None if cpu is None else str(cpu)
        self.memory = None if memory is None else str(memory)
        self.task_role_arn = task_role_arn
        self.execution_role_arn = execution_role_arn
        self.run_task_kwargs = run_task_kwargs
