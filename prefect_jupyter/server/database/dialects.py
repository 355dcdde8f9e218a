"""Every difference between SQLite and PostgreSQL that the server cares about, in one place.

The rest of the server writes dialect-neutral SQLAlchemy and calls these helpers where the two
databases differ:

- **Column types**: :data:`JSONType` (``JSON`` on SQLite, ``JSONB`` on PostgreSQL) and
  :class:`UTCDateTime` (``timestamptz`` on PostgreSQL; naive UTC text on SQLite, which has no
  time zones — values always come back as aware UTC datetimes).
- **Connection setup**: :func:`configure_sqlite` turns on WAL, ``busy_timeout``, foreign keys,
  and makes transactions explicit so a write transaction can start with ``BEGIN IMMEDIATE``.
- **Locking**: PostgreSQL has row locks (``SELECT ... FOR UPDATE [SKIP LOCKED]``) and advisory
  locks; SQLite has one writer at a time (the server also serializes its own writers, see
  ``engine.py``), so :func:`for_update` and :func:`advisory_lock` do nothing there.
- **Upserts**: :func:`insert_ignoring_conflicts` (``ON CONFLICT DO NOTHING`` in both dialects,
  built with each dialect's own ``insert``); many rows at once: ``bulk.py``.
- **Text matching**: ``LIKE`` is case-sensitive on PostgreSQL but not on SQLite, so
  :func:`like` uses ``GLOB`` there; :func:`ilike` is ``ILIKE`` / ``lower() LIKE lower()``.
- **JSON operators**: containment, key tests and equality (``@>``, ``<@``, ``?`` on JSONB;
  ``json_each`` / ``json_extract`` on SQLite), e.g. for run labels.
- **Deadlines**: :func:`stop_statements_at` (``statement_timeout`` on PostgreSQL, a progress
  handler that interrupts the statement on SQLite), for a request's time budget.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Select,
    String,
    and_,
    bindparam,
    cast,
    event,
    exists,
    func,
    literal,
    not_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

POSTGRESQL = "postgresql"
SQLITE = "sqlite"

#: JSON documents: JSONB on PostgreSQL (indexable, with containment operators), JSON elsewhere.
#: Python ``None`` is stored as SQL NULL (not a JSON ``null``), so ``IS NULL`` finds it.
JSONType = JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), POSTGRESQL)

#: Milliseconds a SQLite connection waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: WAL pages after which a commit copies them into the database file (a checkpoint, with two
#: fsyncs). SQLite's default of 1,000 (4 MB) made a runner's reports checkpoint every few
#: commits, and the commits then cost more than the rows; at 10,000 a 10,000-child map's
#: reports checkpoint once or twice, pages written many times are copied once, and the WAL
#: file stays at most ~40 MB.
SQLITE_WAL_CHECKPOINT_PAGES = 10_000


class UTCDateTime(TypeDecorator[datetime.datetime]):
    """A timestamp stored in UTC and always returned time-zone aware (UTC).

    A naive datetime given to the database is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime.datetime | None:
        if value is None:
            return None
        if type(value) is datetime.datetime and value.tzinfo is datetime.UTC:
            # the common case (the server's own clock): nothing to convert
            return value.replace(tzinfo=None) if dialect.name == SQLITE else value
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        value = value.astimezone(datetime.UTC)
        # SQLite stores text; keep it naive so every stored value sorts the same way
        return value.replace(tzinfo=None) if dialect.name == SQLITE else value

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any] | None:
        """On SQLite, straight to the stored text (what SQLite's ``DATETIME`` would write).

        A batch of thousands of rows binds tens of thousands of timestamps, most of them the
        same "now"; SQLAlchemy's two-step conversion cost more than the database's work.
        """
        if dialect.name != SQLITE:
            return super().bind_processor(dialect)
        # the last value and its text (one "now" per batch), swapped whole: threads share it
        last: list[tuple[Any, str]] = [(None, "")]

        def process(value: Any) -> str | None:
            if value is None:
                return None
            seen, text = last[0]
            if value is seen:
                return text
            if type(value) is str and len(value) == 26 and value[10] == " ":
                return value  # already the stored text (read back with stored_value)
            if (type(value) is str and len(value) == 32 and value[10] == "T"
                    and value[19] == "." and value.endswith("+00:00")):
                # what a runner sends (isoformat of a UTC time): checked as process_bind_param
                # would, then cut into the stored text instead of parsed and formatted again
                datetime.datetime.fromisoformat(value)
                text = f"{value[:10]} {value[11:26]}"
                last[0] = (value, text)
                return text
            naive = self.process_bind_param(value, dialect)
            # the text SQLAlchemy's SQLite DATETIME stores (its default storage format)
            text = naive.isoformat(" ", "microseconds")
            last[0] = (value, text)
            return text

        return process

    def process_result_value(self, value: Any, dialect: Any) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC)


def stored_value(column: Any) -> Any:
    """``column`` to read as the database stores it, to be written back unchanged: a
    timestamp comes as its stored text on SQLite (neither parsed when read nor formatted again
    when written, see :meth:`UTCDateTime.bind_processor`), as the driver's value elsewhere."""
    return type_coerce(column, String) if isinstance(column.type, UTCDateTime) else column


