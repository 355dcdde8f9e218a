"""Serializers turn Python objects into bytes and back for `Result` storage.

A `Result` never touches bytes itself: it asks its serializer. Every serializer has the same two
verbs, ``serialize(value) -> bytes`` and ``deserialize(bytes) -> value``, and two serializers
compare equal when they would produce the same bytes (by default: when they have the same type).

Pandas is imported only inside `PandasSerializer`'s methods, and the compression modules only
when a `CompressedSerializer` is built, so importing this module stays cheap.

Example:
    >>> from prefect_jupyter.engine.serializers import CompressedSerializer, JSONSerializer
    >>> s = CompressedSerializer(JSONSerializer(), format="gzip")
    >>> s.deserialize(s.serialize({"rows": [1, 2, 3]}))
    {'rows': [1, 2, 3]}
"""

from __future__ import annotations

import base64
import binascii
import datetime
import importlib
import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import cloudpickle

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Serializer",
    "PickleSerializer",
    "JSONSerializer",
    "DateTimeSerializer",
    "PandasSerializer",
    "CompressedSerializer",
]

COMPRESSION_FORMATS = ("bz2", "gzip", "lzma", "zlib")


class Serializer:
    """Base class: converts Python objects to bytes and back.

    Subclasses implement `serialize` and `deserialize`. Serializers compare equal when they
    have the same type; subclasses with options extend `__eq__` to compare them too.

    Example:
        >>> class UpperSerializer(Serializer):
        ...     def serialize(self, value: str) -> bytes:
        ...         return value.upper().encode()
        ...     def deserialize(self, value: bytes) -> str:
        ...         return value.decode()
        >>> UpperSerializer().serialize("abc")
        b'ABC'
    """

    def serialize(self, value: Any) -> bytes:
        """Turn ``value`` into bytes.

        Args:
            value: the object to serialize.

        Returns:
            The serialized bytes.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement serialize(); subclass Serializer and "
            "define both serialize() and deserialize()."
        )

    def deserialize(self, value: bytes) -> Any:
        """Rebuild the object that `serialize` turned into ``value``.

        Args:
            value: bytes produced by `serialize`.

        Returns:
            The deserialized object.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement deserialize(); subclass Serializer and "
            "define both serialize() and deserialize()."
        )

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PickleSerializer(Serializer):
    """Serializes any Python object with cloudpickle (the default for every `Result`).

    cloudpickle, unlike plain pickle, handles lambdas, closures and classes defined in a notebook
    cell, which is what notebook users return from tasks.

    Example:
        >>> s = PickleSerializer()
        >>> s.deserialize(s.serialize(lambda x: x + 1))(1)
        2
    """

    def serialize(self, value: Any) -> bytes:
        """Pickle ``value`` with cloudpickle.

        Args:
            value: any picklable object, including lambdas and closures.

        Returns:
            The pickled bytes.
        """
        return cloudpickle.dumps(value)

    def deserialize(self, value: bytes) -> Any:
        """Unpickle ``value``; also accepts the base64-wrapped pickles of older Prefect versions.

        Args:
            value: pickled bytes, optionally base64 encoded.

        Returns:
            The unpickled object.

        Raises:
            The original unpickling error when ``value`` is neither a pickle nor a
            base64-encoded pickle.
        """
        try:
            return cloudpickle.loads(value)
        except Exception as exc:  # unpickling can fail with almost any exception type
            try:
                legacy = base64.b64decode(value)
            except (binascii.Error, ValueError, TypeError):
                raise exc from None
            try:
                return cloudpickle.loads(legacy)
            except Exception:
                # The base64 guess was wrong; the first error describes the real problem.
                raise exc from None


