"""The errors the API client raises: the one error vocabulary of the client side.

Every failure of a request is a :class:`ClientError`, and falls in one of two kinds that callers
act on differently:

* :class:`ServerUnavailable` — the server could not take the request *now*: it could not be
  reached (:class:`ServerConnectionError`), it answered HTTP 5xx, or it said its database is
  unavailable (HTTP 503, or a GraphQL error whose code is in :data:`RETRYABLE_CODES`). The
  request was not carried out (or, for a dropped connection, may have been); sending it again
  later is right. The run reporter and the agent keep such writes and retry them with backoff.
* :class:`WriteRejected` — the server answered and refused: a stale version
  (:class:`VersionLockMismatchError`), a transition it does not allow, invalid input, an id it
  does not know (:class:`ObjectNotFoundError`), a missing token (:class:`AuthorizationError`).
  Sending the same request again is pointless; callers log it and move on.

:func:`error_for` sorts a response's GraphQL errors into these classes (Prefect 1's names where
it had them). The classes are defined in :mod:`prefect_jupyter.exceptions` (Prefect 1's home for
them), so that code below the client can raise and catch them; this module names the same ones.
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.exceptions import (
    AuthorizationError,
    ClientError,
    ObjectNotFoundError,
    ServerConnectionError,
    ServerUnavailable,
    VersionLockMismatchError,
    WriteRejected,
)

__all__ = [
    "RETRYABLE_CODES",
    "AuthorizationError",
    "ClientError",
    "ObjectNotFoundError",
    "ServerConnectionError",
    "ServerUnavailable",
    "VersionLockMismatchError",
    "WriteRejected",
    "error_for",
]

#: GraphQL error codes that mean "not now" rather than "no": the request did not take effect
#: because the server or its database could not serve it, and may be sent again
RETRYABLE_CODES = frozenset({
    "DATABASE_UNAVAILABLE", "DATABASE_ERROR", "SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR",
})


def error_for(message: str, errors: list[dict[str, Any]] | None, status: int | None) -> ClientError:
    """The error for a response with GraphQL ``errors`` (or none) and HTTP ``status``.

    HTTP 5xx and retryable codes make a :class:`ServerUnavailable` (also when other errors come
    with them: the request as a whole did not take effect); the rest a :class:`WriteRejected`
    subclass named by its code.
    """
    probe = ClientError(message, errors, status)
    codes = set(probe.codes)
    if (status is not None and status >= 500) or codes & RETRYABLE_CODES:
        return ServerUnavailable(message, errors, status)
    if status == 401 or "UNAUTHENTICATED" in codes:
        return AuthorizationError(message, errors, status)
    if codes & {"VERSION_CONFLICT", "VERSION_LOCKING_ERROR"}:
        return VersionLockMismatchError(message, errors, status)
    if "NOT_FOUND" in codes:
        return ObjectNotFoundError(message, errors, status)
    return WriteRejected(message, errors, status)
