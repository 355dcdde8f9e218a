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
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from prefect_jupyter.server.database import dialects

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
        if self.dialect_name == dialects.SQLITE:
            self.engine = self._sqlite_engine()
            self._write_engine = self.engine.execution_options(sqlite_immediate=True)
        else:
            self.engine = create_engine(
                self.url, pool_size=10, max_overflow=20, pool_pre_ping=True
            )
            self._write_engine = self.engine

    def _sqlite_engine(self) -> Any:
        database = self.url.database
        connect_args = {"check_same_thread": False, "timeout": 30}
        if not database or database == ":memory:":
            # one shared connection, or every connection would see its own empty database
            engine = create_engine(self.url, connect_args=connect_args, poolclass=StaticPool)
            # ...and that one connection must not be used by two threads at once
            self._write_lock = self._read_lock = threading.RLock()
        else:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, connect_args=connect_args)
            self._write_lock = _sqlite_write_lock(database)
        dialects.configure_sqlite(engine)
        return engine

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading; its transaction ends (without writing) with the block."""
        with self._read_lock, Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextlib.contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session whose writes are committed when the block ends without an exception."""
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
        with self._write_lock, self._write_engine.begin() as connection:
            yield connection

    def ping(self) -> None:
        """Run ``SELECT 1``; raises if the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
