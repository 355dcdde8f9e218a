"""`ConstantResult`: a fixed value known when the flow is built, e.g. a literal task argument."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.engine.result.base import Result

__all__ = ["ConstantResult"]


class ConstantResult(Result):
    """A result for a constant: the value lives in the object itself and is never stored.

    The engine uses it for plain values passed to tasks (``add(x, 1)``: the ``1``). Reading
    returns the result unchanged, it always exists, and writing is an error.

    Args:
        **kwargs: `Result` arguments except ``serializer``, which a constant never uses.

    Example:
        >>> ConstantResult(value=1).read("anything").value
        1
    """

    def __init__(self, **kwargs: Any) -> None:
        if "serializer" in kwargs:
            raise ValueError(
                "Can't pass a serializer to a ConstantResult: it never serializes its value. "
                "Remove the serializer= argument."
            )
        super().__init__(**kwargs)

    def read(self, location: str) -> Result:
        """Return this result; a constant is not stored anywhere.

        Args:
            location: ignored.

        Returns:
            This result.
        """
        return self

    def write(self, value_: Any, **kwargs: Any) -> Result:
        """Refuse: a constant cannot be written.

        Raises:
            ValueError: always.
        """
        raise ValueError(
            "ConstantResult cannot be written: it only holds a value fixed when the flow was "
            "built. Use LocalResult or PrefectResult to store task outputs."
        )

    def exists(self, location: str, **kwargs: Any) -> bool:
        """Return ``True``: a constant always exists.

        Args:
            location: ignored.
            **kwargs: ignored.

        Returns:
            ``True``.
        """
        return True
