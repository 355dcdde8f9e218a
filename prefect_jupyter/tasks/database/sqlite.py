"""``SQLiteQuery`` and ``SQLiteScript``: run SQL on a SQLite database file.

Example:
    >>> from prefect_jupyter.tasks.database.sqlite import SQLiteQuery, SQLiteScript
    >>> SQLiteScript(db=":memory:", script="CREATE TABLE t (x); INSERT INTO t VALUES (1);").run()
    >>> SQLiteQuery(db=":memory:", query="SELECT 1 + ?", data=(1,)).run()
    [(2,)]
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.utilities.tasks import defaults_from_attrs

__all__ = ["SQLiteQuery", "SQLiteScript"]


@contextmanager
def _cursor(db: str, task_name: str) -> Iterator[sqlite3.Cursor]:
    """A cursor on ``db`` whose changes are committed when the block ends without error."""
    try:
        connection = sqlite3.connect(db)
    except sqlite3.OperationalError as exc:
        raise sqlite3.OperationalError(
            f"{task_name} could not open the SQLite database {db!r}: {exc} (does its "
            "directory exist and is it writable?)"
        ) from exc
    with closing(connection), connection, closing(connection.cursor()) as cursor:
        yield cursor


class SQLiteQuery(Task):
    """Run one SQL statement on a SQLite database and return the rows it produces.

    Args:
        db: path of the database file (``":memory:"`` for a throwaway database).
        query: the statement; ``?`` placeholders are filled from ``data``.
        data: values for the placeholders, as a tuple.
        **kwargs: passed on to `Task`.
    """

    def __init__(
        self, db: str | None = None, query: str | None = None, data: tuple = (), **kwargs: Any
    ) -> None:
        self.db = db
        self.query = query
        self.data = data
        super().__init__(**kwargs)

    @defaults_from_attrs("db", "query", "data")
    def run(self, db: str | None = None, query: str | None = None, data: tuple = ()) -> list[tuple]:
        """Run the query (changes are committed).

        Returns:
            The rows, as a list of tuples (empty for statements that return none).

        Raises:
            ValueError: ``db`` or ``query`` is missing, or the query has ``?`` placeholders
                but no ``data``.
            sqlite3.OperationalError: the database cannot be opened or the SQL is invalid.
        """
        if db is None:
            raise ValueError("The db must be specified (the path of the SQLite file).")
        if query is None:
            raise ValueError("The query string must be specified.")
        if "?" in query and not data:
            raise ValueError(
                "The data inputs must be specified as a tuple if query contains "
                "parametrized values '?'."
            )
        with _cursor(db, self.name) as cursor:
            cursor.execute(query, data)
            return cursor.fetchall()


class SQLiteScript(Task):
    """Run a script of SQL statements (separated by ``;``) on a SQLite database.

    Args:
        db: path of the database file.
        script: the statements to run.
        **kwargs: passed on to `Task`.
    """

    def __init__(self, db: str | None = None, script: str | None = None, **kwargs: Any) -> None:
        self.db = db
        self.script = script
        super().__init__(**kwargs)

    @defaults_from_attrs("db", "script")
    def run(self, db: str | None = None, script: str | None = None) -> None:
        """Run the script (changes are committed).

        Raises:
            ValueError: ``db`` or ``script`` is missing.
            sqlite3.OperationalError: the database cannot be opened or the SQL is invalid.
        """
        if db is None:
            raise ValueError("The db must be specified (the path of the SQLite file).")
        if script is None:
            raise ValueError("The query script string must be specified.")
        with _cursor(db, self.name) as cursor:
            cursor.executescript(script)
