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
it had them).
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.exceptions import PrefectException

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


class ClientError(PrefectException):
    """The server refused a request, or could not be reached; the message says why.

    Attributes:
        errors: the GraphQL errors the server returned (``[]`` when there were none).
        codes: their ``extensions.code`` values, e.g. ``["NOT_FOUND"]``.
        status: the HTTP status of the answer (``None`` when there was none).
    """

    def __init__(
        self, message: str, errors: list[dict[str, Any]] | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.errors = list(errors or [])
        self.status = status
        self.codes = [
            str((e.get("extensions") or {}).get("code"))
            for e in self.errors
            if isinstance(e, dict) and (e.get("extensions") or {}).get("code")
        ]


class ServerUnavailable(ClientError):
    """The server could not take the request now (unreachable, 5xx, database unavailable).

    The request did not take effect — except after a connection dropped mid-request, when it
    may have: a writer that must know checks the run's version. Send it again later.
    """


class ServerConnectionError(ServerUnavailable):
    """The server could not be reached (refused, timed out, or the connection dropped)."""


class WriteRejected(ClientError):
    """The server answered and refused the request; sending it again unchanged is pointless."""


class AuthorizationError(WriteRejected):
    """The server wants an API token (HTTP 401): none was sent, or the wrong one."""


class ObjectNotFoundError(WriteRejected):
    """An id or name the server knows nothing about."""


class VersionLockMismatchError(WriteRejected):
    """A state write based on an older version of the run: another writer got there first."""


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
