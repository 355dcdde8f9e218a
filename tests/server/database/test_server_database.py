"""The database layer: migrations on an empty database, SQLite's setup (WAL, foreign keys,
one writer path), UTC timestamps, URLs, and transactions that write nothing on error."""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap
import threading

import pytest
from sqlalchemy import inspect, select, text

from prefect_jupyter.server.database.engine import Database, normalize_url
from prefect_jupyter.server.database.migrate import (
    HEAD_REVISION,
    current_revision,
    script_head_revision,
    upgrade_database,
)
from prefect_jupyter.server.database.models import MODELS, Base, FlowGroup, Project

TABLES = {"project", "flow_group", "flow", "task", "edge", "flow_run", "task_run", "flow_run_state",
          "task_run_state", "log", "agent", "task_run_artifact"}


@pytest.fixture
def database(empty_database_url):
    db = Database(empty_database_url)
    yield db
    db.dispose()


def test_migrations_create_every_table_on_an_empty_database(database):
    assert current_revision(database) is None
    upgrade_database(database)
    with database.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    assert TABLES | {"alembic_version"} == tables
    assert current_revision(database) == HEAD_REVISION
    upgrade_database(database)  # a second start changes nothing
    assert current_revision(database) == HEAD_REVISION


def test_the_migrated_schema_matches_the_models(database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade_database(database)
    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_head_revision_constant_is_the_newest_script():
    assert script_head_revision() == HEAD_REVISION


def test_the_indexes_the_queries_need_exist(database):
    upgrade_database(database)
    with database.engine.connect() as connection:
        inspector = inspect(connection)
        indexes = {t: [tuple(i["column_names"]) for i in inspector.get_indexes(t)] for t in TABLES}
        uniques = {t: [tuple(u["column_names"]) for u in inspector.get_unique_constraints(t)]
                   for t in TABLES}
    assert ("state", "scheduled_start_time") in indexes["flow_run"]
    assert ("state", "state_start_time") in indexes["flow_run"]
    assert ("flow_run_id", "timestamp") in indexes["log"]
    assert ("flow_run_id", "task_id", "map_index") in uniques["task_run"]
    assert ("version_group_id", "version") in uniques["flow"]


def test_timestamps_come_back_aware_in_utc(database):
    upgrade_database(database)
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    with database.write_session() as session:
        aware = Project(name="aware", created=datetime.datetime(2024, 5, 1, 14, tzinfo=plus_two))
        naive = Project(name="naive", created=datetime.datetime(2024, 5, 1, 12))
        session.add_all([aware, naive])
    with database.read_session() as session:
        rows = dict(session.execute(select(Project.name, Project.created)).all())
    expected = datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC)
    assert rows == {"aware": expected, "naive": expected}
    assert rows["aware"].tzinfo == datetime.UTC


def test_a_failing_write_session_writes_nothing(database):
    upgrade_database(database)
    with pytest.raises(RuntimeError), database.write_session() as session:
        session.add(Project(name="half"))
        session.flush()
        raise RuntimeError("boom")
    with database.read_session() as session:
        assert session.execute(select(Project)).first() is None


def test_every_model_is_exposed():
    assert set(MODELS) == TABLES


# -- SQLite ------------------------------------------------------------------------------------
def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'server.db'}")
    try:
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert (tmp_path / "nested" / "dir" / "server.db").exists()
    finally:
        db.dispose()


def test_sqlite_writers_in_many_threads_never_see_database_is_locked(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    upgrade_database(db)
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(20):
                with db.write_session() as session:
                    count = session.execute(text("SELECT count(*) FROM project")).scalar()
                    session.add(Project(name=f"p-{worker}-{i}", description=str(count)))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        with db.read_session() as session:
            assert session.execute(text("SELECT count(*) FROM project")).scalar() == 160
    finally:
        db.dispose()


WRITER = textwrap.dedent(
    """
    import sys
    from sqlalchemy import text
    from prefect_jupyter.server.database.engine import Database
    from prefect_jupyter.server.database.models import Project
    db = Database(sys.argv[1])
    for i in range(15):
        with db.write_session() as session:
            session.execute(text("SELECT count(*) FROM project")).scalar()
            session.add(Project(name=f"{sys.argv[2]}-{i}"))
    db.dispose()
    """
)


def test_sqlite_writers_in_two_processes_wait_for_each_other(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    db = Database(url)
    upgrade_database(db)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, name], stderr=subprocess.PIPE)
        for name in ("a", "b")
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    try:
        assert [p.returncode for p in procs] == [0, 0], errors
        with db.read_session() as session:
            assert session.execute(text("SELECT count(*) FROM project")).scalar() == 30
    finally:
        db.dispose()


# -- URLs ----------------------------------------------------------------------------------------
def test_postgresql_urls_use_psycopg_3():
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


def test_sqlite_paths_expand_the_home_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert normalize_url("sqlite:///~/x/server.db").database == str(tmp_path / "x" / "server.db")


