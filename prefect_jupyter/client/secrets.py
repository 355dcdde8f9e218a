"""Secrets: named values read at run time, never stored with the flow (Prefect 1's ``Secret``).

A secret's value is looked up when ``Secret(name).get()`` is called, in this order:

1. ``prefect_jupyter.context.secrets[name]`` — filled from the ``[context.secrets]`` table of the
   configuration, from ``PREFECT_JUPYTER__CONTEXT__SECRETS__<NAME>`` environment variables (the
   case of NAME is kept), or set by hand (``prefect_jupyter.context.secrets["KEY"] = "value"``,
   or ``with prefect_jupyter.context(secrets={...}):``);
2. with ``backend = "cloud"`` and ``cloud.use_local_secrets = false`` only: the backend's
   ``secret_value`` query, as Prefect 1 asked Prefect Cloud.

A missing local secret raises ``ValueError('Local Secret "NAME" was not found.')``. Values are
parsed as JSON where they are JSON (``'{"a": 1}'`` gives a dict; ``"42"`` gives ``42``), so store
strings that look like numbers as JSON strings (``'"42"'``).

Example:
    >>> import prefect_jupyter
    >>> from prefect_jupyter.client import Secret
    >>> with prefect_jupyter.context(secrets={"API_KEY": "abc"}):
    ...     Secret("API_KEY").get()
    'abc'
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import prefect_jupyter
from prefect_jupyter.exceptions import ClientError

if TYPE_CHECKING:
    from prefect_jupyter.client.client import Client

__all__ = ["Secret"]

_SECRET_VALUE = "query($name: String!) { secret_value(name: $name) }"


def _asks_backend() -> bool:
    """True when a secret missing from context is asked of the backend (Prefect Cloud's way)."""
    config = prefect_jupyter.context.get("config") or prefect_jupyter.config
    use_local = config.get("cloud", {}).get("use_local_secrets", True)
    return prefect_jupyter.config.get("backend") == "cloud" and use_local is False


def _local_secrets() -> dict[str, Any]:
    return dict(prefect_jupyter.context.get("secrets") or {})


class Secret:
    """A named secret; its value is looked up by :meth:`get` when a run needs it.

    Args:
        name: the secret's name, e.g. ``"SLACK_WEBHOOK_URL"``.

    Example:
        >>> Secret("DB_PASSWORD").get()   # from context.secrets or [context.secrets]
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Secret({self.name!r})"

    @property
    def client(self) -> Client:
        """The API client that asks the backend for secrets (made on first use)."""
        if not hasattr(self, "_client"):
            from prefect_jupyter.client.client import Client

            self._client = Client()
        return self._client

    def exists(self) -> bool:
        """Whether the secret has a value (locally, or on the backend when it is asked)."""
        if self.name in _local_secrets():
            return True
        if _asks_backend():
            names = self.client.graphql("query { secret_names }").data.secret_names
            return self.name in (names or [])
        return False

    def get(self) -> Any:
        """The secret's value, parsed as JSON where it is JSON.

        Raises:
            ValueError: when called while a flow is being built (secrets are read at run
                time), or when the secret is not set locally (and the backend is not asked).
            KeyError: when the backend is asked and has no secret of this name.
            ClientError: when the backend can't be reached or refuses the query.
        """
        from prefect_jupyter.core.flow import Flow

        if isinstance(prefect_jupyter.context.get("flow"), Flow):
            raise ValueError(
                "Secrets should only be retrieved during a Flow run, not while building a Flow."
            )
        secrets = _local_secrets()
        if self.name in secrets:
            value = secrets[self.name]
        elif _asks_backend():
            value = self._from_backend()
        else:
            raise ValueError(f'Local Secret "{self.name}" was not found.')
        try:
            return json.loads(value)
        except (json.JSONDecodeError, TypeError):
            return value

    def _from_backend(self) -> Any:
        try:
            result = self.client.graphql(_SECRET_VALUE, variables={"name": self.name})
        except ClientError as exc:
            if "No value found for the requested key" in str(exc):
                raise KeyError(
                    f"The secret {self.name} was not found on the backend "
                    f"({prefect_jupyter.config.get('backend')}). Set it there, or set it "
                    f"locally in [context.secrets]."
                ) from exc
            raise
        return result.to_dict()["data"]["secret_value"]