# -- connections -------------------------------------------------------------------------------
def configure_sqlite(engine: Engine) -> None:
    """Set up every new SQLite connection of ``engine`` for a multi-threaded server.

    WAL lets readers work while one writer writes (checkpointed every
    :data:`SQLITE_WAL_CHECKPOINT_PAGES` pages); ``busy_timeout`` makes a connection wait for
    a lock held by another process instead of failing at once; foreign keys are off by default
    in SQLite. Python's sqlite3 module opens transactions lazily and only before DML, so it is
    switched to autocommit and SQLAlchemy's ``begin`` emits ``BEGIN`` itself: ``BEGIN
    IMMEDIATE`` for connections carrying the ``sqlite_immediate`` execution option (writers
    take the write lock up front, so two writers never deadlock on a lock upgrade).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# -- locking -----------------------------------------------------------------------------------
def for_update(
    stmt: Select, dialect_name: str, skip_locked: bool = False, of: Any = None
) -> Select:
    """``stmt`` locking the rows it reads until the transaction ends (PostgreSQL only).

    ``skip_locked`` leaves out rows another transaction holds locked instead of waiting for
    them; ``of`` limits the lock to one table's rows. On SQLite the whole database has one
    writer at a time, so there is nothing to add.
    """
    if dialect_name == POSTGRESQL:
        return stmt.with_for_update(skip_locked=skip_locked, of=of)
    return stmt


def advisory_lock(executor: Session | Connection, key: str) -> None:
    """Serialize transactions that use the same ``key`` until this transaction ends.

    Used where a check-then-insert must not interleave (two registrations of the same flow
    picking the same version number, two servers migrating one database). PostgreSQL: a
    transaction-level advisory lock on a hash of ``key``. SQLite: writers are already
    serialized, so nothing to do.
    """
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    if bind.dialect.name == POSTGRESQL:
        executor.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def is_integrity_error(session: Session, exc: BaseException) -> bool:
    """Whether ``exc`` is a violated constraint (a unique key taken, a missing parent row):
    SQLAlchemy's error for it, or the driver's own (a ``COPY`` raises that)."""
    from sqlalchemy.exc import IntegrityError

    dbapi = session.get_bind().dialect.dbapi
    return isinstance(exc, IntegrityError) or (
        dbapi is not None and isinstance(exc, dbapi.IntegrityError))


def insert_ignoring_conflicts(model: Any, dialect_name: str) -> Any:
    """An ``INSERT`` into ``model``'s table that skips rows violating a unique constraint."""
    module = postgresql if dialect_name == POSTGRESQL else sqlite
    return module.insert(model).on_conflict_do_nothing()




