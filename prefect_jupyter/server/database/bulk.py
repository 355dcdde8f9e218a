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
import re
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
    (columns of text, integers, timestamps or JSON).

    The rows are sent as ``COPY``'s text, made here a column at a time (:func:`_copy_text`)
    for :data:`COPY_CHUNK` rows at a time: PostgreSQL takes in one chunk while the next is
    made. (psycopg's ``write_row`` looks up and calls a dumper for every value: for a report's
    rows it cost the server more than all its other work on them.)
    """
    columns = list(rows[0])
    types = [table.c[column].type for column in columns]
    if not all(isinstance(t, _DOCUMENT_TYPES) for t in types):
        return False
    dbapi = session.connection().connection.dbapi_connection
    if not hasattr(dbapi, "cursor") or not hasattr(dbapi.cursor(), "copy"):
        return False
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    convert = [_copy_converter(t, dialect) for t in types]
    with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
        for start in range(0, len(rows), COPY_CHUNK):
            chunk = rows[start:start + COPY_CHUNK]
            text = _copy_text(chunk, columns, convert)
            if text is None:  # a value COPY's text can't carry as given: psycopg's own way
                write = copy.write_row
                for row in chunk:
                    write([None if value is None else convert_one(value) for value, convert_one
                           in zip((row[c] for c in columns), convert, strict=True)])
            else:
                copy.write(text)
    return True


#: rows of a ``COPY`` made and sent at a time (see :func:`_copy_rows`)
COPY_CHUNK = 1_000

#: ``COPY``'s text format: these characters in a value are written as escapes
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_TEXT_OR_NULL = frozenset({str, type(None)})
_COPY_NULL = "\\N"


def _copy_text(rows: list[dict[str, Any]], columns: list[str],
               convert: list[Callable[[Any], Any]]) -> str | None:
    """``rows`` in ``COPY``'s text format, a line per row; ``None`` if a value has a NUL
    character (PostgreSQL's text can't hold it: left to psycopg, which reports it)."""
    texts = []
    for column, convert_column in zip(columns, convert, strict=True):
        values = [row[column] for row in rows]
        kinds = set(map(type, values))
        nulls = type(None) in kinds
        if convert_column is _string_text and kinds <= _TEXT_OR_NULL:  # as they are
            escaped = _escaped(["" if value is None else value for value in values]
                               if nulls else values)
        elif nulls:
            escaped = _escaped(["" if value is None else convert_column(value) for value in values])
        else:
            escaped = _escaped(list(map(convert_column, values)))
        if escaped is None:
            return None
        if nulls:
            escaped = [_COPY_NULL if value is None else text
                       for value, text in zip(values, escaped, strict=True)]
        texts.append(escaped)
    return "\n".join(map("\t".join, zip(*texts, strict=True))) + "\n"


def _escaped(texts: list[str]) -> list[str] | None:
    """``texts`` with ``COPY``'s escapes, checked and made for the whole column at once."""
    joined = "\x00".join(texts)  # NUL: never in PostgreSQL text, so it can part the values
    if joined.count("\x00") != len(texts) - 1:
        return None
    # four scans for one character each: faster than one for a character class
    if not ("\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined):
        return texts
    return joined.translate(_COPY_ESCAPES).split("\x00")


def _copy_converter(column_type: Any, dialect: Any) -> Callable[[Any], Any]:
    """How a column's (non-null) values become ``COPY`` text."""
    if isinstance(column_type, JSON):
        texts: dict[int, tuple[Any, str]] = {}  # a batch writes one state to a run and its history

        def json_text(value: Any) -> str:
            seen = texts.get(id(value))
            if seen is None or seen[0] is not value:
                seen = texts[id(value)] = (value, fast_json.dumps_text(value))
            return seen[1]

        return json_text
    if isinstance(column_type, UTCDateTime):
        stamp = column_type.process_bind_param
        last: list[tuple[Any, str]] = [(None, "")]  # most times of a batch are one "now"

        def time_text(value: Any) -> str:
            seen, text = last[0]
            if value is seen:
                return text
            if type(value) is str and _RUNNER_TIME.fullmatch(value):
                datetime.datetime.fromisoformat(value)  # checked (a 13th month is refused)
                text = value
            else:
                text = stamp(value, dialect).isoformat()
            last[0] = (value, text)
            return text

        return time_text
    if isinstance(column_type, Integer):
        return _integer_text
    return _string_text


def _integer_text(value: Any) -> str:
    return str(operator.index(value))


def _string_text(value: Any) -> str:
    return value if type(value) is str else str(value)


#: a UTC time as ``isoformat()`` writes it, which PostgreSQL reads as it is
_RUNNER_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00")


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
