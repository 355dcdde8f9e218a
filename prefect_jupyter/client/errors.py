"""The errors the API client raises (Prefect 1's names where it had them)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ClientError",
    "AuthorizationError",
    "ServerConnectionError",
    "ObjectNotFoundError",
    "VersionLockMismatchError",
]


class ClientError(Exception):
    """The server refused a request, or could not be reached; the message says why.

    Attributes:
        errors: the GraphQL errors the server returned (``[]`` when there were none).
        codes: their ``extensions.code`` values, e.g. ``["NOT_FOUND"]``.
    """

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])
        self.codes = [
            str((e.get("extensions") or {}).get("code"))
            for e in self.errors
            if isinstance(e, dict) and (e.get("extensions") or {}).get("code")
        ]


class AuthorizationError(ClientError):
    """The server wants an API token (HTTP 401): none was sent, or the wrong one."""


class ServerConnectionError(ClientError):
    """The server could not be reached (refused, timed out, or the connection dropped)."""


class ObjectNotFoundError(ClientError):
    """An id or name the server knows nothing about."""


class VersionLockMismatchError(ClientError):
    """A state write based on an older version of the run: another writer got there first."""
