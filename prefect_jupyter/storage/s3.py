"""``S3`` storage: flows pickled (or kept as scripts) in an S3 bucket."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage, default_key, not_contained

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["S3"]


class S3(Storage):
    """Keep flows in an S3 bucket (or any S3-compatible store, through ``client_options``).

    ``add_flow`` picks the key (``key``, else ``<flow-name>/<timestamp>``); ``build`` uploads
    the pickled flows — or, with ``stored_as_script``, the script at ``local_script_path`` —
    and ``get_flow`` downloads and loads. boto3 is needed (``pip install boto3``); its
    credentials come from boto3's own chain or the ``AWS_CREDENTIALS`` secret.

    Args:
        bucket: the bucket.
        key: the object key for the flow (default: ``<flow-name>/<timestamp>``).
        stored_as_script: the flow is kept as its ``.py`` script.
        local_script_path: the script to upload (default: ``context.local_script_path``).
        client_options: boto3 client arguments, e.g. ``{"endpoint_url": "http://..."}``.
        upload_options: ``ExtraArgs`` for the upload, e.g. ``{"ACL": "private"}``.
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.
    """

    def __init__(
        self,
        bucket: str,
        key: str | None = None,
        stored_as_script: bool = False,
        local_script_path: str | None = None,
        client_options: dict | None = None,
        upload_options: dict | None = None,
        **kwargs: Any,
    ) -> None:
        from prefect_jupyter.context import context
        from prefect_jupyter.engine.results import S3Result

        self.bucket = bucket
        self.key = key
        self.upload_options = upload_options
        self.local_script_path = local_script_path or context.get("local_script_path")
        self.client_options = client_options
        result = S3Result(bucket=bucket, boto3_kwargs=client_options)
        super().__init__(result=result, stored_as_script=stored_as_script, **kwargs)

    @property
    def _boto3_client(self) -> Any:
        from prefect_jupyter.utilities.aws import get_boto_client

        return get_boto_client("s3", **(self.client_options or {}))

    def add_flow(self, flow: Flow) -> str:
        """Record ``flow`` under its key (uploaded by :meth:`build`).

        Raises:
            ValueError: for a second flow of the same name.
        """
        return self._record(flow, self.key or default_key(flow.name))

    def build(self) -> S3:
        """Upload the flows added (pickled) or the script; returns the storage.

        Raises:
            ValueError: for a script without ``key``.
            prefect_jupyter.serialization.storage.FlowSerializationError: for a flow that
                can't be pickled.
        """
        from prefect_jupyter.utilities.storage import flow_to_bytes_pickle

        self.run_basic_healthchecks()
        client = self._boto3_client
        extra = self.upload_options or {}
        if self.stored_as_script:
            if not self.key:
                raise ValueError(
                    "S3 storage with stored_as_script=True needs `key`: the object key of the "
                    "flow's script in the bucket."
                )
            if self.local_script_path:
                self.logger.info("Uploading %s to s3://%s/%s", self.local_script_path, self.bucket, self.key)
                client.upload_file(self.local_script_path, self.bucket, self.key, ExtraArgs=extra)
            return self
        for name, flow in self._flows.items():
            key = self.flows[name]
            self.logger.info("Uploading flow %r to s3://%s/%s", name, self.bucket, key)
            client.upload_fileobj(
                io.BytesIO(flow_to_bytes_pickle(flow)), Bucket=self.bucket, Key=key, ExtraArgs=extra
            )
        return self

    def get_flow(self, flow_name: str) -> Flow:
        """Download the flow ``flow_name`` and load it.

        Raises:
            ValueError: if the flow is not in this storage.
            botocore.exceptions.ClientError: when the object can't be read (logged first).
        """
        from prefect_jupyter.utilities.storage import extract_flow_from_file, flow_from_bytes_pickle

        if flow_name not in self.flows:
            raise not_contained(flow_name)
        key = self.flows[flow_name]
        self.logger.info("Downloading flow from s3://%s/%s", self.bucket, key)
        try:
            answer = self._boto3_client.get_object(Bucket=self.bucket, Key=key)
            body = answer["Body"]
            try:
                data = body.read()
            finally:
                body.close()
        except Exception as exc:  # boto3's errors are many; say which object, then re-raise
            self.logger.error("Error downloading flow from s3://%s/%s: %s", self.bucket, key, exc)
            raise
        modified = answer.get("LastModified")
        self.logger.info(
            "Flow successfully downloaded. ETag: %s, LastModified: %s, VersionId: %s",
            answer.get("ETag"), modified.isoformat() if modified else None, answer.get("VersionId"),
        )
        if self.stored_as_script:
            return extract_flow_from_file(file_contents=data, flow_name=flow_name)
        return flow_from_bytes_pickle(data)
