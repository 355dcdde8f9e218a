"""Writing many rows at once, as fast as each database takes them.

A runner's report stores thousands of rows (new mapped children, state history, log records) in
one transaction; going through the ORM, or an executemany with a parameter dict per row, cost
more than the databases' own work. :func:`insert_many` and :func:`update_many` write them:

- on PostgreSQL an insert is one ``COPY ... FROM STDIN`` (rows streamed in PostgreSQL's own
  format while they are made), or, skipping conflicts, one ``INSERT ... SELECT`` from a JSON
  document read back by ``jsonb_to_recordset``; an update is one ``UPDATE ... FROM`` such a
  document;
- on SQLite both are an executemany straight through the driver, each column's values
  converted by its type's own bind processor.

The column types and dialect names are ``dialects.py``'s.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    String,
    Table,
    bindparam,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from prefect_jupyter.server.database.dialects import (
    POSTGRESQL,
    SQLITE,
    UTCDateTime,
    insert_ignoring_conflicts,
)
from prefect_jupyter.utilities import fast_json

__all__ = ["insert_many", "update_many"]

#: column types :func:`insert_many` and :func:`update_many` can send as one JSON document or
#: ``COPY`` (PostgreSQL; on SQLite an executemany straight through the driver costs less than
#: having ``json_extract`` parse each row's object again for every column)
_DOCUMENT_TYPES = (String, Integer, UTCDateTime, JSON)


def insert_many(
    session: Session, table: Table, rows: list[dict[str, Any]], ignore_conflicts: bool = False
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``, skipping rows that violate a
    unique constraint when ``ignore_conflicts``.

    On PostgreSQL this is one ``COPY ... FROM STDIN`` (the rows streamed in PostgreSQL's own
    format: it parsed a 10,000-child map's reports a fifth faster than a JSON document), or,
    skipping conflicts, one ``INSERT ... SELECT`` whose rows' varying columns travel as one JSON
    document read back by ``jsonb_to_recordset``, the others as one value each. (An
    executemany there is a statement per row; a multi-row ``VALUES`` list makes psycopg parse
    thousands of named parameters, and array parameters make it escape every element.) Both
    need columns of text, integers, timestamps or JSON; otherwise, and on SQLite, it is an
    executemany.
    """
    if not rows:
        return
    name = session.get_bind().dialect.name
    if name == POSTGRESQL and not ignore_conflicts and _copy_rows(session, table, rows):
        return
    stmt = insert_ignoring_conflicts(table, name) if ignore_conflicts else insert(table)
    source = _recordset(session, table, rows)
    if source is None and name == SQLITE:
        conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        _sqlite_executemany(session, table, rows, list(rows[0]), lambda quoted: (
            f"INSERT INTO {quoted[0]} ({', '.join(quoted[1:])}) "
            f"VALUES ({', '.join('?' * (len(quoted) - 1))}){conflict}"))
        return
    if source is None:
        session.execute(stmt, rows)
        return
    first = rows[0]
    columns = [source.c[column] if column in source.c else literal(first[column], table.c[column].type)
               for column in first]
    # WHERE: SQLite reads "ON CONFLICT" after a bare "SELECT ... FROM x" as a join constraint
    rows_of = select(*columns).select_from(source).where(true())
    session.execute(stmt.from_select(list(first), rows_of))