class JSONSerializer(Serializer):
    """Serializes JSON-compatible objects as UTF-8 JSON text.

    Args:
        dumps_kwargs: extra keyword arguments for `json.dumps`, e.g. ``{"cls": MyEncoder}``
            or ``{"default": str}``.
        loads_kwargs: extra keyword arguments for `json.loads`, e.g.
            ``{"object_hook": my_hook}``.

    Example:
        >>> JSONSerializer().serialize({"a": 1})
        b'{"a": 1}'
        >>> import decimal
        >>> JSONSerializer(dumps_kwargs={"default": str}).serialize(decimal.Decimal("1.5"))
        b'"1.5"'
    """

    def __init__(
        self,
        dumps_kwargs: dict[str, Any] | None = None,
        loads_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.dumps_kwargs = dict(dumps_kwargs or {})
        self.loads_kwargs = dict(loads_kwargs or {})

    def serialize(self, value: Any) -> bytes:
        """Dump ``value`` to JSON bytes.

        Args:
            value: a JSON-compatible object.

        Returns:
            UTF-8 encoded JSON.

        Raises:
            TypeError: ``value`` holds something JSON cannot represent.
        """
        try:
            return json.dumps(value, **self.dumps_kwargs).encode("utf-8")
        except TypeError as exc:
            raise TypeError(
                f"JSONSerializer cannot serialize this value: {exc}. Convert it to JSON types "
                "first, pass dumps_kwargs={'default': ...} or {'cls': ...} to JSONSerializer, "
                "or use PickleSerializer."
            ) from exc

    def deserialize(self, value: bytes) -> Any:
        """Load JSON bytes.

        Args:
            value: UTF-8 encoded JSON.

        Returns:
            The decoded object.
        """
        return json.loads(value, **self.loads_kwargs)

    def __eq__(self, other: object) -> bool:
        return (
            type(self) is type(other)
            and self.dumps_kwargs == other.dumps_kwargs  # type: ignore[attr-defined]
            and self.loads_kwargs == other.loads_kwargs  # type: ignore[attr-defined]
        )

    __hash__ = Serializer.__hash__

    def __repr__(self) -> str:
        return f"JSONSerializer(dumps_kwargs={self.dumps_kwargs}, loads_kwargs={self.loads_kwargs})"


class DateTimeSerializer(Serializer):
    """Serializes datetimes as human-readable ISO 8601 text.

    A naive datetime is taken to be UTC, both when serializing and when the stored text has no
    offset, so a round trip always returns a timezone-aware datetime.

    Example:
        >>> import datetime
        >>> s = DateTimeSerializer()
        >>> s.serialize(datetime.datetime(2024, 1, 2, 3, 4, 5))
        b'2024-01-02T03:04:05+00:00'
    """

    def serialize(self, value: datetime.datetime) -> bytes:
        """Write ``value`` as ISO 8601 bytes.

        Args:
            value: the datetime to serialize; naive datetimes are treated as UTC.

        Returns:
            ISO 8601 text, UTF-8 encoded.

        Raises:
            TypeError: ``value`` is not a `datetime.datetime`.
        """
        if not isinstance(value, datetime.datetime):
            raise TypeError(
                f"DateTimeSerializer serializes datetime.datetime objects, got "
                f"{type(value).__name__}; use JSONSerializer or PickleSerializer for other values."
            )
        return _as_utc_if_naive(value).isoformat().encode("utf-8")

    def deserialize(self, value: bytes) -> datetime.datetime:
        """Parse ISO 8601 bytes into a timezone-aware datetime.

        Args:
            value: ISO 8601 text, UTF-8 encoded.

        Returns:
            The parsed datetime (UTC when the text has no offset).

        Raises:
            ValueError: the text is not an ISO 8601 datetime.
        """
        text = value.decode("utf-8").strip()
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(
                f"DateTimeSerializer cannot parse {text!r} as an ISO 8601 datetime; it reads "
                "what it wrote, e.g. '2024-01-02T03:04:05+00:00'."
            ) from exc
        return _as_utc_if_naive(parsed)


def _as_utc_if_naive(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value


def _import_pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "PandasSerializer needs pandas, which is not installed. Install it with "
            "`pip install prefect-jupyter[pandas]`."
        ) from exc
    return pandas


class PandasSerializer(Serializer):
    """Serializes pandas DataFrames with a ``DataFrame.to_<file_type>`` / ``pd.read_<file_type>``
    pair, e.g. ``"csv"``, ``"parquet"`` or ``"json"``.

    Pandas is imported when the serializer is created (to check ``file_type`` early) and when it
    runs, never when this module is imported.

    Args:
        file_type: the pandas format name; both ``DataFrame.to_<file_type>`` and
            ``pandas.read_<file_type>`` must exist.
        deserialize_kwargs: keyword arguments for ``pandas.read_<file_type>``.
        serialize_kwargs: keyword arguments for ``DataFrame.to_<file_type>``.

    Example:
        >>> s = PandasSerializer("csv", serialize_kwargs={"index": False})  # doctest: +SKIP
        >>> s.deserialize(s.serialize(pd.DataFrame({"a": [1, 2]})))  # doctest: +SKIP
    """

    def __init__(
        self,
        file_type: str,
        deserialize_kwargs: dict[str, Any] | None = None,
        serialize_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.file_type = file_type
        self.deserialize_kwargs = dict(deserialize_kwargs or {})
        self.serialize_kwargs = dict(serialize_kwargs or {})
        # Fail at construction, not at the first task run, when the format is unknown.
        self._reader()
        self._writer(None)

    def serialize(self, value: pd.DataFrame) -> bytes:
        """Write the DataFrame in ``file_type`` format.

        Args:
            value: the DataFrame to serialize.

        Returns:
            The encoded file contents.
        """
        writer = self._writer(value)
        buffer = io.BytesIO()
        try:
            writer(buffer, **self.serialize_kwargs)
        except TypeError:
            # Text formats (csv, json, ...) refuse a binary buffer in some pandas versions;
            # write text and encode it ourselves.
            text_buffer = io.StringIO()
            writer(text_buffer, **self.serialize_kwargs)
            return text_buffer.getvalue().encode("utf-8")
        return buffer.getvalue()

    def deserialize(self, value: bytes) -> pd.DataFrame:
        """Read a DataFrame from ``file_type`` encoded bytes.

        Args:
            value: the encoded file contents.

        Returns:
            The DataFrame.
        """
        return self._reader()(io.BytesIO(value), **self.deserialize_kwargs)

    def _reader(self) -> Callable[..., Any]:
        pd = _import_pandas()
        reader = getattr(pd, f"read_{self.file_type}", None)
        if reader is None:
            raise ValueError(
                f"PandasSerializer: pandas has no read_{self.file_type}() function, so "
                f"file_type={self.file_type!r} cannot be read back. Use a format pandas can both "
                "write and read, such as 'csv', 'json' or 'parquet'."
            )
        return reader

    def _writer(self, frame: pd.DataFrame | None) -> Callable[..., Any]:
        pd = _import_pandas()
        target = pd.DataFrame() if frame is None else frame
        writer = getattr(target, f"to_{self.file_type}", None)
        if writer is None:
            raise ValueError(
                f"PandasSerializer: {type(target).__name__} has no to_{self.file_type}() method, "
                f"so file_type={self.file_type!r} cannot be written. Use a format pandas can both "
                "write and read, such as 'csv', 'json' or 'parquet'."
            )
        return writer

    def __eq__(self, other: object) -> bool:
        return (
            type(self) is type(other)
            and self.file_type == other.file_type  # type: ignore[attr-defined]
            and self.serialize_kwargs == other.serialize_kwargs  # type: ignore[attr-defined]
            and self.deserialize_kwargs == other.deserialize_kwargs  # type: ignore[attr-defined]
        )

    __hash__ = Serializer.__hash__

    def __repr__(self) -> str:
        return f"PandasSerializer(file_type={self.file_type!r})"


class CompressedSerializer(Serializer):
    """Wraps another serializer and compresses its bytes.

    Give either ``format`` (the name of a module with ``compress``/``decompress`` functions,
    normally one of ``"bz2"``, ``"gzip"``, ``"lzma"``, ``"zlib"``) or both ``compress`` and
    ``decompress`` callables.

    Args:
        serializer: the serializer whose output is compressed.
        format: name of a compression module.
        compress: a ``bytes -> bytes`` compression function.
        decompress: the matching ``bytes -> bytes`` decompression function.
        compress_kwargs: keyword arguments passed to the compression function.
        decompress_kwargs: keyword arguments passed to the decompression function.

    Example:
        >>> s = CompressedSerializer(PickleSerializer(), format="lzma")
        >>> s.deserialize(s.serialize(list(range(3))))
        [0, 1, 2]
    """

    def __init__(
        self,
        serializer: Serializer,
        format: str | None = None,
        compress: Callable[..., bytes] | None = None,
        decompress: Callable[..., bytes] | None = None,
        compress_kwargs: dict[str, Any] | None = None,
        decompress_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(serializer, Serializer):
            raise TypeError(
                f"CompressedSerializer wraps a Serializer, got {type(serializer).__name__}; "
                "pass e.g. CompressedSerializer(PickleSerializer(), format='gzip')."
            )
        if format is not None and (compress is not None or decompress is not None):
            raise ValueError(
                "CompressedSerializer takes either format= or compress=/decompress=, not both; "
                "drop one of them."
            )
        if format is not None:
            compress, decompress = self.compression_from_lib(format)
        elif compress is None or decompress is None:
            raise ValueError(
                "CompressedSerializer needs a compression: pass format= (one of "
                f"{', '.join(COMPRESSION_FORMATS)}) or both compress= and decompress= callables."
            )
        self.serializer = serializer
        self.compress = compress
        self.decompress = decompress
        self.compress_kwargs = dict(compress_kwargs or {})
        self.decompress_kwargs = dict(decompress_kwargs or {})

    def serialize(self, value: Any) -> bytes:
        """Serialize ``value`` with the wrapped serializer, then compress.

        Args:
            value: the object to serialize.

        Returns:
            The compressed bytes.
        """
        return self.compress(self.serializer.serialize(value), **self.compress_kwargs)

    def deserialize(self, value: bytes) -> Any:
        """Decompress ``value``, then deserialize with the wrapped serializer.

        Args:
            value: bytes produced by `serialize`.

        Returns:
            The deserialized object.
        """
        return self.serializer.deserialize(self.decompress(value, **self.decompress_kwargs))

    @staticmethod
    def compression_from_lib(
        compression_format: str,
    ) -> tuple[Callable[..., bytes], Callable[..., bytes]]:
        """Look up the ``compress`` and ``decompress`` functions of a compression module.

        Args:
            compression_format: a module name such as ``"gzip"``.

        Returns:
            The module's ``(compress, decompress)`` functions.

        Raises:
            ImportError: no module of that name can be imported.
            ValueError: the module lacks ``compress``/``decompress``.
        """
        others = [name for name in COMPRESSION_FORMATS if name != compression_format]
        try:
            module = importlib.import_module(compression_format)
        except ImportError as exc:
            raise ImportError(
                f"CompressedSerializer: {compression_format!r} is not installed (no module of "
                f"that name can be imported). Use one of {', '.join(others)}, or install it."
            ) from exc
        compress = getattr(module, "compress", None)
        decompress = getattr(module, "decompress", None)
        if not (callable(compress) and callable(decompress)):
            raise ValueError(
                f"CompressedSerializer: the {compression_format!r} module does not have 'compress' "
                f"and 'decompress' functions. Use one of {', '.join(others)}, or pass compress= "
                "and decompress= callables instead of format=."
            )
        return compress, decompress

    def __eq__(self, other: object) -> bool:
        return (
            type(self) is type(other)
            and self.serializer == other.serializer  # type: ignore[attr-defined]
            and self.compress == other.compress  # type: ignore[attr-defined]
            and self.decompress == other.decompress  # type: ignore[attr-defined]
            and self.compress_kwargs == other.compress_kwargs  # type: ignore[attr-defined]
            and self.decompress_kwargs == other.decompress_kwargs  # type: ignore[attr-defined]
        )

    __hash__ = Serializer.__hash__

    def __repr__(self) -> str:
        name = getattr(self.compress, "__module__", None) or "custom"
        return f"CompressedSerializer({self.serializer!r}, compression={name!r})"
