"""``S3Download``, ``S3Upload`` and ``S3List``: objects in an S3 bucket.

Example:
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.tasks.aws import S3Download, S3Upload
    >>> upload = S3Upload(bucket="reports")
    >>> download = S3Download(bucket="reports")
    >>> with Flow("s3") as flow:
    ...     key = upload(data="a,b\\n1,2\\n", key="daily.csv", compression="gzip")
    ...     text = download(key=key, compression="gzip")
"""

from __future__ import annotations

import datetime
import gzip
import io
import uuid
from typing import Any

from dateutil import parser as date_parser

from prefect_jupyter.core.task import Task
from prefect_jupyter.utilities.tasks import defaults_from_attrs

__all__ = ["S3Download", "S3List", "S3Upload"]


def _client(task: _S3Task, credentials: dict | None) -> Any:
    from prefect_jupyter.utilities.aws import get_boto_client

    return get_boto_client("s3", credentials=credentials, **task.boto_kwargs)


def _check_compression(compression: str | None) -> None:
    if compression not in (None, "gzip"):
        raise ValueError(f"Unrecognized compression method '{compression}'; use 'gzip' or None.")


def _require_bucket(bucket: str | None) -> str:
    if bucket is None:
        raise ValueError("A bucket name must be provided (at initialization or at run time).")
    return bucket


class _S3Task(Task):
    def __init__(self, bucket: str | None = None, boto_kwargs: dict | None = None, **kwargs: Any) -> None:
        self.bucket = bucket
        self.boto_kwargs = boto_kwargs or {}
        super().__init__(**kwargs)


class S3Download(_S3Task):
    """Download an object from S3.

    Args:
        bucket: the bucket (may also be given at run time).
        boto_kwargs: passed to the boto3 client, e.g. ``{"endpoint_url": ...}``.
        **kwargs: passed on to `Task`.
    """

    @defaults_from_attrs("bucket")
    def run(
        self,
        key: str,
        credentials: dict | None = None,
        bucket: str | None = None,
        compression: str | None = None,
        as_bytes: bool = False,
    ) -> str | bytes:
        """Download ``key``.

        Args:
            key: the object's key.
            credentials: AWS credentials (see the module docs).
            bucket: the bucket.
            compression: ``"gzip"`` to decompress the object.
            as_bytes: return bytes instead of UTF-8 text.

        Raises:
            ValueError: no bucket, or an unknown compression.
            botocore.exceptions.ClientError: the object or bucket does not exist, or access
                is denied.
        """
        bucket = _require_bucket(bucket)
        _check_compression(compression)
        stream = io.BytesIO()
        _client(self, credentials).download_fileobj(Bucket=bucket, Key=key, Fileobj=stream)
        payload = stream.getvalue()
        if compression == "gzip":
            payload = gzip.decompress(payload)
        return payload if as_bytes else payload.decode()


class S3Upload(_S3Task):
    """Upload text or bytes to S3.

    Args:
        bucket: the bucket (may also be given at run time).
        boto_kwargs: passed to the boto3 client.
        upload_options: ``ExtraArgs`` for ``upload_fileobj`` (``{"ContentType": ...}``).
        **kwargs: passed on to `Task`.
    """

    def __init__(
        self, bucket: str | None = None, boto_kwargs: dict | None = None, *,
        upload_options: dict | None = None, **kwargs: Any,
    ) -> None:
        self.upload_options = upload_options
        super().__init__(bucket=bucket, boto_kwargs=boto_kwargs, **kwargs)

    @defaults_from_attrs("bucket", "upload_options")
    def run(
        self,
        data: str | bytes,
        key: str | None = None,
        credentials: dict | None = None,
        bucket: str | None = None,
        compression: str | None = None,
        upload_options: dict | None = None,
    ) -> str:
        """Upload ``data`` under ``key`` (a new UUID when not given) and return the key.

        Raises:
            ValueError: no bucket, or an unknown compression.
        """
        bucket = _require_bucket(bucket)
        _check_compression(compression)
        payload = data.encode() if isinstance(data, str) else data
        if compression == "gzip":
            payload = gzip.compress(payload)
        key = key if key is not None else str(uuid.uuid4())
        _client(self, credentials).upload_fileobj(
            io.BytesIO(payload), Bucket=bucket, Key=key, ExtraArgs=upload_options
        )
        return key


class S3List(_S3Task):
    """List the keys in a bucket under a prefix.

    Args:
        bucket: the bucket (may also be given at run time).
        boto_kwargs: passed to the boto3 client.
        **kwargs: passed on to `Task`.
    """

    @defaults_from_attrs("bucket")
    def run(
        self,
        prefix: str,
        delimiter: str = "",
        page_size: int | None = None,
        max_items: int | None = None,
        credentials: dict | None = None,
        bucket: str | None = None,
        last_modified_begin: str | None = None,
        last_modified_end: str | None = None,
    ) -> list[str]:
        """Return the keys under ``prefix``.

        Args:
            prefix: the key prefix (``""`` for all).
            delimiter: group keys up to this character (``"/"`` lists one "directory").
            page_size: keys per request.
            max_items: stop after this many keys.
            credentials: AWS credentials.
            bucket: the bucket.
            last_modified_begin: only objects modified at or after this date/time (ISO 8601).
            last_modified_end: only objects modified at or before this date/time.

        Raises:
            ValueError: no bucket, or an unparsable date.
        """
        bucket = _require_bucket(bucket)
        begin, end = _as_utc(last_modified_begin), _as_utc(last_modified_end)
        pages = _client(self, credentials).get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix, Delimiter=delimiter,
            PaginationConfig={"PageSize": page_size, "MaxItems": max_items},
        )
        keys = []
        for page in pages:
            for obj in page.get("Contents") or []:
                modified = obj.get("LastModified")
                if (begin and modified < begin) or (end and modified > end):
                    continue
                keys.append(obj["Key"])
        return keys


def _as_utc(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    when = date_parser.isoparse(text)
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)
