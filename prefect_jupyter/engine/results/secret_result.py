"""`SecretResult`: the output of a secret task, never stored; reading runs the task again."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.engine.result.base import Result

__all__ = ["SecretResult"]


class SecretResult(Result):
    """The result of a secret task (``PrefectSecret``): its value is never written anywhere.

    The location is the secret's name; :meth:`read` runs the secret task again to fetch the
    value, so a secret never lands in a checkpoint, a cache or the server's database.

    Args:
        secret_task: the secret task whose output this is (its ``run(name=...)`` fetches it).
        **kwargs: `Result` arguments except ``serializer`` (a secret is never serialized).

    Example:
        >>> result = SecretResult(PrefectSecret("API_KEY"))
        >>> result.read("API_KEY").value   # fetched again, from context.secrets
    """

    def __init__(self, secret_task: Any, **kwargs: Any) -> None:
        if "serializer" in kwargs:
            raise ValueError(
                "Can't pass a serializer to a SecretResult: a secret's value is never "
                "serialized. Remove the serializer= argument."
            )
        self.secret_task = secret_task
        kwargs.setdefault("location", secret_task.name)
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        # never the value: a result's repr ends up in logs, tracebacks and notebook outputs
        return f"<SecretResult: {self.location or getattr(self.secret_task, 'name', None)!r}>"

    def read(self, location: str) -> Result:
        """A new result holding the secret named ``location``, fetched again by the task.

        Args:
            location: the secret's name.
        """
        new = self.copy()
        new.value = self.secret_task.run(name=location)
        new.location = location
        return new

    def write(self, value_: Any, **kwargs: Any) -> Result:
        """Refuse: a secret is never written to storage.

        Raises:
            ValueError: always.
        """
        raise ValueError("SecretResults cannot be written to.")
