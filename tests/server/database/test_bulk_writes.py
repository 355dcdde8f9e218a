"""bulk.insert_many / update_many: many rows in one statement (PostgreSQL) or an executemany.

Parametrized over SQLite and PostgreSQL by the ``database_url`` fixture (tests/server/conftest.py).
The values read back must be what the ORM would have stored: timestamps in UTC (a naive one
taken as UTC), ``None`` in a JSON column as SQL NULL, constants and varying columns alike.
"""

from __future__ import annotations

import datetime

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select, text
from sqlalchemy.orm import Session

from prefect_jupyter.server.database.bulk import insert_many, update_many
from prefect_jupyter.server.database.dialects import JSONType, UTCDateTime

UTC = datetime.UTC
T0 = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def _table(database_url: str, name: str) -> tuple[Table, object]:
    engine = create_engine(database_url)
    table = Table(name, MetaData(), Column("id", String(36), primary_key=True),
                  Column("n", Integer), Column("doc", JSONType), Column("at", UTCDateTime()),
                  Column("label", String(20)))
    table.metadata.create_all(engine)
    return table, engine


def _rows(session: Session, table: Table) -> list[tuple]:
    return [tuple(r) for r in session.execute(select(table).order_by(table.c.id)).all()]


def test_varying_and_constant_columns_are_stored_as_the_orm_would(database_url):
    table, engine = _table(database_url, "bulk_insert_test")
    naive = datetime.datetime(2026, 1, 31, 13, 0)  # taken as UTC
    plus_two = datetime.datetime(2026, 1, 31, 16, 0, tzinfo=datetime.timezone(
        datetime.timedelta(hours=2)))
    rows = [
        {"id": "a", "n": 1, "doc": {"type": "Running", "q": "it's \"quoted\""}, "at": T0,
         "label": "same"},
        {"id": "b", "n": None, "doc": None, "at": naive, "label": "same"},
        {"id": "c", "n": 3, "doc": [1, 2], "at": plus_two, "label": "same"},
    ]
    with Session(engine) as session:
        insert_many(session, table, rows)
        session.commit()
        assert _rows(session, table) == [
            ("a", 1, {"type": "Running", "q": "it's \"quoted\""}, T0, "same"),
            ("b", None, None, T0 + datetime.timedelta(hours=1), "same"),
            ("c", 3, [1, 2], T0 + datetime.timedelta(hours=2), "same"),
        ]
        # None in a JSON column is SQL NULL, not a JSON null
        nulls = session.execute(text("SELECT id FROM bulk_insert_test WHERE doc IS NULL"))
        assert [r[0] for r in nulls] == ["b"]
    engine.dispose()


def test_conflicting_rows_are_skipped_when_asked(database_url):
    table, engine = _table(database_url, "bulk_conflict_test")
    with Session(engine) as session:
        insert_many(session, table, [{"id": "a", "n": 1, "label": "first"}])
        insert_many(session, table, [{"id": "a", "n": 2, "label": "second"},
                                     {"id": "b", "n": 3, "label": "second"}],
                    ignore_conflicts=True)
        session.commit()
        assert [(r[0], r[1], r[4]) for r in _rows(session, table)] == [
            ("a", 1, "first"), ("b", 3, "second")]
    engine.dispose()


def test_update_many_sets_each_row_its_own_values(database_url):
    table, engine = _table(database_url, "bulk_update_test")
    with Session(engine) as session:
        insert_many(session, table, [{"id": i, "n": 0, "doc": {"v": 0}, "at": T0, "label": "x"}
                                     for i in ("a", "b", "c")])
        update_many(session, table, "id", [
            {"id": "a", "n": 1, "doc": {"v": 1}, "at": None, "label": "y"},
            {"id": "c", "n": 3, "doc": None, "at": T0, "label": "y"},
        ])
        update_many(session, table, "id", [{"id": "b", "n": 7}, {"id": "c", "n": 8}])
        session.commit()
        assert _rows(session, table) == [
            ("a", 1, {"v": 1}, None, "y"),
            ("b", 7, {"v": 0}, T0, "x"),
            ("c", 8, None, T0, "y"),
        ]
    engine.dispose()


