"""The prefect_jupyter server: flow metadata in SQLite or PostgreSQL behind a GraphQL API.

``create_app`` builds the ASGI app; ``serve`` runs it with uvicorn (``python -m
prefect_jupyter.server`` or ``prefect-jupyter server start``); ``process.ServerProcess`` runs it
as a subprocess (for tests and notebooks). Layers: ``graphql/`` (SDL + resolvers that only
translate) → ``api/`` (logic taking a session) → ``database/`` (models, dialects, migrations).

Importing this package is cheap: SQLAlchemy, Ariadne and Starlette load when ``create_app`` or
``serve`` is first used.

Example:
    >>> from prefect_jupyter.server import serve
    >>> serve(port=4200)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect_jupyter.server.app import create_app
    from prefect_jupyter.server.serving import serve

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from prefect_jupyter.server.app import create_app

        return create_app
    if name == "serve":
        from prefect_jupyter.server.serving import serve

        return serve
    raise AttributeError(f"module 'prefect_jupyter.server' has no attribute {name!r}")
