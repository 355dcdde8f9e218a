"""``S3Result``: task outputs stored as objects in an S3 bucket (extra ``aws``: boto3)."""

from __future__ import annotations

import io
from typing import Any

from prefect_jupyter.engine.result.base import Result, render_location

__all__ = ["S3Result"]


class S3Result(Result):
    """A result stored as an object in an S3 bucket; the location is the object's key.

    The boto3 client is made on first use (and not pickled with the result), with credentials
    from the ``AWS_CREDENTIALS`` secret in context or boto3's own chain.

    Args:
        bucket: the bucket.
        boto3_kwargs: passed to the client, e.g. ``{"endpoint_url": "http://127.0.0.1:9000"}``
            for an S3-compatible server, or ``{"region_name": ...}``.
        upload_options: ``ExtraArgs`` for uploads (``{"ServerSideEncryption": "AES256"}``).
        **kwargs: `Result` arguments (``location``, ``serializer``, ...).

    Example:
        >>> from prefect_jupyter import task
        >>> @task(result=S3Result(bucket="results", location="{flow_name}/{task_name}.pkl"))
        ... def load():
        ...     return [1, 2, 3]
    """

    def __init__(
        self,
        bucket: str,
        boto3_kwargs: dict[str, Any] | None = None,
        upload_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.bucket = bucket
        self.boto3_kwargs = boto3_kwargs or {}
        self.upload_options = upload_options or {}
        super().__init__(**kwargs)

    @property
    def client(self) -> Any:
        """The boto3 S3 client (made on first use)."""
        if getattr(self, "_client", None) is None:
            from prefect_jupyter.utilities.aws import get_boto_client

            self._client = get_boto_client("s3", **self.boto3_kwargs)
        return self._client

    @client.setter
    def client(self, value: Any) -> None:
        self._client = value

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_client", None)
        return state

    def __setstate__(self, state: dict) -> None:
        state.setdefault("boto3_kwargs", {})
        state.setdefault("upload_options", {})
        self.__dict__.update(state)

    def write(self, value_: Any, **kwargs: Any) -> Result:
        """Serialize ``value_`` and upload it to the location formatted with ``kwargs``.

        Returns:
            A new result with ``value`` and the concrete ``location`` (the key).
        """
        new = self.format(**kwargs)
        payload = self.serializer.serialize(value_)
        self.logger.debug("Uploading result to s3://%s/%s", self.bucket, new.location)
        self.client.upload_fileobj(
            io.BytesIO(payload), Bucket=self.bucket, Key=new.location, ExtraArgs=self.upload_options
        )
        new.value = value_
        return new

    def read(self, location: str) -> Result:
        """Download and deserialize the object at ``location``.

        Raises:
            botocore.exceptions.ClientError: the object does not exist or access is denied.
        """
        self.logger.debug("Downloading result from s3://%s/%s", self.bucket, location)
        stream = io.BytesIO()
        self.client.download_fileobj(Bucket=self.bucket, Key=location, Fileobj=stream)
        new = self.copy()
        new.location = location
        payload = stream.getvalue()
        new.value = self.serializer.deserialize(payload) if payload else None
        return new

    def exists(self, location: str, **kwargs: Any) -> bool:
        """Whether an object exists at ``location`` formatted with ``kwargs``."""
        from botocore.exceptions import ClientError

        key = render_location(location, **kwargs)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def _identity(self) -> dict[str, Any]:
        return {**super()._identity(), "bucket": self.bucket}
