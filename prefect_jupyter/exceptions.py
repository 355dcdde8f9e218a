"""The exception types of prefect_jupyter, at Prefect 1's path (``prefect.exceptions``).

Two families, as in Prefect 1:

* **Signals** derive from ``BaseException`` (:class:`PrefectSignal`), so that a user's
  ``except Exception`` inside a task can't swallow them: the state signals of
  :mod:`prefect_jupyter.engine.signals`, :class:`TaskTimeoutSignal` and
  :class:`VersionLockMismatchSignal`.
* **Errors** derive from :class:`PrefectException`: the API client's errors (:class:`ClientError`
  and its two kinds, :class:`ServerUnavailable` — not now — and :class:`WriteRejected` — no —
  with Prefect 1's :class:`AuthorizationError` and :class:`ObjectNotFoundError`), and
  :class:`FlowStorageError` (a flow's storage can't give the flow back).

The client's errors are defined here, at the bottom of the import graph, as Prefect 1 did:
:mod:`prefect_jupyter.client.errors` names the same classes and sorts a server's answer into
them (``error_for``), so raising or catching them never needs the client.

Example:
    >>> from prefect_jupyter.exceptions import ClientError, PrefectException
    >>> issubclass(ClientError, PrefectException)
    True
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.engine.signals import PrefectSignal
from prefect_jupyter.engine.timeouts import TaskTimeoutSignal

__all__ = [
    "AuthorizationError",
    "ClientError",
    "FlowStorageError",
    "ObjectNotFoundError",
    "PrefectException",
    "PrefectSignal",
    "ServerConnectionError",
    "ServerUnavailable",
    "TaskTimeoutSignal",
    "VersionLockMismatchError",
    "VersionLockMismatchSignal",
    "WriteRejected",
]


class VersionLockMismatchSignal(PrefectSignal):
    """A state write was based on an older version of the run: another writer got there first."""


class PrefectException(Exception):
    """The base of every prefect_jupyter error.

    Args:
        message: what went wrong, and how to fix it.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)


class FlowStorageError(PrefectException):
    """A flow can't be loaded from (or added to) its storage; the message names what is missing."""



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
