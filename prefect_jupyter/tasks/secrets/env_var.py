"""``EnvVarSecret``: a secret read from an environment variable when the task runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from prefect_jupyter.tasks.secrets.base import PrefectSecret

__all__ = ["EnvVarSecret"]


class EnvVarSecret(PrefectSecret):
    """Return the value of an environment variable (of the process that runs the task).

    Args:
        name: the variable's name; also the task's name. May be given at run time instead.
        cast: a function applied to the value when it is set (``int``, ``json.loads``, ...).
        raise_if_missing: fail when the variable is not set (otherwise return ``None``).
        **kwargs: passed on to `Task`.

    Example:
        >>> from prefect_jupyter.tasks.secrets import EnvVarSecret
        >>> token = EnvVarSecret("API_TOKEN", raise_if_missing=True)
    """

    def __init__(
        self,
        name: str | None = None,
        cast: Callable[[Any], Any] | None = None,
        raise_if_missing: bool = False,
        **kwargs: Any,
    ) -> None:
        self.cast = cast
        self.raise_if_missing = raise_if_missing
        super().__init__(name=name, **kwargs)

    def run(self, name: str | None = None) -> Any:
        """Return the variable's value (cast), or ``None`` when it is not set.

        Raises:
            ValueError: no name was given, or the variable is not set and
                ``raise_if_missing`` is true.
        """
        name = self.secret_name if name is None else name
        if name is None:
            raise ValueError("A secret name must be provided (EnvVarSecret(name) or run(name=...)).")
        value = os.environ.get(name)
        if value is None:
            if self.raise_if_missing:
                raise ValueError(f"Environment variable not set: {name}")
            return None
        return self.cast(value) if self.cast is not None else value
