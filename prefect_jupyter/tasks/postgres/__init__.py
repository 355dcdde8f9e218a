"""PostgreSQL tasks on psycopg 3 (Prefect 1's ``prefect.tasks.postgres``; extra ``sql``)."""

from prefect_jupyter.utilities.extras import require

require("psycopg", feature="prefect_jupyter.tasks.postgres", extra="sql")

from prefect_jupyter.tasks.postgres.postgres import (  # noqa: E402
    PostgresExecute,
    PostgresExecuteMany,
    PostgresFetch,
)

__all__ = ["PostgresExecute", "PostgresExecuteMany", "PostgresFetch"]
