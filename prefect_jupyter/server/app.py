"""The server's HTTP app: ``/graphql`` (also ``POST /``, as Prefect Server 1), ``/health``, the API token and the body-size cap.

Every failure is answered with JSON in GraphQL's error shape, ``{"errors": [{"message",
"extensions": {"code"}}]}``:

* 400 ``HOST_NOT_ALLOWED``, 403 ``CROSS_SITE_REQUEST``, 415 ``UNSUPPORTED_MEDIA_TYPE``: the
  browser-attack policy of :mod:`prefect_jupyter.utilities.http_policy` (checked first);
* 401 ``UNAUTHENTICATED`` without the right token; 413 ``PAYLOAD_TOO_LARGE`` over the cap;
* 400 ``BAD_REQUEST`` for a body that is not a GraphQL request (including JSON nested deeper
  than :data:`MAX_JSON_DEPTH`); 404/405 for other paths and methods;
* 503 ``DATABASE_UNAVAILABLE`` (with ``Retry-After``) when the database failed during the
  request — gone, corrupt, unreachable, locked. Nothing was written; retry later. The message
  never carries SQL or parameters (the server logs them);
* 500 ``INTERNAL_SERVER_ERROR`` for the unexpected.

GraphQL itself runs in a worker thread (the database layer is synchronous), at most
:data:`GRAPHQL_THREADS` at a time; further requests wait their turn in arrival order. The work
is Python under one GIL, so more threads would not answer sooner: they would share the CPU
round-robin, making every request as slow as all of them together, and take the GIL from the
event loop that reads requests and writes answers. A few threads keep a request that waits on
the database (PostgreSQL) from idling the CPU.

Identical read queries are answered from :class:`~.graphql.answers.AnswerCache` until the
database changes (never older than its last committed write).
"""

from __future__ import annotations

import hmac
import json
from importlib import resources
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from prefect_jupyter import __version__
from prefect_jupyter.server.database.engine import (
    Database,
    describe_failure,
    is_unavailable,
    recording_failures,
)
from prefect_jupyter.server.database.migrate import check_schema, upgrade_database
from prefect_jupyter.server.errors import DatabaseUnavailable
from prefect_jupyter.server.graphql import build_schema
from prefect_jupyter.server.graphql.answers import AnswerCache
from prefect_jupyter.server.graphql.execute import answer_request, error
from prefect_jupyter.utilities import fast_json
from prefect_jupyter.utilities.http_policy import HttpPolicy, HttpPolicyMiddleware
from prefect_jupyter.utilities.logging import get_logger

logger = get_logger("server")

PAYLOAD_KEY = "server.api.max_payload_bytes"
PAYLOAD_ENV = "PREFECT_JUPYTER__SERVER__API__MAX_PAYLOAD_BYTES"

#: deepest nesting of arrays and objects accepted in a request body
MAX_JSON_DEPTH = 64
#: seconds a client should wait before retrying a request answered 503
RETRY_AFTER_SECONDS = 2
#: GraphQL requests executing at once (see the module docstring)
GRAPHQL_THREADS = 4


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


class _TooDeep(ValueError):
    pass


def _decode_json(body: bytes) -> Any:
    """The JSON value of ``body``.

    Raises:
        ValueError: not JSON, or nested deeper than :data:`MAX_JSON_DEPTH` (checked without
            recursion: the decoder's own recursion is what deep input attacks).
    """
    try:
        payload = fast_json.loads(body)
    except RecursionError:
        raise _TooDeep from None
    level: list[Any] = [payload] if type(payload) in _CONTAINERS else []
    for _depth in range(MAX_JSON_DEPTH):
        if not level:
            return payload
        # the containers one level down (JSON decodes to dicts and lists only)
        level = [child for value in level
                 for child in (value.values() if type(value) is dict else value)
                 if type(child) in _CONTAINERS]
    if not level:
        return payload
    raise _TooDeep


_CONTAINERS = (dict, list)


