"""Migration 0002 on a database at 0001 that has flows: one flow group per version group,
its runs untouched (SQLite adds the column in place, so nothing cascades)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.database.migrate import alembic_config, upgrade_database


@pytest.fixture
def database(empty_database_url):
    db = Database(empty_database_url)
    yield db
    db.dispose()


def test_existing_version_groups_get_one_flow_group_each(database):
    config = alembic_config()
    with database.write_connection() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    now = "2026-01-01 00:00:00+00:00"
    with database.write_connection() as connection:
        connection.execute(text(
            "INSERT INTO project (id, name, created, updated) VALUES ('p', 'p', :t, :t)"), {"t": now})
        for flow_id, name, version, group in (("f1", "old", 1, "g"), ("f2", "new", 2, "g"),
                                              ("f3", "other", 1, "h")):
            connection.execute(text(
                "INSERT INTO flow (id, project_id, name, version, version_group_id, archived, "
                "is_schedule_active, created, updated) "
                "VALUES (:id, 'p', :name, :v, :g, false, false, :t, :t)"),
                {"id": flow_id, "name": name, "v": version, "g": group, "t": now})
        connection.execute(text(
            "INSERT INTO flow_run (id, flow_id, scheduled_start_time, auto_scheduled, "
            "times_resurrected, version, created, updated) "
            "VALUES ('r', 'f1', :t, false, 0, 0, :t, :t)"), {"t": now})
    upgrade_database(database)
    with database.engine.connect() as connection:
        flows = dict(connection.execute(text("SELECT id, flow_group_id FROM flow")).all())
        groups = dict(connection.execute(text("SELECT id, name FROM flow_group")).all())
        runs = connection.execute(text("SELECT count(*) FROM flow_run")).scalar()
    assert flows["f1"] == flows["f2"] != flows["f3"]
    assert groups == {flows["f1"]: "new", flows["f3"]: "other"}  # named after the latest version
    assert runs == 1
