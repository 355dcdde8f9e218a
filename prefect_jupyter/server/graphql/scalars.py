"""GraphQL scalars: UUID/uuid, DateTime/timestamptz, JSON/jsonb.

Input values that do not parse raise ``ValueError`` with a message saying what was expected;
graphql-core reports it as an error for that argument, before any resolver runs.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from ariadne import ScalarType


def parse_uuid(value: Any) -> str:
    """A UUID string in canonical form."""
    if not isinstance(value, str):
        raise ValueError(f"Expected a UUID string, got {value!r}.")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a UUID (expected e.g. '{uuid.UUID(int=1)}').") from None


def serialize_uuid(value: Any) -> str:
    return str(value)


def parse_datetime(value: Any) -> datetime.datetime:
    """An aware datetime from ISO 8601 text (UTC when no offset is given)."""
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO 8601 date-time (expected e.g. "
                "'2024-05-01T12:00:00+00:00')."
            ) from None
    else:
        raise ValueError(f"Expected an ISO 8601 date-time string, got {value!r}.")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def serialize_datetime(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.isoformat()
    return str(value)


def _identity(value: Any) -> Any:
    return value


def scalar_types() -> list[ScalarType]:
    """Bindings for every custom scalar in the schema."""
    bindings = []
    for names, serialize, parse in (
        (("UUID", "uuid"), serialize_uuid, parse_uuid),
        (("DateTime", "timestamptz"), serialize_datetime, parse_datetime),
        (("JSON", "jsonb"), _identity, _identity),
    ):
        for name in names:
            bindings.append(ScalarType(name, serializer=serialize, value_parser=parse))
    return bindings
