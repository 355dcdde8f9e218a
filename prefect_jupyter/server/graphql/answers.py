"""Answers to identical read queries, reused until the database changes.

A browser tab of the web UI polls the same few queries every few seconds, and 200 tabs ask the
server the same thing 200 times between two writes. :class:`AnswerCache` keeps the encoded
answer of a successful query (no ``errors``) under its key — query text, operation name,
variables, and the query limits in force — together with the database's *data version* at the
moment the query started. A later request with the same key gets those bytes back only if the
data version is still the same, so **an answer is never older than the last committed write**,
whoever made it: this server, another server on the same database, a migration, a person at
``psql``. The version is read from the database itself, not counted by the write paths:

- SQLite: ``PRAGMA data_version`` on a connection of the cache's own that never writes. SQLite
  changes it whenever another connection — of this process or any other — commits.
- PostgreSQL: ``pg_current_snapshot()``. Two equal snapshots see exactly the same committed
  transactions (of the whole cluster, so writes to other databases invalidate too: cautious,
  never stale).

The version is read before the query runs, so the answer stored under it holds every write
committed up to then (and perhaps later ones); a request that reads the same version later has
had no write committed in between.

An in-memory SQLite database (tests) has no second connection to watch: nothing is cached.

A few fields depend on the clock (and settings) as well as the data — :data:`CLOCK_FIELDS`,
e.g. ``flow_run.late_reason`` ("Late by 5 min: ...") — so an answer that selects one is also
dropped ``answer_cache_seconds`` after its query started (1 s by default; 0: such answers are
not kept). Mutations are never cached; neither are answers with errors, nor any answer over
``answer_cache_max_answer_bytes`` (``answer_cache_bytes = 0`` turns the cache off). The cache is a least-recently-used map bounded by the bytes
it holds (``answer_cache_bytes``; key texts and answers), so the server's memory stays bounded.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, FieldNode
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from prefect_jupyter.server.database import dialects
from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.graphql.limits import QueryLimits
from prefect_jupyter.utilities.logging import get_logger

logger = get_logger("server")

#: The version used when a database cannot say (nothing is cached then).
UNKNOWN = None

#: Fields whose value depends on the clock or the settings as well as on the data (by name, on
#: any type: cautious). A resolver that reads the clock or ``config`` must be named here.
CLOCK_FIELDS = frozenset({"late_reason"})


def selects_clock_fields(document: DocumentNode) -> bool:
    """Whether ``document`` selects any of :data:`CLOCK_FIELDS` (fragments included)."""
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode) and node.name.value in CLOCK_FIELDS:
            return True
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return False


class DataVersion:
    """What changes whenever a write is committed to one database (see the module docstring).

    Args:
        database: the database to watch.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._watcher: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @property
    def known(self) -> bool:
        """Whether this database can say when it changed (not an in-memory SQLite one)."""
        return self.database.dialect_name == dialects.POSTGRESQL or self.database.path is not None

    def read(self) -> Hashable | None:
        """The version now, or :data:`UNKNOWN` when it cannot be read.

        A database that fails here fails the request's own session next, which reports it.
        """
        try:
            if self.database.dialect_name == dialects.POSTGRESQL:
                with self.database.engine.connect() as connection:
                    return connection.execute(text("SELECT pg_current_snapshot()::text")).scalar()
            if self.database.path is None:
                return UNKNOWN
            with self._lock:
                if self._watcher is None:
                    uri = f"{self.database.path.resolve().as_uri()}?mode=rw"
                    self._watcher = sqlite3.connect(uri, uri=True, check_same_thread=False,
                                                    isolation_level=None)
                return self._watcher.execute("PRAGMA data_version").fetchone()[0]
        except (sqlite3.Error, SQLAlchemyError) as exc:
            logger.warning("Cannot read the database's data version (%s): not caching", exc)
            return UNKNOWN

    def close(self) -> None:
        with self._lock:
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None


@dataclass(frozen=True)
class _Entry:
    version: Hashable
    expires: float
    body: bytes
    size: int


def answer_key(text_: str, operation_name: str | None, variables: dict | None,
               limits: QueryLimits) -> tuple[Any, ...]:
    """The cache key of a request: equal keys ask exactly the same question."""
    encoded = json.dumps(variables, sort_keys=True, separators=(",", ":"), default=str)
    return text_, operation_name, encoded, limits


class AnswerCache:
    """Encoded answers of read queries by key, valid while the data version holds.

    Thread-safe: requests run in a thread pool. ``hits`` and ``misses`` count lookups.

    Args:
        database: the database whose answers are kept.
        clock: seconds, for the entries' age (tests pass their own).
    """

    def __init__(self, database: Database, clock: Callable[[], float] = time.monotonic) -> None:
        self.version = DataVersion(database)
        self.clock = clock
        self._entries: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.total_bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def enabled(self, limits: QueryLimits, clock_dependent: bool = False) -> bool:
        """Whether answers are kept under ``limits`` (settings on, database can say)."""
        if clock_dependent and not limits.answer_cache_seconds:
            return False
        return bool(limits.answer_cache_bytes) and self.version.known

    def get(self, key: tuple[Any, ...], version: Hashable) -> bytes | None:
        """The answer stored under ``key`` at ``version``, unless it has expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version or self.clock() > entry.expires:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.body

    def put(self, key: tuple[Any, ...], version: Hashable, body: bytes, limits: QueryLimits,
            started: float | None = None) -> None:
        """Keep ``body``, computed at ``version``; with ``started`` (the clock when its query
        started), for ``answer_cache_seconds`` only."""
        if version is UNKNOWN:
            return
        expires = math.inf if started is None else started + limits.answer_cache_seconds
        size = len(body) + len(key[0]) + len(key[2])
        if size > min(limits.answer_cache_max_answer_bytes, limits.answer_cache_bytes):
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.total_bytes -= old.size
            self._entries[key] = _Entry(version, expires, body, size)
            self.total_bytes += size
            while self.total_bytes > limits.answer_cache_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.total_bytes -= dropped.size

    def now(self) -> float:
        return self.clock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.total_bytes = 0

    def close(self) -> None:
        """Forget every answer and close the watching connection."""
        self.clear()
        self.version.close()
