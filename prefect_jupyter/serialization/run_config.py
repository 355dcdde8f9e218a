"""Prefect 1's ``prefect.serialization.run_config``: ``RunConfigSchema`` and one schema per run config.

They are defined beside the run configs (:mod:`prefect_jupyter.run_configs.schema`), so that
``RunConfig.serialize()`` needs nothing from this package; this module names them at Prefect 1's path.
"""

from __future__ import annotations

from prefect_jupyter.run_configs.schema import (
    DockerRunSchema,
    ECSRunSchema,
    KubernetesRunSchema,
    LocalRunSchema,
    RunConfigSchema,
    RunConfigSchemaBase,
    UniversalRunSchema,
    VertexRunSchema,
)

__all__ = [
    "DockerRunSchema",
    "ECSRunSchema",
    "KubernetesRunSchema",
    "LocalRunSchema",
    "RunConfigSchema",
    "RunConfigSchemaBase",
    "UniversalRunSchema",
    "VertexRunSchema",
]
