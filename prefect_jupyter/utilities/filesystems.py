"""Paths that may be local files or remote objects (Prefect 1's ``prefect.utilities.filesystems``).

:func:`parse_path` splits ``[scheme://][netloc]path`` (Windows paths with a drive letter are
local files); :func:`read_bytes_from_path` reads local files (``file://``, ``local://``,
``agent://`` or no scheme), ``http(s)://`` URLs and ``s3://bucket/key`` objects (boto3).

Example:
    >>> parse_path("s3://bucket/jobs/template.yaml")
    ParsedPath(scheme='s3', netloc='bucket', path='/jobs/template.yaml')
"""

from __future__ import annotations

import io
import os
from typing import NamedTuple
from urllib.parse import urlparse

__all__ = ["ParsedPath", "parse_path", "read_bytes_from_path"]


class ParsedPath(NamedTuple):
    """A path's parts: ``scheme`` (``"file"`` for local paths), ``netloc`` and ``path``."""

    scheme: str
    netloc: str
    path: str


def parse_path(path: str) -> ParsedPath:
    """Split ``path`` into scheme, netloc and path; local paths get the scheme ``"file"``."""
    if os.path.splitdrive(path)[0]:
        return ParsedPath("file", "", path)
    parsed = urlparse(path)
    scheme = parsed.scheme if parsed.scheme not in ("", "local") else "file"
    return ParsedPath(scheme, parsed.netloc or "", parsed.path or "")


def read_bytes_from_path(path: str) -> bytes:
    """The bytes at ``path``: a local file, an ``http(s)`` URL, or an ``s3://`` object.

    Raises:
        ValueError: for another scheme (``gcs://`` needs Google's client, not provided here).
        OSError: when a local file can't be read.
    """
    parsed = parse_path(path)
    if parsed.scheme in ("file", "agent"):
        with open(parsed.path, "rb") as f:
            return f.read()
    if parsed.scheme in ("http", "https"):
        import urllib.request

        with urllib.request.urlopen(path) as response:  # noqa: S310 - the scheme is checked
            return response.read()
    if parsed.scheme == "s3":
        from prefect_jupyter.utilities.aws import get_boto_client

        stream = io.BytesIO()
        get_boto_client("s3").download_fileobj(
            Bucket=parsed.netloc, Key=parsed.path.lstrip("/"), Fileobj=stream
        )
        return stream.getvalue()
    raise ValueError(
        f"Unsupported file scheme {path}: use a local path, http(s)://, or s3:// "
        "(gcs:// needs Google's client, which prefect_jupyter does not provide)."
    )