# -- text matching -----------------------------------------------------------------------------
def _like_to_glob(pattern: str) -> str:
    """Translate a SQL ``LIKE`` pattern (``\\`` escapes) to an SQLite ``GLOB`` pattern."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "\\")
            out.append(f"[{nxt}]" if nxt in "*?[" else nxt)
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        elif char in "*?[":
            out.append(f"[{char}]")
        else:
            out.append(char)
    return "".join(out)


def like(column: Any, pattern: str, dialect_name: str) -> ColumnElement[bool]:
    """Case-sensitive ``LIKE`` (SQLite's ``LIKE`` ignores ASCII case, its ``GLOB`` does not)."""
    if dialect_name == SQLITE:
        return column.op("GLOB", is_comparison=True)(_like_to_glob(pattern))
    return column.like(pattern)


def one_of(column: Any, values: Any, dialect_name: str) -> ColumnElement[bool]:
    """``column IN values`` for a long list of text ids: on PostgreSQL ``= ANY(array)``, one
    parameter (an ``IN`` list of a thousand is a thousand parameters for psycopg to place and
    PostgreSQL to parse: about a tenth of the server's time for a mapped run's report); a plain
    ``IN`` elsewhere (SQLite allows 32,766 parameters: callers ask in chunks of 1,000)."""
    if dialect_name == POSTGRESQL:
        values = bindparam(None, list(values), type_=postgresql.ARRAY(String))
        return column == func.any(values)
    return column.in_(values)


def ilike(column: Any, pattern: str, dialect_name: str) -> ColumnElement[bool]:
    """Case-insensitive ``LIKE`` (SQLAlchemy renders ``lower(x) LIKE lower(y)`` on SQLite)."""
    return column.ilike(pattern)


# -- JSON --------------------------------------------------------------------------------------
def _json_literal(value: Any) -> Any:
    return literal(json.dumps(value))


def _sqlite_json_values(source: Any, alias: str) -> Any:
    """``json_each(source)`` as a table with a ``value`` column."""
    return func.json_each(source).table_valued("value", "key").alias(alias)


def json_contains(column: Any, value: Any, dialect_name: str) -> ColumnElement[bool]:
    """The JSON document in ``column`` contains ``value`` (Hasura's ``_contains``, JSONB ``@>``).

    On SQLite: a list contains a list when every wanted element is one of its elements; an
    object contains an object when every wanted key has an equal value (compared as JSON).
    """
    if dialect_name == POSTGRESQL:
        return column.op("@>", is_comparison=True)(cast(_json_literal(value), postgresql.JSONB))
    if isinstance(value, list):
        have = _sqlite_json_values(column, "have")
        want = _sqlite_json_values(_json_literal(value), "want")
        missing = select(want.c.value).where(want.c.value.not_in(select(have.c.value)))
        return and_(func.json_type(column) == "array", not_(exists(missing)))
    if isinstance(value, dict):
        conditions = [func.json_type(column) == "object"]
        for key, wanted in value.items():
            path = f"$.{json.dumps(str(key))}"
            conditions.append(
                func.json(func.json_extract(column, path)) == func.json(json.dumps(wanted))
                if isinstance(wanted, (dict, list))
                else func.json_extract(column, path) == wanted
            )
        return and_(*conditions)
    return json_equals(column, value, dialect_name)


def json_contained_in(column: Any, value: Any, dialect_name: str) -> ColumnElement[bool]:
    """Every element of the JSON list in ``column`` is in the list ``value`` (JSONB ``<@``)."""
    if dialect_name == POSTGRESQL:
        return column.op("<@", is_comparison=True)(cast(_json_literal(value), postgresql.JSONB))
    if not isinstance(value, list):
        return json_equals(column, value, dialect_name)
    have = _sqlite_json_values(column, "have")
    extra = select(have.c.value).where(have.c.value.not_in(value)) if value else select(have.c.value)
    return and_(func.json_type(column) == "array", not_(exists(extra)))


def json_has_key(column: Any, key: str, dialect_name: str) -> ColumnElement[bool]:
    """The JSON object in ``column`` has ``key`` (JSONB ``?``)."""
    if dialect_name == POSTGRESQL:
        return column.op("?", is_comparison=True)(literal(key))
    return and_(
        func.json_type(column) == "object",
        func.json_type(column, f"$.{json.dumps(key)}").is_not(None),
    )


def json_equals(column: Any, value: Any, dialect_name: str) -> ColumnElement[bool]:
    """The JSON document in ``column`` equals ``value``."""
    if dialect_name == POSTGRESQL:
        return column == cast(_json_literal(value), postgresql.JSONB)
    return func.json(column) == func.json(json.dumps(value))


def json_is_null(column: Any, is_null: bool, dialect_name: str) -> ColumnElement[bool]:
    """SQL NULL or a JSON ``null`` (both mean "no value" to a user)."""
    kind = func.jsonb_typeof(column) if dialect_name == POSTGRESQL else func.json_type(column)
    empty = column.is_(None) | (kind == "null")
    return empty if is_null else not_(empty)


def labels_subset_of(column: Any, labels: list[str], dialect_name: str) -> ColumnElement[bool]:
    """Every label in the JSON list ``column`` is one of ``labels`` (empty or NULL: always)."""
    contained = json_contained_in(column, sorted(set(labels)), dialect_name)
    return column.is_(None) | contained


__all__ = [
    "JSONType",
    "UTCDateTime",
    "configure_sqlite",
    "for_update",
    "advisory_lock",
    "insert_ignoring_conflicts",
    "like",
    "ilike",
    "json_contains",
    "json_contained_in",
    "json_has_key",
    "json_equals",
    "json_is_null",
    "labels_subset_of",
]


# -- deadlines ---------------------------------------------------------------------------------
#: SQLite virtual-machine steps between two looks at the clock while a statement runs.
_SQLITE_PROGRESS_STEPS = 10_000


def stop_statements_at(
    session: Session, seconds_left: Callable[[], float | None]
) -> Callable[[], None]:
    """Make the database stop the statements of ``session``'s transaction at a deadline.

    ``seconds_left()`` is the time left (``None``: no deadline). A stopped statement raises a
    driver error (``OperationalError``). PostgreSQL: ``SET LOCAL statement_timeout`` to the time
    left now (so a statement started late may run up to that long once more). SQLite: a
    progress handler that interrupts a running statement once no time is left.

    Returns:
        A function that removes the handler (call it before the connection is released).
    """
    left = seconds_left()
    if left is None:
        return lambda: None
    connection = session.connection()
    if connection.dialect.name == POSTGRESQL:
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, math.ceil(left * 1000))}")
        return lambda: None
    raw = connection.connection.driver_connection

    def out_of_time() -> int:
        remaining = seconds_left()
        return int(remaining is not None and remaining <= 0)

    raw.set_progress_handler(out_of_time, _SQLITE_PROGRESS_STEPS)
    return lambda: raw.set_progress_handler(None, 0)


def is_stopped_statement(exc: BaseException) -> bool:
    """Whether ``exc`` is a statement stopped on purpose (by :func:`stop_statements_at`):
    PostgreSQL's ``query_canceled`` (57014) or SQLite's ``interrupted``."""
    cause = getattr(exc, "orig", None) or exc
    if getattr(cause, "sqlstate", None) == "57014":
        return True
    return type(cause).__name__ == "OperationalError" and str(cause) == "interrupted"
