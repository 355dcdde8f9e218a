"""`PrefectResult`: small JSON values stored inside the location string itself."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.engine.result.base import Result
from prefect_jupyter.engine.serializers import DateTimeSerializer, JSONSerializer, Serializer

__all__ = ["PrefectResult"]


class PrefectResult(Result):
    """A result whose location *is* the serialized value, e.g. ``'{"rows": 3}'``.

    Nothing is written anywhere: the JSON text travels with the task run's state (and to the
    server's database), which suits small values such as parameters, counts and ids.

    Args:
        **kwargs: `Result` arguments; ``serializer`` must be a `JSONSerializer` (the default)
            or a `DateTimeSerializer`, because the location has to be text.

    Example:
        >>> written = PrefectResult().write({"rows": 3})
        >>> written.location
        '{"rows": 3}'
        >>> PrefectResult().read(written.location).value
        {'rows': 3}
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("serializer", JSONSerializer())
        super().__init__(**kwargs)

    @property  # type: ignore[override]
    def serializer(self) -> Serializer:
        """The serializer; only text serializers are accepted."""
        return self._serializer

    @serializer.setter
    def serializer(self, value: Serializer) -> None:
        if not isinstance(value, JSONSerializer | DateTimeSerializer):
            raise TypeError(
                f"PrefectResult stores the value as text in its location, so it needs "
                f"JSONSerializer or DateTimeSerializer, not {type(value).__name__}. Use "
                "LocalResult to store values that need another serializer."
            )
        self._serializer = value

    def read(self, location: str) -> Result:
        """Decode the value held in ``location``.

        Args:
            location: the text produced by `write`.

        Returns:
            A new result with ``value`` decoded and ``location`` set.
        """
        new = self.copy()
        new.value = self.serializer.deserialize(location.encode("utf-8"))
        new.location = location
        return new

    def write(self, value_: Any, **kwargs: Any) -> Result:
        """Encode ``value_`` into the location string.

        Args:
            value_: a JSON-compatible value (or a datetime with `DateTimeSerializer`).
            **kwargs: ignored; accepted so every result type is called the same way.

        Returns:
            A new result with ``value`` set and ``location`` holding its encoded text.
        """
        new = self.copy()
        new.value = value_
        new.location = self.serializer.serialize(value_).decode("utf-8")
        return new

    def exists(self, location: str, **kwargs: Any) -> bool:
        """Whether ``location`` holds a value this result can decode.

        Args:
            location: the text to check.
            **kwargs: ignored; accepted so every result type is called the same way.

        Returns:
            ``True`` when ``location`` is text that decodes with this result's serializer
            (a value itself, e.g. ``42`` rather than ``"42"``, is not a location).
        """
        if not isinstance(location, str):
            return False
        try:
            self.serializer.deserialize(location.encode("utf-8"))
        except ValueError:  # json.JSONDecodeError and bad datetimes are both ValueErrors
            return False
        return True
