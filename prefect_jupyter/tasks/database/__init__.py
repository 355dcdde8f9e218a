"""Database tasks: SQLite with the standard library (Prefect 1's ``prefect.tasks.database``).

PostgreSQL tasks live in `prefect_jupyter.tasks.postgres`.
"""

from prefect_jupyter.tasks.database.sqlite import SQLiteQuery, SQLiteScript

__all__ = ["SQLiteQuery", "SQLiteScript"]