def test_other_databases_are_refused_with_the_supported_ones_named():
    with pytest.raises(ValueError, match="SQLite or PostgreSQL, not 'mysql'"):
        normalize_url("mysql://u@h/db")
    with pytest.raises(ValueError, match="Cannot parse the database URL"):
        normalize_url("no url at all")


def _filler(column_type, now):
    """A value of ``column_type`` for a required column a test does not care about."""
    name = type(column_type).__name__.upper()
    if "INT" in name:
        return 0
    if "BOOL" in name:
        return False
    if "TIME" in name or "DATE" in name:
        return now
    if "JSON" in name:
        return "{}"
    return "x"


def _at_revision_with_rows(database, revision: str, names: list[str]) -> None:
    """Migrate ``database`` up to ``revision`` only, then write one row into each of the
    tables ``names`` (in order; the columns a row needs beyond these get fillers)."""
    from alembic import command

    from prefect_jupyter.server.database.migrate import alembic_config

    config = alembic_config()
    with database.write_connection() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    rows = {
        "project": {"id": "p", "name": "p", "created": now, "updated": now},
        "flow_group": {"id": "fg", "name": "f", "settings": "{}", "created": now,
                       "updated": now},
        "flow": {"id": "f", "project_id": "p", "name": "f", "version": 1,
                 "version_group_id": "g", "archived": False, "is_schedule_active": False,
                 "created": now, "updated": now},
        "task": {"id": "t", "flow_id": "f", "slug": "t-1", "name": "t", "created": now,
                 "updated": now},
        "flow_run": {"id": "r", "flow_id": "f", "version": 1, "created": now, "updated": now},
        "flow_run_state": {"id": "fs", "flow_run_id": "r", "state": "Scheduled", "version": 1,
                           "timestamp": now},
        "task_run": {"id": "tr", "flow_run_id": "r", "task_id": "t", "map_index": -1,
                     "version": 1, "created": now, "updated": now},
        "task_run_state": {"id": "s", "task_run_id": "tr", "state": "Pending", "version": 1,
                           "timestamp": now},
        "log": {"id": "l", "flow_run_id": "r", "task_run_id": "tr", "level": "INFO",
                "message": "kept", "timestamp": now},
    }
    with database.write_connection() as connection:
        inspector = inspect(connection)
        for table in names:
            columns = inspector.get_columns(table)
            values = {k: v for k, v in rows[table].items() if k in {c["name"] for c in columns}}
            for column in columns:  # what else the row needs
                if not column["nullable"] and column["name"] not in values:
                    values[column["name"]] = _filler(column["type"], now)
            connection.execute(text(f"INSERT INTO {table} ({', '.join(values)}) VALUES "
                                    f"({', '.join(':' + k for k in values)})"), values)


def test_upgrading_keeps_logs_and_state_history_and_drops_their_foreign_keys(database):
    """Revision 0006: ``log`` and ``task_run_state`` lose their foreign keys (SQLite rebuilds
    both tables), and every row stays."""
    _at_revision_with_rows(database, "0005", ["project", "flow", "task", "flow_run", "task_run",
                                              "task_run_state", "log"])
    with database.engine.connect() as connection:
        inspector = inspect(connection)
        assert inspector.get_foreign_keys("log") and inspector.get_foreign_keys("task_run_state")

    upgrade_database(database)

    assert current_revision(database) == HEAD_REVISION
    with database.engine.connect() as connection:
        inspector = inspect(connection)
        assert inspector.get_foreign_keys("log") == []
        assert inspector.get_foreign_keys("task_run_state") == []
        assert connection.execute(text("SELECT message FROM log")).scalars().all() == ["kept"]
        assert connection.execute(text("SELECT task_run_id FROM task_run_state")).scalars().all() \
            == ["tr"]
        assert ("task_run_id",) in [tuple(i["column_names"]) for i in inspector.get_indexes("log")]


def test_upgrading_gives_flow_run_states_their_created_time(database):
    """Revision 0007: ``flow_run_state.created`` (Prefect Server 1's column), for rows written
    before it their ``timestamp``; flow groups' columns, ``default_parameters`` empty."""
    _at_revision_with_rows(database, "0006", ["project", "flow_group", "flow", "flow_run",
                                              "flow_run_state"])

    upgrade_database(database)

    assert current_revision(database) == HEAD_REVISION
    with database.engine.connect() as connection:
        created = connection.execute(text("SELECT created FROM flow_run_state")).scalar_one()
        column = {c["name"]: c for c in inspect(connection).get_columns("flow_run_state")}
    assert str(created).startswith("2026-01-01")
    assert column["created"]["nullable"] is False
    with database.read_session() as session:
        group = session.get(FlowGroup, "fg")
        assert (group.default_parameters, group.schedule, group.run_config, group.description) \
            == ({}, None, None, None)
