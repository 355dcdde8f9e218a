"""Helpers shared by the API client and the server for what travels over GraphQL.

Prefect 1 sends a registered flow's metadata as one *compressed string* (JSON, then zlib, then
base64) to the ``create_flow_from_compressed_string`` mutation; ``compress`` and ``decompress``
are that encoding, written once for both ends.

Example:
    >>> decompress(compress({"name": "etl"}))
    {'name': 'etl'}
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any


def compress(value: Any) -> str:
    """Encode a JSON-serializable value as a compact ASCII string (JSON → zlib → base64)."""
    raw = json.dumps(value, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


def decompress(text: str) -> Any:
    """Decode a string made by ``compress``.

    Raises:
        ValueError: if ``text`` is not base64 of zlib-compressed JSON, with what went wrong.
    """
    try:
        raw = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, zlib.error, UnicodeError, ValueError) as exc:
        raise ValueError(
            f"The compressed string could not be decoded ({exc}); it must be base64 of "
            "zlib-compressed JSON, as made by prefect_jupyter.utilities.graphql.compress."
        ) from exc
