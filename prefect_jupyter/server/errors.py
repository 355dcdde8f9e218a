"""The errors the server's API raises; each becomes one GraphQL error with a ``code``.

Messages name the cause and the fix. The GraphQL layer turns an :class:`ApiError` into
``{"message": str(error), "extensions": {"code": error.code}}``; anything else that escapes a
resolver is an internal error and is logged with its traceback.
"""

from __future__ import annotations


class ApiError(Exception):
    """Base class: a request the server understood but refuses."""

    code = "BAD_REQUEST"


class NotFound(ApiError):
    """An id (or name) that names nothing."""

    code = "NOT_FOUND"


class InvalidInput(ApiError):
    """Input that is well-formed GraphQL but makes no sense (unknown parameter, bad state...)."""

    code = "BAD_USER_INPUT"


class InvalidTransition(ApiError):
    """A state change the transition table does not allow."""

    code = "INVALID_TRANSITION"


class StaleVersion(ApiError):
    """A write based on an older version of a run than the current one."""

    code = "VERSION_CONFLICT"


class Conflict(ApiError):
    """A write that collides with existing rows (a duplicate name, a concurrent change)."""

    code = "CONFLICT"


class DatabaseUnavailable(ApiError):
    """The database cannot serve requests right now (gone, unreadable, unreachable, locked).

    Answered with HTTP 503 and code ``DATABASE_UNAVAILABLE``: the request changed nothing and
    may be retried once the database is back. The message names the cause without the SQL or
    its parameters (those go to the server's log).
    """

    code = "DATABASE_UNAVAILABLE"
    status = 503
