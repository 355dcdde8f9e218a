"""Alembic environment for the server's database.

The server runs migrations itself (``prefect_jupyter.server.database.migrate``), handing Alembic
an open connection in ``config.attributes["connection"]``; no ``alembic.ini`` is needed. For
writing a new revision by hand, point Alembic at a database with ``sqlalchemy.url``:

    from alembic import command
    from prefect_jupyter.server.database.migrate import alembic_config
    cfg = alembic_config(); cfg.set_main_option("sqlalchemy.url", "sqlite:////tmp/dev.db")
    command.revision(cfg, "what changed", autogenerate=True)

then review the generated file (autogenerate misses some changes and renames).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from prefect_jupyter.server.database.dialects import SQLITE
from prefect_jupyter.server.database.models import Base

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead
        render_as_batch=connection.dialect.name == SQLITE,  # type: ignore[attr-defined]
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as new_connection:
        _run(new_connection)
    engine.dispose()
