"""The server's connection to its database: one :class:`Database` per URL.

Sessions come in two kinds:

- :meth:`Database.read_session` — a plain transaction for queries;
- :meth:`Database.write_session` — a transaction for mutations, committed only when the block
  ends without an exception (so a request that fails half-way writes nothing).

SQLite allows one writer at a time. Rather than letting concurrent writers collide and retry on
``database is locked``, the server has *one writer path*: write sessions on the same SQLite file
take a process-wide lock first, and begin with ``BEGIN IMMEDIATE`` (so even a writer in another
process is waited for, up to ``busy_timeout``, instead of failing on a lock upgrade). Readers
never wait: the database runs in WAL mode. PostgreSQL needs none of this: its write sessions use
a connection pool and row locks (see ``dialects.for_update``).

An SQLite file is created once, when the :class:`Database` is made; after that every connection
opens it with ``mode=rw``, which never creates a file. A file deleted or replaced while the
server runs is noticed before each session (its inode changed) and answered with
:class:`~prefect_jupyter.server.errors.DatabaseUnavailable` instead of silently writing to a
new empty database — or to the deleted file's inode, which open connections would otherwise
keep using.

Database failures (``OperationalError`` and friends, not constraint violations) raised while a
:func:`recording_failures` block is active are collected for it, so the HTTP layer can answer
503 for a request whose failure a resolver turned into a GraphQL error.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from prefect_jupyter.server.database import dialects
from prefect_jupyter.server.errors import DatabaseUnavailable
from prefect_jupyter.utilities import fast_json

#: how JSON columns are written and read: orjson (states, parameters, log info; see
#: ``utilities/fast_json.py``)
_JSON_CODEC = {"json_serializer": fast_json.dumps_text, "json_deserializer": fast_json.loads}

_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def normalize_url(url: str | URL) -> URL:
    """``url`` with the driver the server uses and ``~`` expanded in SQLite paths.

    ``postgresql://`` and ``postgres://`` mean PostgreSQL through psycopg 3 (SQLAlchemy's own
    default driver, psycopg2, is not a dependency).

    Raises:
        ValueError: for a database other than SQLite or PostgreSQL, or an unparsable URL.
    """
    text_url = str(url) if isinstance(url, URL) else url
    if text_url.startswith("postgres://"):
        text_url = "postgresql://" + text_url[len("postgres://") :]
    try:
        parsed = make_url(text_url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with its own wording
        raise ValueError(
            f"Cannot parse the database URL {text_url!r} ({exc}); use e.g. "
            "'sqlite:////path/to/server.db' or "
            "'postgresql+psycopg://user:password@host:5432/dbname'."
        ) from exc
    backend = parsed.get_backend_name()
    if backend == dialects.POSTGRESQL:
        if parsed.drivername in ("postgresql", "postgresql+psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == dialects.SQLITE:
        if parsed.database and parsed.database != ":memory:":
            parsed = parsed.set(database=os.path.expanduser(parsed.database))
    else:
        raise ValueError(
            f"The server stores its data in SQLite or PostgreSQL, not {backend!r}: use a "
            "'sqlite:///...' or 'postgresql+psycopg://...' database URL."
        )
    return parsed


_FAILURES: ContextVar[list[BaseException] | None] = ContextVar("database_failures", default=None)


@contextlib.contextmanager
def recording_failures() -> Iterator[list[BaseException]]:
    """Collect the database failures (see :func:`is_unavailable`) raised inside the block.

    The list is shared with worker threads started in the block (they copy the context).
    """
    failures: list[BaseException] = []
    token = _FAILURES.set(failures)
    try:
        yield failures
    finally:
        _FAILURES.reset(token)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot serve (rather than refusing one statement).

    Connection, I/O, lock, corruption and missing-table errors are; constraint violations,
    bad data and SQL the database rejects are not.
    """
    if isinstance(exc, DatabaseUnavailable):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    refused = (sa_exc.IntegrityError, sa_exc.DataError, sa_exc.NotSupportedError)
    if isinstance(exc, refused):
        return False
    if isinstance(exc, sa_exc.ProgrammingError):  # PostgreSQL: a table missing
        return getattr(exc.orig, "sqlstate", None) == "42P01"
    if dialects.is_stopped_statement(exc):  # the request's time budget ran out (graphql/limits)
        return False
    return True


