"""SQLiteScript and SQLiteQuery on a real SQLite file."""

from __future__ import annotations

import pytest

from prefect_jupyter import Flow
from prefect_jupyter.tasks.database import SQLiteQuery, SQLiteScript


def test_script_then_parametrized_query_in_a_flow(tmp_path):
    db = str(tmp_path / "books.db")
    script = SQLiteScript(db=db, script="""
        CREATE TABLE book (title TEXT, year INTEGER);
        INSERT INTO book VALUES ('Dune', 1965), ('Neuromancer', 1984);
    """)
    query = SQLiteQuery(db=db)
    with Flow("sqlite") as flow:
        rows = query(query="SELECT title FROM book WHERE year > ? ORDER BY title", data=(1960,),
                     upstream_tasks=[script])
    state = flow.run()
    assert state.is_successful()
    assert state.result[rows].result == [("Dune",), ("Neuromancer",)]


def test_query_changes_are_committed(tmp_path):
    db = str(tmp_path / "t.db")
    SQLiteScript(db=db, script="CREATE TABLE t (x INTEGER);").run()
    SQLiteQuery(db=db).run(query="INSERT INTO t VALUES (?)", data=(7,))
    assert SQLiteQuery(db=db).run(query="SELECT x FROM t") == [(7,)]


def test_an_unreachable_database_is_a_failed_state_naming_the_file(tmp_path):
    db = str(tmp_path / "no" / "such" / "dir" / "x.db")
    with Flow("bad") as flow:
        rows = SQLiteQuery(db=db, query="SELECT 1")()
    state = flow.run().result[rows]
    assert state.is_failed()
    assert "could not open the SQLite database" in state.message and db in state.message


@pytest.mark.parametrize(
    ("task", "message"),
    [
        (SQLiteQuery(query="SELECT 1"), "The db must be specified"),
        (SQLiteQuery(db=":memory:"), "The query string must be specified"),
        (SQLiteQuery(db=":memory:", query="SELECT ?"), "data inputs must be specified"),
        (SQLiteScript(db=":memory:"), "The query script string must be specified"),
    ],
)
def test_missing_arguments_raise_before_any_work(task, message):
    with pytest.raises(ValueError, match=message):
        task.run()
