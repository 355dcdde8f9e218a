"""The exception types of prefect_jupyter, at Prefect 1's path (``prefect.exceptions``).

Two families, as in Prefect 1:

* **Signals** derive from ``BaseException`` (:class:`PrefectSignal`), so that a user's
  ``except Exception`` inside a task can't swallow them: the state signals of
  :mod:`prefect_jupyter.engine.signals`, :class:`TaskTimeoutSignal` and
  :class:`VersionLockMismatchSignal`.
* **Errors** derive from :class:`PrefectException`: the client's errors (:class:`ClientError`,
  :class:`AuthorizationError`, :class:`ObjectNotFoundError`: the very classes of
  :mod:`prefect_jupyter.client.errors`, loaded on first use) and :class:`FlowStorageError` (a
  flow's storage can't give the flow back).

Example:
    >>> from prefect_jupyter.exceptions import ClientError, PrefectException
    >>> issubclass(ClientError, PrefectException)
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect_jupyter.engine.signals import PrefectSignal
from prefect_jupyter.engine.timeouts import TaskTimeoutSignal

if TYPE_CHECKING:
    from prefect_jupyter.client.errors import AuthorizationError, ClientError, ObjectNotFoundError

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


class FlowStorageError(PrefectException):
    """A flow can't be loaded from (or added to) its storage; the message names what is missing."""


_CLIENT_ERRORS = ("AuthorizationError", "ClientError", "ObjectNotFoundError")


def __getattr__(name: str) -> Any:
    # The client's errors live with the client (its one error vocabulary) and derive from
    # PrefectException; importing them here lazily keeps this module free of the client.
    if name in _CLIENT_ERRORS:
        from prefect_jupyter.client import errors

        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
