"""Run configs: how and where an agent runs a registered flow (Prefect 1's ``prefect.run_configs``).

Set one on a flow (``flow.run_config = LocalRun(env={"KEY": "v"}, working_dir="/data")``); it is
registered with the flow, its ``labels`` are added to the flow's labels, and an agent that can
execute it picks the flow's runs. This project's local agent executes ``LocalRun`` and
``UniversalRun``; ``DockerRun``, ``KubernetesRun``, ``ECSRun`` and ``VertexRun`` keep Prefect 1's
arguments, validation and serialization so that flows written for those agents register and
round-trip unchanged.

Example:
    >>> from prefect_jupyter.run_configs import LocalRun
    >>> LocalRun(env={"STAGE": "dev"}, labels=["gpu"]).labels
    {'gpu'}
"""

from prefect_jupyter.run_configs.base import RunConfig, UniversalRun
from prefect_jupyter.run_configs.docker import DockerRun
from prefect_jupyter.run_configs.ecs import ECSRun
from prefect_jupyter.run_configs.kubernetes import KubernetesRun
from prefect_jupyter.run_configs.local import LocalRun
from prefect_jupyter.run_configs.vertex import VertexRun

__all__ = [
    "DockerRun",
    "ECSRun",
    "KubernetesRun",
    "LocalRun",
    "RunConfig",
    "UniversalRun",
    "VertexRun",
]
