"""Run configs as JSON: ``RunConfigSchema``, also at Prefect 1's ``prefect.serialization.run_config``.

It lives beside the classes it describes, so that ``RunConfig.serialize()`` needs nothing from
``serialization/`` (which imports run configs, never the other way round).

Every run config dumps ``type`` (the class name), ``env``, sorted ``labels`` and its own fields.

Example:
    >>> RunConfigSchema().dump(LocalRun(labels=["b", "a"]))["labels"]
    ['a', 'b']
"""

from __future__ import annotations

from marshmallow import fields

from prefect_jupyter.run_configs.base import RunConfig, UniversalRun
from prefect_jupyter.run_configs.docker import DockerRun
from prefect_jupyter.run_configs.ecs import ECSRun
from prefect_jupyter.run_configs.kubernetes import KubernetesRun
from prefect_jupyter.run_configs.local import LocalRun
from prefect_jupyter.run_configs.vertex import VertexRun
from prefect_jupyter.utilities.serialization import (
    JSONCompatible,
    ObjectSchema,
    OneOfSchema,
    SortedList,
)

__all__ = ["RunConfigSchema"]


class RunConfigSchemaBase(ObjectSchema):
    """The fields of every run config."""

    env = fields.Dict(keys=fields.String(), allow_none=True)
    labels = SortedList(fields.String())


def _schema(cls: type[RunConfig], **own: fields.Field) -> type[ObjectSchema]:
    meta = type("Meta", (), {"object_class": cls})
    return type(f"{cls.__name__}Schema", (RunConfigSchemaBase,), {"Meta": meta, **own})


def _text() -> fields.Field:
    return fields.String(allow_none=True)


UniversalRunSchema = _schema(UniversalRun)
LocalRunSchema = _schema(LocalRun, working_dir=_text())
DockerRunSchema = _schema(
    DockerRun,
    ports=fields.List(fields.Int, allow_none=True),
    image=_text(),
    host_config=fields.Dict(keys=fields.String(), allow_none=True),
)
KubernetesRunSchema = _schema(
    KubernetesRun,
    job_template_path=_text(),
    job_template=JSONCompatible(allow_none=True),
    image=_text(),
    cpu_limit=_text(),
    cpu_request=_text(),
    memory_limit=_text(),
    memory_request=_text(),
    service_account_name=_text(),
    image_pull_secrets=fields.List(fields.String(), allow_none=True),
    image_pull_policy=_text(),
)
ECSRunSchema = _schema(
    ECSRun,
    task_definition_path=_text(),
    task_definition=JSONCompatible(allow_none=True),
    task_definition_arn=_text(),
    image=_text(),
    cpu=_text(),
    memory=_text(),
    task_role_arn=_text(),
    execution_role_arn=_text(),
    run_task_kwargs=JSONCompatible(allow_none=True),
)
VertexRunSchema = _schema(
    VertexRun,
    image=_text(),
    machine_type=_text(),
    scheduling=fields.Dict(keys=fields.String(), allow_none=True),
    service_account=_text(),
    network=_text(),
    worker_pool_specs=fields.List(
        fields.Dict(keys=fields.String(), allow_none=True), allow_none=True
    ),
)


class RunConfigSchema(OneOfSchema):
    """Any run config: ``type`` (the class name) picks the schema."""

    type_schemas = {
        schema.Meta.object_class.__name__: schema
        for schema in (
            KubernetesRunSchema, ECSRunSchema, LocalRunSchema, DockerRunSchema,
            UniversalRunSchema, VertexRunSchema,
        )
    }
