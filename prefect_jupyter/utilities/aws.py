"""boto3 clients for the AWS tasks and `S3Result` (extra ``aws``).

Credentials come, in order, from the ``credentials`` argument, the ``AWS_CREDENTIALS`` secret in
context (a dict with ``ACCESS_KEY``, ``SECRET_ACCESS_KEY`` and optionally ``SESSION_TOKEN``),
explicit ``aws_access_key_id``-style keyword arguments, and finally boto3's own chain
(environment, ``~/.aws``, instance roles).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from prefect_jupyter.context import context
from prefect_jupyter.utilities.extras import require

boto3 = require("boto3", feature="prefect_jupyter.tasks.aws", extra="aws")

__all__ = ["get_boto_client"]

# Creating a boto3 client is not thread-safe and costs a little; clients themselves are
# thread-safe, so live ones are shared between tasks with the same settings.
_CLIENT_CACHE: weakref.WeakValueDictionary[tuple, Any] = weakref.WeakValueDictionary()
_LOCK = threading.Lock()


def _credentials(credentials: dict | None, kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
    # the explicit keyword arguments always leave `kwargs` (they are passed once, below); the
    # credentials dict, when it has a value, wins over them
    explicit = [kwargs.pop(name, None) for name in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")]
    given = credentials or (context.get("secrets") or {}).get("AWS_CREDENTIALS") or {}
    names = ("ACCESS_KEY", "SECRET_ACCESS_KEY", "SESSION_TOKEN")
    key_id, secret, token = (given.get(name) or value for name, value in zip(names, explicit, strict=True))
    return key_id, secret, token


def get_boto_client(
    resource: str,
    credentials: dict | None = None,
    region_name: str | None = None,
    profile_name: str | None = None,
    **kwargs: Any,
) -> Any:
    """A boto3 client for ``resource`` (``"s3"``, ...).

    Args:
        resource: the AWS service name.
        credentials: ``{"ACCESS_KEY": ..., "SECRET_ACCESS_KEY": ..., "SESSION_TOKEN": ...}``.
        region_name: the region (boto3's default otherwise).
        profile_name: a profile from ``~/.aws/config``.
        **kwargs: passed to ``client()``, e.g. ``endpoint_url`` for an S3-compatible server.
            ``botocore_session`` selects a botocore session.

    Returns:
        The client (shared with other callers using the same settings and no extra kwargs).
    """
    kwargs = dict(kwargs)
    kwargs.pop("use_session", None)  # accepted for Prefect 1 compatibility; sessions are inferred
    botocore_session = kwargs.pop("botocore_session", None)
    key_id, secret, token = _credentials(credentials, kwargs)
    cache_key = (profile_name, region_name, id(botocore_session), resource, key_id, secret, token)
    with _LOCK:
        if not kwargs and cache_key in _CLIENT_CACHE:
            return _CLIENT_CACHE[cache_key]
        factory: Any = boto3
        if profile_name or botocore_session:
            factory = boto3.session.Session(
                profile_name=profile_name, region_name=region_name,
                botocore_session=botocore_session,
            )
        client = factory.client(
            resource,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            region_name=region_name,
            **kwargs,
        )
        if not kwargs:
            _CLIENT_CACHE[cache_key] = client
    return client
