"""``SecretBase`` and ``PrefectSecret``.

A secret task's output is a `SecretResult`: checkpointing is off, so the value is never written
to a result location, a cache or the server, and the notebook widget shows it as hidden. A
downstream task receives the value as an ordinary argument.

Example:
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.tasks.secrets import PrefectSecret
    >>> from prefect_jupyter.tasks.postgres import PostgresFetch
    >>> with Flow("report") as flow:
    ...     password = PrefectSecret("PG_PASSWORD")
    ...     rows = PostgresFetch(db_name="app", user="app", host="db")(
    ...         query="SELECT 1", password=password)
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.engine.results import SecretResult

__all__ = ["PrefectSecret", "SecretBase"]


class SecretBase(Task):
    """The base of secret tasks: not checkpointed, with a `SecretResult` that cannot be changed.

    Subclasses implement ``run(name=None)`` returning the secret's value.

    Args:
        **kwargs: passed on to `Task` (``result`` is refused, ``checkpoint`` is forced off).

    Raises:
        ValueError: a ``result`` was given.
    """

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("result"):
            raise ValueError(
                "Result types for Secrets are not configurable: a secret's value is never "
                "stored. Remove the result= argument."
            )
        kwargs["checkpoint"] = False
        super().__init__(**kwargs)
        self.result = SecretResult(secret_task=self)


class PrefectSecret(SecretBase):
    """A task returning the value of the secret ``name`` (`Secret(name).get()`).

    Args:
        name: the secret's name; also the task's name. May be given at run time instead.
        **kwargs: passed on to `Task`.
    """

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        self.secret_name = name
        super().__init__(name=name, **kwargs)

    def run(self, name: str | None = None) -> Any:
        """Return the secret's value (JSON values are parsed).

        Args:
            name: read this secret instead of the one given at initialization.

        Raises:
            ValueError: no name was given, or the secret is not set (``Local Secret "NAME"
                was not found.``).
        """
        from prefect_jupyter.client.secrets import Secret

        name = self.secret_name if name is None else name
        if name is None:
            raise ValueError("A secret name must be provided (PrefectSecret(name) or run(name=...)).")
        return Secret(name).get()
