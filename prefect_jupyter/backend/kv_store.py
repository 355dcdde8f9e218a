"""Prefect 1's key-value store functions (``prefect.backend.kv_store``).

The key-value store was a Prefect Cloud service; Prefect Server had none, and neither has this
project's server. As on Prefect Server, each function raises ``ClientError`` saying so, before
any request, so a flow written for Prefect Cloud imports and fails with the reason.
"""

from __future__ import annotations

from typing import Any, NoReturn

from prefect_jupyter.exceptions import ClientError

__all__ = ["delete_key", "get_key_value", "list_keys", "set_key_value"]

NON_CLOUD_BACKEND_ERROR_MESSAGE = (
    "The key-value store is a Prefect Cloud service, and this server (like Prefect Server) has "
    "none. Keep such values in a Parameter, a Secret (context.secrets), or a file or table "
    "your flows read."
)


def _unavailable() -> NoReturn:
    raise ClientError(NON_CLOUD_BACKEND_ERROR_MESSAGE)


def set_key_value(key: str, value: Any) -> str:
    """Store ``value`` under ``key`` (Prefect Cloud only: raises ``ClientError`` here)."""
    _unavailable()


def get_key_value(key: str) -> Any:
    """The value stored under ``key`` (Prefect Cloud only: raises ``ClientError`` here)."""
    _unavailable()


def delete_key(key: str) -> bool:
    """Delete ``key`` (Prefect Cloud only: raises ``ClientError`` here)."""
    _unavailable()


def list_keys() -> list[str]:
    """Every stored key (Prefect Cloud only: raises ``ClientError`` here)."""
    _unavailable()