def describe_failure(exc: BaseException) -> str:
    """The driver's first line about a failure, without SQL or parameters."""
    if isinstance(exc, DatabaseUnavailable):
        return str(exc)
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return first[:200]


def _record_failure(context: Any) -> None:
    failures = _FAILURES.get()
    if failures is not None and not getattr(context, "is_pre_ping", False):
        exc = context.sqlalchemy_exception or context.original_exception
        if is_unavailable(exc):
            failures.append(exc)


def _sqlite_write_lock(path: str) -> threading.Lock:
    key = os.path.realpath(path)
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


class Database:
    """Engine and sessions for one database.

    Args:
        url: a SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``).

    Example:
        >>> db = Database("sqlite:////tmp/example.db")
        >>> with db.read_session() as session:
        ...     session.execute(text("SELECT 1")).scalar()
        1
    """

    def __init__(self, url: str | URL) -> None:
        self.url = normalize_url(url)
        self.dialect_name = self.url.get_backend_name()
        self._write_lock: Any = contextlib.nullcontext()
        self._read_lock: Any = contextlib.nullcontext()
        self.path: Path | None = None
        self._identity: tuple[int, int] | None = None
        if self.dialect_name == dialects.SQLITE:
            self.engine = self._sqlite_engine()
            self._write_engine = self.engine.execution_options(sqlite_immediate=True)
        else:
            self.engine = create_engine(
                self.url, pool_size=10, max_overflow=20, pool_pre_ping=True, **_JSON_CODEC
            )
            self._write_engine = self.engine
        event.listen(self.engine, "handle_error", _record_failure)

    def _sqlite_engine(self) -> Any:
        database = self.url.database
        connect_args = {"check_same_thread": False, "timeout": 30}
        if not database or database == ":memory:":
            # one shared connection, or every connection would see its own empty database
            engine = create_engine(self.url, connect_args=connect_args, poolclass=StaticPool,
                                   **_JSON_CODEC)
            # ...and that one connection must not be used by two threads at once
            self._write_lock = self._read_lock = threading.RLock()
        else:
            path = Path(database)
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                sqlite3.connect(path).close()  # the one time the file is created
            self.path = path
            self._identity = _identity(path)
            # `mode=rw` never creates a file: a deleted database stays missing, loudly
            uri = f"{path.resolve().as_uri()}?mode=rw"
            engine = create_engine(
                self.url,
                creator=lambda: sqlite3.connect(uri, uri=True, **connect_args),  # type: ignore[arg-type]
                **_JSON_CODEC,
            )
            self._write_lock = _sqlite_write_lock(database)
        dialects.configure_sqlite(engine)
        return engine

    def check_file(self) -> None:
        """Raise if the SQLite file was deleted or replaced since the server opened it.

        Open connections would go on reading and writing the deleted file's inode (writes
        acknowledged, then lost); they are closed, and the request is refused.

        Raises:
            DatabaseUnavailable: the file is missing or is another file now.
        """
        if self.path is None:
            return
        now = _identity(self.path)
        if now == self._identity:
            return
        self.engine.dispose()
        if now is None:
            raise DatabaseUnavailable(
                f"The database file {self.path} is gone (deleted while the server was "
                "running): restore it from a backup and restart the server, or restart it to "
                "begin with an empty database."
            )
        raise DatabaseUnavailable(
            f"The database file {self.path} was replaced while the server was running: "
            "restart the server to use the new file."
        )

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading; its transaction ends (without writing) with the block."""
        self.check_file()
        with self._read_lock, Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextlib.contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session whose writes are committed when the block ends without an exception."""
        self.check_file()
        with self._write_lock, Session(self._write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextlib.contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in a write transaction (used to run migrations)."""
        self.check_file()
        with self._write_lock, self._write_engine.begin() as connection:
            yield connection

    def ping(self) -> None:
        """Run ``SELECT 1``; raises if the database cannot be reached."""
        self.check_file()
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of a file, or ``None`` when it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino
