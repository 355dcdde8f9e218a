"""The server's HTTP app: ``/graphql``, ``/health``, the API token and the body-size cap.

Every failure is answered with JSON in GraphQL's error shape, ``{"errors": [{"message",
"extensions": {"code"}}]}``: 401 without the right token, 413 for a body over the cap, 400 for
a body that is not a GraphQL request, 404/405 for other paths and methods, 500 for the
unexpected. GraphQL itself runs in a worker thread (the database layer is synchronous).
"""

from __future__ import annotations

import hmac
import json
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from prefect_jupyter import __version__
from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.database.migrate import upgrade_database
from prefect_jupyter.server.graphql import build_schema, execute_request
from prefect_jupyter.server.graphql.execute import error
from prefect_jupyter.utilities.logging import get_logger

logger = get_logger("server")

PAYLOAD_KEY = "server.api.max_payload_bytes"
PAYLOAD_ENV = "PREFECT_JUPYTER__SERVER__API__MAX_PAYLOAD_BYTES"


def error_response(status: int, message: str, code: str) -> JSONResponse:
    """A JSON response carrying one GraphQL-shaped error."""
    return JSONResponse({"errors": [error(message, code)]}, status_code=status)


class TokenMiddleware:
    """Refuse requests without ``Authorization: Bearer <token>`` (401, JSON).

    ``/health`` and the GraphiQL page (``GET /graphql``, static HTML) stay open: they show no
    data, and the page is where a user types the token.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._open(scope):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"authorization")
        if given is not None and hmac.compare_digest(given, self.expected):
            await self.app(scope, receive, send)
            return
        if given is None:
            message = (
                "This server requires an API token: send the header "
                "`Authorization: Bearer <token>` (the client does when `server.api_token` / "
                "PREFECT_JUPYTER__SERVER__API_TOKEN is set)."
            )
        else:
            message = (
                "The API token is wrong: use the token the server was started with "
                "(`--api-token`), in `server.api_token` / PREFECT_JUPYTER__SERVER__API_TOKEN."
            )
        response = error_response(401, message, "UNAUTHENTICATED")
        response.headers["WWW-Authenticate"] = "Bearer"
        await response(scope, receive, send)

    @staticmethod
    def _open(scope: Scope) -> bool:
        path = scope["path"]
        return path == "/health" or (path == "/graphql" and scope["method"] in ("GET", "HEAD"))


class _PayloadTooLarge(Exception):
    pass


async def _read_body(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise _PayloadTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise _PayloadTooLarge
    return bytes(body)


def _too_large(cap: int) -> JSONResponse:
    return error_response(
        413,
        f"The request body is larger than this server accepts ({cap:,} bytes). Raise the cap on "
        f"the server with `{PAYLOAD_KEY}` in the config file or the {PAYLOAD_ENV} environment "
        "variable, or send less (a flow's code travels with its registration).",
        "PAYLOAD_TOO_LARGE",
    )


def _graphiql_page() -> str:
    return (resources.files("prefect_jupyter.server") / "static" / "graphiql.html").read_text(
        encoding="utf-8"
    )


class _Endpoints:
    """The app's two endpoints, sharing its database and body cap."""

    def __init__(self, database: Database, cap: int) -> None:
        self.database = database
        self.cap = cap
        self.page = _graphiql_page()

    async def graphql(self, request: Request) -> Response:
        """GET: the query page; POST: one GraphQL request, run in a worker thread."""
        if request.method in ("GET", "HEAD"):
            return HTMLResponse(self.page)
        try:
            body = await _read_body(request, self.cap)
        except _PayloadTooLarge:
            return _too_large(self.cap)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return error_response(
                400,
                f"The request body is not valid JSON ({exc}); send "
                '{"query": "...", "variables": {...}} with Content-Type: application/json.',
                "BAD_REQUEST",
            )
        status, result = await run_in_threadpool(execute_request, self.database, payload)
        return JSONResponse(result, status_code=status)

    async def health(self, _request: Request) -> Response:
        """``{"status", "version", "database"}``; 503 when the database cannot be reached."""
        info: dict[str, Any] = {
            "status": "ok", "version": __version__, "database": self.database.dialect_name
        }
        try:
            await run_in_threadpool(self.database.ping)
        except Exception as exc:  # any failure to reach the database means "not healthy"
            info.update(status="error", message=f"The database is unreachable: {exc}")
            return JSONResponse(info, status_code=503)
        return JSONResponse(info)


def create_app(
    database_url: str | None = None,
    api_token: str | None = None,
    max_payload_bytes: int | None = None,
    migrate: bool = True,
) -> Starlette:
    """The server as an ASGI app, its database migrated to the latest revision.

    Args:
        database_url: SQLAlchemy URL (default: ``config.server.database.url``).
        api_token: when set, every request except ``/health`` and the GraphiQL page needs
            ``Authorization: Bearer <api_token>``.
        max_payload_bytes: largest accepted request body (default:
            ``config.server.api.max_payload_bytes``).
        migrate: apply Alembic migrations now (``upgrade head``).

    Example:
        >>> app = create_app("sqlite:////tmp/server.db")  # doctest: +SKIP
        >>> uvicorn.run(app, port=4200)  # doctest: +SKIP
    """
    from prefect_jupyter import config

    database = Database(database_url or config.server.database.url)
    if migrate:
        upgrade_database(database)
    cap = int(max_payload_bytes if max_payload_bytes is not None
              else config.server.api.max_payload_bytes)
    build_schema()  # fail at start, not at the first request, if the schema is broken
    endpoints = _Endpoints(database, cap)

    middleware = [Middleware(TokenMiddleware, token=api_token)] if api_token else []
    app = Starlette(
        routes=[
            Route("/graphql", endpoints.graphql, methods=["GET", "POST"]),
            Route("/health", endpoints.health, methods=["GET"]),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, Exception: _unexpected_error},
    )
    app.state.database = database
    app.state.api_token = api_token
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"No such path {request.url.path!r}: the API is at /graphql (health: /health)."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}; use POST for GraphQL."
    else:
        message = str(exc.detail)
    return error_response(exc.status_code, message, "BAD_REQUEST")


async def _unexpected_error(_request: Request, exc: Exception) -> Response:
    logger.error("Unexpected server error", exc_info=exc)
    return error_response(
        500, f"Internal server error: {type(exc).__name__}: {exc}", "INTERNAL_SERVER_ERROR"
    )
