"""``PostgresExecute``, ``PostgresExecuteMany`` and ``PostgresFetch``: SQL on PostgreSQL.

Each run opens one connection (psycopg 3), runs the statement in a transaction and closes the
connection. Changes are kept only with ``commit=True``; otherwise the transaction is rolled back,
as in Prefect 1. The password is a run argument only (pass it from a secret task, e.g.
``PrefectSecret("PG_PASSWORD")``) so that it is never stored on the task.

Example:
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.tasks.postgres import PostgresFetch
    >>> from prefect_jupyter.tasks.secrets import PrefectSecret
    >>> fetch = PostgresFetch(db_name="app", user="app", host="127.0.0.1", fetch="all")
    >>> with Flow("report") as flow:
    ...     rows = fetch(query="SELECT id, name FROM users", password=PrefectSecret("PG_PASSWORD"))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from prefect_jupyter.core.task import Task
from prefect_jupyter.utilities.tasks import defaults_from_attrs

__all__ = ["PostgresExecute", "PostgresExecuteMany", "PostgresFetch"]

_FETCH_MODES = ("one", "many", "all")


@contextmanager
def _cursor(
    task: _PostgresTask, db_name: str | None, user: str | None, host: str | None, port: int,
    password: str | None, commit: bool,
) -> Iterator[psycopg.Cursor]:
    """A cursor in one transaction, committed only when ``commit`` is set."""
    try:
        connection = psycopg.connect(
            dbname=db_name, user=user, password=password, host=host, port=port,
            connect_timeout=task.connect_timeout,
        )
    except psycopg.OperationalError as exc:
        # psycopg's message names host, port and the reason, never the password
        raise psycopg.OperationalError(
            f"{task.name} could not connect to PostgreSQL database {db_name!r} at "
            f"{host or 'localhost'}:{port} as {user!r}: {str(exc).strip()}"
        ) from exc
    with connection:
        with connection.cursor() as cursor:
            yield cursor
        if not commit:
            connection.rollback()


class _PostgresTask(Task):
    """The connection arguments every PostgreSQL task shares."""

    connect_timeout = 10

    def __init__(
        self,
        db_name: str | None = None,
        user: str | None = None,
        host: str | None = None,
        port: int = 5432,
        query: str | None = None,
        data: Any = None,
        commit: bool = False,
        **kwargs: Any,
    ) -> None:
        self.db_name = db_name
        self.user = user
        self.host = host
        self.port = port
        self.query = query
        self.data = data
        self.commit = commit
        super().__init__(**kwargs)

    def _run_sql(self, query: str | None, work: Callable[[psycopg.Cursor], Any], **conn: Any) -> Any:
        if not query:
            raise ValueError("A query string must be provided.")
        with _cursor(self, **conn) as cursor:
            return work(cursor)


class PostgresExecute(_PostgresTask):
    """Run one statement (``INSERT``, ``UPDATE``, DDL, ...) on PostgreSQL.

    Args:
        db_name: the database name.
        user: the user to connect as.
        host: the server's host.
        port: the server's port (5432).
        query: the statement; ``%s`` / ``%(name)s`` placeholders are filled from ``data``.
        data: values for the placeholders.
        commit: commit the transaction (otherwise it is rolled back).
        **kwargs: passed on to `Task`.
    """

    @defaults_from_attrs("db_name", "user", "host", "port", "query", "data", "commit")
    def run(
        self,
        db_name: str | None = None,
        user: str | None = None,
        host: str | None = None,
        port: int = 5432,
        query: str | None = None,
        data: tuple | dict | None = None,
        commit: bool = False,
        password: str | None = None,
    ) -> None:
        """Run the statement.

        Raises:
            ValueError: no query was given.
            psycopg.OperationalError: the server cannot be reached (naming host and port).
        """
        def work(cursor: psycopg.Cursor) -> None:
            cursor.execute(query, data)

        self._run_sql(
            query, work,
            db_name=db_name, user=user, host=host, port=port, password=password, commit=commit,
        )


class PostgresExecuteMany(_PostgresTask):
    """Run one statement once for each item of ``data`` (``executemany``) on PostgreSQL.

    Args: as `PostgresExecute`, with ``data`` a list of tuples or dicts.
    """

    @defaults_from_attrs("db_name", "user", "host", "port", "query", "data", "commit")
    def run(
        self,
        db_name: str | None = None,
        user: str | None = None,
        host: str | None = None,
        port: int = 5432,
        query: str | None = None,
        data: list | None = None,
        commit: bool = False,
        password: str | None = None,
    ) -> None:
        """Run the statement for every item of ``data``.

        Raises:
            ValueError: no query or an empty ``data`` list was given.
            psycopg.OperationalError: the server cannot be reached.
        """
        if query and not data:
            raise ValueError("A data list must be provided.")
        def work(cursor: psycopg.Cursor) -> None:
            cursor.executemany(query, data)

        self._run_sql(
            query, work,
            db_name=db_name, user=user, host=host, port=port, password=password, commit=commit,
        )


class PostgresFetch(_PostgresTask):
    """Run a query on PostgreSQL and return one row, ``fetch_count`` rows or all rows.

    Args:
        fetch: ``"one"`` (a tuple), ``"many"`` (a list of ``fetch_count`` tuples) or ``"all"``.
        fetch_count: how many rows ``"many"`` returns.
        Others: as `PostgresExecute`.
    """

    def __init__(self, *args: Any, fetch: str = "one", fetch_count: int = 10, **kwargs: Any) -> None:
        self.fetch = fetch
        self.fetch_count = fetch_count
        super().__init__(*args, **kwargs)

    @defaults_from_attrs(
        "db_name", "user", "host", "port", "fetch", "fetch_count", "query", "data", "commit"
    )
    def run(
        self,
        db_name: str | None = None,
        user: str | None = None,
        host: str | None = None,
        port: int = 5432,
        fetch: str = "one",
        fetch_count: int = 10,
        query: str | None = None,
        data: tuple | dict | None = None,
        commit: bool = False,
        password: str | None = None,
        col_names: bool = False,
    ) -> Any:
        """Run the query and fetch its rows.

        Args:
            col_names: put a tuple of the column names first (the result is then a list).

        Raises:
            ValueError: no query was given or ``fetch`` is not one of "one", "many", "all".
            psycopg.OperationalError: the server cannot be reached.
        """
        if query and fetch not in _FETCH_MODES:
            raise ValueError(
                "The 'fetch' parameter must be one of the following - ('one', 'many', 'all')"
            )

        def work(cursor: psycopg.Cursor) -> Any:
            cursor.execute(query, data)
            if fetch == "all":
                records: Any = cursor.fetchall()
            elif fetch == "many":
                records = cursor.fetchmany(fetch_count)
            else:
                records = cursor.fetchone()
            if col_names:
                header = tuple(column.name for column in cursor.description or ())
                rows = [records] if isinstance(records, tuple) else list(records or [])
                records = [header, *rows]
            return records

        return self._run_sql(
            query, work,
            db_name=db_name, user=user, host=host, port=port, password=password, commit=commit,
        )