def test_iso_text_from_a_runner_is_stored_as_the_time_it_names(database_url):
    # a runner's timestamps arrive as isoformat() text; stored as the same instant as a
    # datetime would be, whatever the offset, and a malformed one is refused, not stored
    table, engine = _table(database_url, "bulk_iso_test")
    rows = [
        {"id": "a", "at": "2026-01-31T12:00:00.250000+00:00"},
        {"id": "b", "at": "2026-01-31T14:00:00.250000+02:00"},
        {"id": "c", "at": "2026-01-31T12:00:00+00:00"},
    ]
    with Session(engine) as session:
        insert_many(session, table, rows)
        session.commit()
        stored = [r[0] for r in session.execute(select(table.c.at).order_by(table.c.id))]
    quarter = datetime.timedelta(milliseconds=250)
    assert stored == [T0 + quarter, T0 + quarter, T0]
    with Session(engine) as session:
        try:
            insert_many(session, table, [{"id": "d", "at": "2026-13-31T12:00:00.250000+00:00"}])
            session.commit()
        except Exception as exc:  # the driver may wrap it; the cause names the bad month
            assert "month must be in 1..12" in str(exc)
        else:
            raise AssertionError("a malformed timestamp was stored")
    engine.dispose()


def test_text_that_bulk_formats_would_escape_is_stored_as_given(database_url):
    # PostgreSQL's rows go by COPY, whose text format escapes tabs, newlines and backslashes
    table, engine = _table(database_url, "bulk_text_test")
    tricky = ["tab\there", "line\nbreak\r\n", "back\\slash", "\\N", "", "naïve ✓ 日本", "'; --"]
    rows = [{"id": f"r{i}", "n": i, "doc": {"text": text, "list": [text]}, "at": T0,
             "label": text[:20]} for i, text in enumerate(tricky)]
    with Session(engine) as session:
        insert_many(session, table, rows)
        session.commit()
        stored = _rows(session, table)
    assert [(r[0], r[2], r[4]) for r in stored] == [
        (f"r{i}", {"text": text, "list": [text]}, text[:20]) for i, text in enumerate(tricky)]
    engine.dispose()


def test_many_rows_go_in_chunks_and_come_back_in_order(database_url):
    # more rows than one chunk of COPY text, nulls and escapes in several columns
    from prefect_jupyter.server.database.bulk import COPY_CHUNK

    table, engine = _table(database_url, "bulk_chunk_test")
    count = COPY_CHUNK * 2 + 7
    rows = [{"id": f"r{i:05d}", "n": None if i % 3 else i, "doc": {"i": i, "t": "a\tb\\c"} if i % 2 else None,
             "at": T0 + datetime.timedelta(seconds=i), "label": None if i % 5 == 0 else f"x\n{i}"}
            for i in range(count)]
    with Session(engine) as session:
        insert_many(session, table, rows)
        session.commit()
        stored = _rows(session, table)
    assert stored == [(r["id"], r["n"], r["doc"], r["at"], r["label"]) for r in rows]
    engine.dispose()


def test_a_nul_character_is_refused_and_nothing_is_stored(database_url):
    # PostgreSQL's text can't hold NUL; SQLite stores it. Either way no row is half-stored.
    table, engine = _table(database_url, "bulk_nul_test")
    rows = [{"id": "a", "label": "fine"}, {"id": "b", "label": "nul\x00here"}]
    with Session(engine) as session:
        try:
            insert_many(session, table, rows)
            session.commit()
        except Exception as exc:
            session.rollback()
            assert "NUL" in str(exc) or "0x00" in str(exc)
            assert _rows(session, table) == []
        else:
            assert [r[4] for r in _rows(session, table)] == ["fine", "nul\x00here"]
    engine.dispose()