def database_unavailable(exc: BaseException) -> JSONResponse:
    """The 503 answer for a database failure: retryable, its cause without SQL or parameters."""
    if isinstance(exc, DatabaseUnavailable):
        message = str(exc)
    else:
        logger.error("Database failure while serving a request", exc_info=exc)
        message = (
            f"The database is unavailable ({describe_failure(exc)}); nothing was written. "
            "Retry later; if it persists, check the database (file present and writable, or "
            "server reachable) and the server's log."
        )
    response = error_response(503, message, DatabaseUnavailable.code)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


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
        self.answers = AnswerCache(database)
        self._limiter: anyio.CapacityLimiter | None = None

    def _graphql_limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # made on the event loop that serves the app
            self._limiter = anyio.CapacityLimiter(GRAPHQL_THREADS)
        return self._limiter

    async def graphql(self, request: Request) -> Response:
        """GET: the query page; POST: one GraphQL request, run in a worker thread."""
        if request.method in ("GET", "HEAD"):
            return HTMLResponse(self.page)
        try:
            body = await _read_body(request, self.cap)
        except _PayloadTooLarge:
            return _too_large(self.cap)
        try:
            payload = _decode_json(body)
        except _TooDeep:
            return error_response(
                400,
                f"The request body nests arrays or objects more than {MAX_JSON_DEPTH} levels "
                "deep; send flatter JSON (deep values can travel as a JSON string).",
                "BAD_REQUEST",
            )
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return error_response(
                400,
                f"The request body is not valid JSON ({exc}); send "
                '{"query": "...", "variables": {...}} with Content-Type: application/json.',
                "BAD_REQUEST",
            )
        with recording_failures() as failures:
            try:
                status, answer = await anyio.to_thread.run_sync(
                    answer_request, self.database, payload, self.answers,
                    limiter=self._graphql_limiter(),
                )
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                failures.insert(0, exc)
        if failures:  # a resolver's database failure became a GraphQL error: answer 503
            return database_unavailable(failures[0])
        return Response(answer, status_code=status, media_type="application/json")

    async def health(self, _request: Request) -> Response:
        """``{"status", "version", "database"}``; 503 with a ``message`` unless the database
        answers and has this server's schema."""
        info: dict[str, Any] = {
            "status": "ok", "version": __version__, "database": self.database.dialect_name
        }
        try:
            await run_in_threadpool(check_schema, self.database)
        except DatabaseUnavailable as exc:
            info.update(status="error", message=str(exc))
        except Exception as exc:  # any failure to query the database means "not healthy"
            logger.warning("Health check failed", exc_info=exc)
            info.update(status="error", message=(
                f"The database is unavailable ({describe_failure(exc)}): check "
                f"{self.database.display_url} and the server's log."
            ))
        if info["status"] != "ok":
            return JSONResponse(info, status_code=503,
                                headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return JSONResponse(info)


def create_app(
    database_url: str | None = None,
    api_token: str | None = None,
    max_payload_bytes: int | None = None,
    migrate: bool = True,
    http_policy: HttpPolicy | None = None,
) -> Starlette:
    """The server as an ASGI app, its database migrated to the latest revision.

    Args:
        database_url: SQLAlchemy URL (default: ``config.server.database.url``).
        api_token: when set, every request except ``/health`` and the GraphiQL page needs
            ``Authorization: Bearer <api_token>``.
        max_payload_bytes: largest accepted request body (default:
            ``config.server.api.max_payload_bytes``).
        migrate: apply Alembic migrations now (``upgrade head``).
        http_policy: the Host / Origin / Content-Type policy (default: a loopback server's,
            with config ``server.allowed_hosts`` and ``server.trusted_origins``).

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

    policy = http_policy or HttpPolicy.for_bind("127.0.0.1")
    middleware = [Middleware(HttpPolicyMiddleware, policy=policy)]
    if api_token:
        middleware.append(Middleware(TokenMiddleware, token=api_token))
    app = Starlette(
        routes=[
            Route("/graphql", endpoints.graphql, methods=["GET", "POST"]),
            # Prefect Server 1 serves its API at "/": Prefect 1's client posts there
            Route("/", endpoints.graphql, methods=["POST"]),
            Route("/health", endpoints.health, methods=["GET"]),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, Exception: _unexpected_error},
    )
    app.state.database = database
    app.state.answers = endpoints.answers
    app.state.api_token = api_token
    app.state.http_policy = policy
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
    if is_unavailable(exc):
        return database_unavailable(exc)
    logger.error("Unexpected server error", exc_info=exc)
    return error_response(
        500,
        f"Internal server error ({type(exc).__name__}); the server's log has the details.",
        "INTERNAL_SERVER_ERROR",
    )
