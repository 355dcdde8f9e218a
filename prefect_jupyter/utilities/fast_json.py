"""JSON for the API's request and answer bodies: orjson's speed, the stdlib's results.

A runner's report is megabytes of small objects: encoding it took the runner's reporting
thread (and so the engine, whose lock it holds) a tenth of a mapped run, and decoding it an
eighth of the server's work; the server then encodes each state again for its JSON columns.
All of it uses orjson when it is installed (the ``server`` extra):

- :func:`loads` falls back to :func:`json.loads` for what orjson refuses but the stdlib reads
  — integers beyond 64 bits, ``NaN`` and ``Infinity`` — so the value is always what
  ``json.loads`` gives, and invalid JSON raises ``json.JSONDecodeError`` with its message;
- :func:`dumps` falls back to :func:`json.dumps` for what orjson cannot encode (integers
  beyond 64 bits, keys that are not strings, other types raise ``TypeError`` as there). The one
  difference: a float ``NaN`` or infinity is encoded as ``null`` — standard JSON has neither
  (the stdlib writes a token other parsers refuse, PostgreSQL among them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

try:
    import orjson
except ImportError:  # the core install: no server extra
    orjson = None  # type: ignore[assignment]

__all__ = ["dumps", "dumps_text", "loads"]


def dumps(value: Any) -> bytes:
    """``value`` as UTF-8 JSON (as ``json.dumps(value).encode()``, see the module docstring).

    Raises:
        TypeError: a value JSON has no form for.
    """
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:
            pass  # e.g. an integer beyond 64 bits, which the stdlib writes
    return json.dumps(value, ensure_ascii=False).encode()


def dumps_text(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """:func:`dumps` as text (e.g. a JSON column's stored value).

    Args:
        default: what a value of another type is encoded as (as ``json.dumps``'s; orjson
            itself writes dates and times in ISO 8601).
    """
    if orjson is not None:
        try:
            return orjson.dumps(value, default=default).decode()
        except TypeError:
            pass
    return json.dumps(value, ensure_ascii=False, default=default)


def loads(data: bytes | str) -> Any:
    """The JSON value of ``data`` (as :func:`json.loads`).

    Raises:
        json.JSONDecodeError: not JSON. ``UnicodeDecodeError``: bytes that are not UTF-8.
        RecursionError: nesting the stdlib decoder cannot follow.
    """
    if orjson is not None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # the stdlib reads some of what orjson refuses, and words the errors
    return json.loads(data)
