"""Importing prefect_jupyter (or its server package) loads no server dependency."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlalchemy", "alembic", "ariadne", "graphql", "starlette", "uvicorn", "psycopg")


def loaded_after(statement: str) -> list[str]:
    code = (f"import sys; {statement}; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    return [m for m in result.stdout.strip().split(",") if m]


def test_import_prefect_jupyter_loads_no_server_dependency():
    assert loaded_after("import prefect_jupyter") == []


def test_import_prefect_jupyter_server_is_light_until_used():
    assert loaded_after("import prefect_jupyter.server") == []
    assert "sqlalchemy" in loaded_after("from prefect_jupyter.server import create_app")