def update_many(session: Session, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    """Update rows of ``table``: each dict names its row by its ``key`` column and gives the
    new values of the other columns (the same columns in every dict).

    On PostgreSQL this is one ``UPDATE ... FROM jsonb_to_recordset(...)`` (see
    :func:`insert_many`, and the same column types); elsewhere an executemany.
    """
    if not rows:
        return
    source = _recordset(session, table, rows, always=(key,))
    if source is None and session.get_bind().dialect.name == SQLITE:
        columns = [column for column in rows[0] if column != key] + [key]
        _sqlite_executemany(session, table, rows, columns, lambda quoted: (
            f"UPDATE {quoted[0]} SET {', '.join(f'{c} = ?' for c in quoted[1:-1])} "
            f"WHERE {quoted[-1]} = ?"))
        return
    if source is None:
        stmt = update(table).where(table.c[key] == bindparam("many_key"))
        session.execute(stmt, [{**row, "many_key": row[key]} for row in rows])
        return
    first = rows[0]
    session.execute(
        update(table).where(table.c[key] == source.c[key]).values({
            column: source.c[column] if column in source.c
            else literal(first[column], table.c[column].type)
            for column in first if column != key
        })
    )


def _sqlite_executemany(
    session: Session, table: Table, rows: list[dict[str, Any]], columns: list[str],
    sql: Callable[[list[str]], str],
) -> None:
    """An executemany of ``sql`` (made from the quoted table name and ``columns``) straight
    through the driver, each row's values in ``columns`` order converted by its column type's
    own bind processor — what SQLAlchemy would bind, without building and processing a
    parameter dict per row (which cost more than SQLite's own work for a batch)."""
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    processors = [table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
                  for column in columns]
    processors = [_remembering(session, process)
                  if process is not None and isinstance(table.c[column].type, JSON) else process
                  for column, process in zip(columns, processors, strict=True)]
    # column by column: one comprehension per column, not a generator per row
    values_of = []
    for column, process in zip(columns, processors, strict=True):
        values = [row[column] for row in rows]
        if process is not None:
            values = [None if value is None else process(value) for value in values]
        values_of.append(values)
    statement = sql([quote(table.name), *(quote(column) for column in columns)])
    session.connection().exec_driver_sql(statement, list(zip(*values_of, strict=True)))


def _remembering(session: Session, process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A JSON column's bind processor that remembers each document's text while ``session``
    lasts: a batch of states writes the same document to a task run and to its history row."""
    texts: dict[int, tuple[Any, Any]] = session.info.setdefault("json_texts", {})

    def remembered(value: Any) -> Any:
        seen = texts.get(id(value))
        if seen is not None and seen[0] is value:
            return seen[1]
        text = process(value)
        texts[id(value)] = (value, text)
        return text

    return remembered


def _copy_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> bool:
    """Insert ``rows`` with PostgreSQL's ``COPY ... FROM STDIN`` (psycopg 3); whether it could
    (columns of text, integers, timestamps or JSON)."""
    columns = list(rows[0])
    types = [table.c[column].type for column in columns]
    if not all(isinstance(t, _DOCUMENT_TYPES) for t in types):
        return False
    dbapi = session.connection().connection.dbapi_connection
    if not hasattr(dbapi, "cursor") or not hasattr(dbapi.cursor(), "copy"):
        return False
    dialect = session.get_bind().dialect
    stamp = UTCDateTime().process_bind_param
    texts: dict[int, tuple[Any, str]] = {}  # a batch writes one state to a run and its history

    def json_text(value: Any) -> str:
        seen = texts.get(id(value))
        if seen is None or seen[0] is not value:
            seen = texts[id(value)] = (value, fast_json.dumps_text(value))
        return seen[1]

    json_columns = [i for i, t in enumerate(types) if isinstance(t, JSON)]
    stamp_columns = [i for i, t in enumerate(types) if isinstance(t, UTCDateTime)]
    quote = dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    values_of = operator.itemgetter(*columns) if len(columns) > 1 else (
        lambda row: (row[columns[0]],))
    converted = json_columns or stamp_columns
    # row by row while the copy is open: PostgreSQL takes in the first rows while the next are
    # made
    with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
        write = copy.write_row
        for row in rows:
            values = values_of(row)
            if converted:
                values = list(values)
                for i in json_columns:
                    if values[i] is not None:
                        values[i] = json_text(values[i])
                for i in stamp_columns:
                    value = values[i]
                    if value is not None and not (type(value) is datetime.datetime
                                                  and value.tzinfo is datetime.UTC):
                        values[i] = stamp(value, dialect)
            write(values)
    return True


def _recordset(
    session: Session, table: Table, rows: list[dict[str, Any]], always: tuple[str, ...] = ()
) -> Any:
    """The columns of ``rows`` whose values differ between rows (and those in ``always``), as
    a subquery over one JSON parameter (PostgreSQL); ``None`` where that does not apply."""
    dialect = session.get_bind().dialect
    if dialect.name != POSTGRESQL:
        return None
    first = rows[0]
    count = len(rows)
    # list.count compares in C: a column is constant when every row has the first row's value
    names = [column for column in first
             if column in always or [row[column] for row in rows].count(first[column]) != count]
    types = [table.c[column].type for column in names]
    if not names or not all(isinstance(t, _DOCUMENT_TYPES) for t in types):
        return None
    stamps = [column for column, t in zip(names, types, strict=True)
              if isinstance(t, UTCDateTime)]
    convert = UTCDateTime().process_bind_param  # as UTCDateTime binds: aware, in UTC
    document = fast_json.dumps_text(
        [{**{c: row[c] for c in names}, **{c: convert(row[c], dialect) for c in stamps}}
         for row in rows],
        default=_isoformat,
    )
    spec = ", ".join(f'"{column}" {t.compile(dialect=dialect)}'
                     for column, t in zip(names, types, strict=True))
    query = text(f"SELECT * FROM jsonb_to_recordset(CAST(:many AS JSONB)) AS many({spec})")
    return (query.bindparams(many=document)
            .columns(*[table.c[column] for column in names]).subquery("many"))


def _isoformat(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
