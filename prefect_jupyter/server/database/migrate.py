"""Bring a database's tables up to date with Alembic, without an ``alembic.ini`` on disk.

The migration scripts ship inside the package (``database/migrations/``); the server applies
them on start, so a new or older database is always at the current revision before the first
request. A database already at :data:`HEAD_REVISION` is recognised with one query, without
importing Alembic (which costs a few hundred milliseconds of start-up).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from prefect_jupyter.server.database.dialects import advisory_lock
from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.utilities.logging import get_logger

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: The newest revision in ``migrations/versions`` (a test checks they agree; update both).
HEAD_REVISION = "0007"

logger = get_logger("server")


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migration scripts."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def script_head_revision() -> str | None:
    """The newest revision among the packaged migration scripts (read with Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    """The revision ``database`` is at (``None`` for a database never migrated)."""
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_database(database: Database) -> None:
    """Apply every migration ``database`` has not had yet (``alembic upgrade head``).

    Two servers starting at once against one PostgreSQL database take turns (an advisory
    lock); on SQLite the write lock does the same within a process and ``BEGIN IMMEDIATE``
    across processes.
    """
    previous = current_revision(database)
    if previous == HEAD_REVISION:
        return
    from alembic import command

    config = alembic_config()
    with database.write_connection() as connection:
        advisory_lock(connection, "prefect_jupyter:migrations")
        config.attributes["connection"] = connection
        # Alembic configures logging only from an ini file; keep its INFO lines out of the way
        alembic_logger = logging.getLogger("alembic")
        if alembic_logger.level == logging.NOTSET:
            alembic_logger.setLevel(logging.WARNING)
        command.upgrade(config, "head")
    # creating the tables of a new database is routine; upgrading an existing one is news
    logger.log(
        logging.INFO if previous else logging.DEBUG,
        "Database %s migrated from revision %s to %s",
        database.display_url, previous, HEAD_REVISION,
    )


def check_schema(database: Database) -> None:
    """Raise unless ``database`` is reachable and at :data:`HEAD_REVISION` (one query).

    Raises:
        DatabaseUnavailable: the file is gone or replaced, the tables are missing, or the
            revision is not this server's.
        sqlalchemy.exc.DBAPIError: the database could not be queried.
    """
    from sqlalchemy.exc import DBAPIError

    from prefect_jupyter.server.errors import DatabaseUnavailable

    with database.read_session() as session:
        try:
            revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError as exc:
            if "alembic_version" not in str(exc.orig):
                raise
            revision = None
    if revision != HEAD_REVISION:
        raise DatabaseUnavailable(
            f"The database {database.display_url} has no prefect_jupyter tables at revision "
            f"{HEAD_REVISION} (found {revision or 'none'}): it was emptied or belongs to "
            "another version; restart the server to migrate it, or point it at the right "
            "database."
        )
