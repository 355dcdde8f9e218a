"""Storage objects as JSON: ``StorageSchema`` (Prefect 1's ``prefect.serialization.storage``).

Importable as ``prefect_jupyter.serialization.storage.StorageSchema`` (Prefect 1's path); it
lives beside the storage classes, so that ``Storage.serialize()`` needs nothing from
``serialization/``, and in its own module, so that registering a flow doesn't need marshmallow. Every storage
dumps ``type`` (its class name), ``flows`` (name → location), ``secrets`` and its own fields;
secrets' values and credentials never appear. A loaded ``Local`` storage doesn't create its
directory (it may be another machine's).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load

from prefect_jupyter.storage.azure import Azure
from prefect_jupyter.storage.base import Storage
from prefect_jupyter.storage.bitbucket import Bitbucket
from prefect_jupyter.storage.codecommit import CodeCommit
from prefect_jupyter.storage.docker import Docker
from prefect_jupyter.storage.gcs import GCS
from prefect_jupyter.storage.git import Git
from prefect_jupyter.storage.github import GitHub
from prefect_jupyter.storage.gitlab import GitLab
from prefect_jupyter.storage.local import Local
from prefect_jupyter.storage.module import Module
from prefect_jupyter.storage.s3 import S3
from prefect_jupyter.storage.webhook import Webhook
from prefect_jupyter.utilities.serialization import JSONCompatible, ObjectSchema, OneOfSchema

__all__ = ["StorageSchema"]


class BaseStorageSchema(ObjectSchema):
    """The fields of every storage."""

    class Meta:
        object_class = Storage

    flows = fields.Dict(keys=fields.Str(), values=fields.Str())
    secrets = fields.List(fields.Str(), allow_none=True)

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """The storage, with the flows (name → location) it held."""
        data = dict(data)
        flows = data.pop("flows", {})
        storage = super().create_object(data, **kwargs)
        if isinstance(storage, Storage):
            storage.flows = flows
        elif isinstance(storage, dict):
            storage["flows"] = flows
        return storage


def _schema(cls: type[Storage], base: type = BaseStorageSchema, **own: Any) -> type[ObjectSchema]:
    meta = type("Meta", (), {"object_class": cls})
    return type(f"{cls.__name__}Schema", (base,), {"Meta": meta, **own})


def _text(required: bool = False) -> fields.Field:
    return fields.String(allow_none=not required)


def _flag() -> fields.Field:
    return fields.Bool(allow_none=True)


def _options() -> fields.Field:
    return fields.Dict(keys=fields.Str(), values=JSONCompatible(), allow_none=True)


class LocalSchema(BaseStorageSchema):
    """``Local``: its directory and path; loaded without creating the directory."""

    class Meta:
        object_class = Local

    directory = fields.Str(allow_none=False)
    path = fields.Str(allow_none=True)
    stored_as_script = fields.Bool(allow_none=True)

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """The ``Local`` storage, built with ``validate=False``."""
        return super().create_object({"validate": False, **data}, **kwargs)


AzureSchema = _schema(
    Azure, container=_text(True), connection_string_secret=_text(), blob_name=_text(),
    stored_as_script=_flag(),
)
DockerSchema = _schema(
    Docker, registry_url=_text(), image_name=_text(), image_tag=_text(), path=_text(),
    stored_as_script=_flag(), prefect_version=_text(True),
)
GCSSchema = _schema(GCS, bucket=_text(True), key=_text(), project=_text(), stored_as_script=_flag())
S3Schema = _schema(
    S3, bucket=_text(True), key=_text(), stored_as_script=_flag(), client_options=_options()
)
GitHubSchema = _schema(
    GitHub, repo=_text(True), ref=_text(), path=_text(True), access_token_secret=_text(),
    base_url=_text(),
)
GitLabSchema = _schema(
    GitLab, repo=_text(True), path=_text(), host=_text(), ref=_text(), access_token_secret=_text()
)
BitbucketSchema = _schema(
    Bitbucket, project=_text(True), repo=_text(True), workspace=_text(), host=_text(),
    path=_text(), ref=_text(), access_token_secret=_text(), cloud_username_secret=_text(),
    cloud_app_password_secret=_text(),
)
CodeCommitSchema = _schema(
    CodeCommit, repo=_text(True), path=_text(), commit=_text(), client_options=_options()
)
WebhookSchema = _schema(
    Webhook,
    build_request_kwargs=fields.Dict(keys=fields.Str, allow_none=False),
    build_request_http_method=_text(True),
    get_flow_request_kwargs=fields.Dict(keys=fields.Str, allow_none=False),
    get_flow_request_http_method=_text(True),
    stored_as_script=_flag(),
)
GitSchema = _schema(
    Git, flow_path=_text(True), repo=_text(), repo_host=_text(True), flow_name=_text(),
    git_token_secret_name=_text(), git_token_username=_text(),
    git_clone_url_secret_name=_text(), branch_name=_text(), tag=_text(), commit=_text(),
    clone_depth=fields.Integer(allow_none=True), use_ssh=fields.Boolean(allow_none=False),
    format_access_token=fields.Boolean(allow_none=False),
)
# Prefect 1 has no `attribute`: it travels inside `module` as "package.module:attribute"
ModuleSchema = _schema(
    Module, module=fields.Function(lambda storage: storage.module_str, lambda value: value)
)


class StorageSchema(OneOfSchema):
    """Any storage: ``type`` (the class name) picks the schema."""

    type_schemas = {
        "Storage": BaseStorageSchema,
        **{
            schema.Meta.object_class.__name__: schema
            for schema in (
                AzureSchema, BitbucketSchema, CodeCommitSchema, DockerSchema, GCSSchema,
                GitHubSchema, GitLabSchema, LocalSchema, ModuleSchema, S3Schema, WebhookSchema,
                GitSchema,
            )
        },
    }
