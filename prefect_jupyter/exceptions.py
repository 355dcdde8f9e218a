"""The exception types of prefect_jupyter, at Prefect 1's path (``prefect.exceptions``).

Two families, as in Prefect 1:

* **Signals** derive from ``BaseException`` (:class:`PrefectSignal`), so that a user's
  ``except Exception`` inside a task can't swallow them: the state signals of
  :mod:`prefect_jupyter.engine.signals`, :class:`TaskTimeoutSignal` and
  :class:`VersionLockMismatchSignal`.
* **Errors** derive from :class:`PrefectException`: the client's errors (:class:`ClientError`
  and its subclasses, which :mod:`prefect_jupyter.client` raises) and :class:`FlowStorageError`
  (a flow's storage can't give the flow back).

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
    "TaskTimeoutSignal",
    "VersionLockMismatchSignal",
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


class ClientError(PrefectException):
    """The server refused a request, or could not be reached; the message says why.

    Args:
        message: what went wrong.
        errors: the GraphQL errors the server returned, if any.

    Attributes:
        errors: the GraphQL errors the server returned (``[]`` when there were none).
        codes: their ``extensions.code`` values, e.g. ``["NOT_FOUND"]``.
    """

    def __init__(self, message: str = "", errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])
        self.codes = [
            str((e.get("extensions") or {}).get("code"))
            for e in self.errors
            if isinstance(e, dict) and (e.get("extensions") or {}).get("code")
        ]


class ObjectNotFoundError(ClientError):
    """An id or name the server knows nothing about."""


class AuthorizationError(ClientError):
    """The server wants an API token (HTTP 401): none was sent, or the wrong one."""


class FlowStorageError(PrefectException):
    """A flow can't be loaded from (or added to) its storage; the message names what is missing."""
