"""The web UI's ASGI app: the static single-page UI, with the API mounted under ``/api``.

``create_ui_app(api_app)`` serves

* ``/`` — ``static/index.html`` (the whole UI; pages are hash routes such as ``#/flows``),
* ``/static/...`` — the UI's own ES modules and CSS (``prefect_jupyter/ui/static``),
* ``/widget/...`` — the notebook widget's ES module and CSS (``prefect_jupyter/jupyter/static``),
  which draws the flow schematic, so the UI never has a second drawing implementation,
* ``/api/...`` — the API app itself (``/api/graphql``, ``/api/health``), so the browser calls
  the API on the UI's own origin: no CORS, no proxy.

Two guards protect a server that runs on a user's laptop from other web pages the user visits:
a writing request to ``/api`` that a browser marks as coming from another origin is refused
(another site could otherwise start flow runs — running code — by posting a form to
``localhost``), and with ``allowed_hosts`` (the server passes the loopback names when it binds a
loopback address) a request naming any other ``Host`` is refused, which defeats DNS rebinding.
UI pages are sent with a strict Content-Security-Policy (scripts and styles from this origin
only, no inline script), a second line of defence behind the UI's escaping of all user text.

Example:
    >>> import uvicorn
    >>> from prefect_jupyter.server import create_app
    >>> api = create_app("sqlite:///flows.db")
    >>> uvicorn.run(create_ui_app(api), host="127.0.0.1", port=8080)   # UI on :8080
"""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["create_ui_app", "STATIC", "WIDGET_STATIC", "LOOPBACK_HOSTS"]

STATIC = pathlib.Path(__file__).parent / "static"
WIDGET_STATIC = pathlib.Path(__file__).parent.parent / "jupyter" / "static"

#: the Host names a UI bound to a loopback address answers to
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def create_ui_app(api_app: ASGIApp, allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The UI app: static UI at ``/``, the widget's drawing module at ``/widget``, and
    ``api_app`` mounted at ``/api``.

    Args:
        api_app: the API's ASGI app (``prefect_jupyter.server.create_app(...)``); its routes
            appear under ``/api`` (``/api/graphql``). Its lifespan is not run by this app: run
            the API app itself too (as ``prefect_jupyter.server.serve`` does), or start what it
            needs before serving.
        allowed_hosts: ``Host`` header values to answer (e.g. :data:`LOOPBACK_HOSTS`); ``None``
            answers any host.

    Returns:
        A Starlette app.
    """
    routes = [
        Route("/", _index, methods=["GET", "HEAD"]),
        Route("/index.html", _index, methods=["GET", "HEAD"]),
        Mount("/api", app=_SameOriginGuard(api_app)),
        Mount("/static", app=_StaticNoCache(directory=STATIC), name="static"),
        Mount("/widget", app=_StaticNoCache(directory=WIDGET_STATIC), name="widget"),
        # Prefect 1-shaped links (`flow.register()` prints /flow/<id>) lead to the hash routes
        Route("/{page:str}/{id:str}", _to_hash_route, methods=["GET", "HEAD"]),
    ]
    middleware = [Middleware(_SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    return Starlette(routes=routes, middleware=middleware)


_ID = re.compile(r"[0-9a-fA-F-]{1,64}")


async def _to_hash_route(request: Request) -> Response:
    page, object_id = request.path_params["page"], request.path_params["id"]
    if page not in ("flow", "flow-run") or not _ID.fullmatch(object_id):
        return Response("Not Found", status_code=404, media_type="text/plain")
    return RedirectResponse(f"/#/{page}/{object_id}", status_code=307)


async def _index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


class _StaticNoCache(StaticFiles):
    """Static files that browsers revalidate (ETag) on each load, so an upgraded package's UI
    is never mixed with cached modules of the old one."""

    def file_response(self, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


class _SecurityHeaders:
    """Adds the CSP and friends to UI responses (not to ``/api``: its GraphiQL page is its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/") or scope["path"] == "/api":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _SameOriginGuard:
    """Refuses writing requests that a browser says come from another origin.

    Browsers send ``Origin`` (and ``Sec-Fetch-Site``) on cross-site POSTs, including the "simple"
    form posts that need no CORS preflight; scripts, the CLI and the client send neither, so
    they pass unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _SAFE_METHODS:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            reason = _cross_origin_reason(headers)
            if reason:
                body = {"errors": [{"message": reason, "extensions": {"code": "FORBIDDEN"}}]}
                response = Response(
                    json.dumps(body), status_code=403, media_type="application/json"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _cross_origin_reason(headers: dict[str, str]) -> str | None:
    """Why a request is refused as cross-origin, or None when it may pass."""
    if headers.get("sec-fetch-site") == "cross-site":
        return (
            "Cross-site request refused: the prefect_jupyter API only answers pages of its own "
            "UI. Call it from a script or the client instead."
        )
    origin = headers.get("origin")
    if origin is None:
        return None
    host = headers.get("host", "")
    if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
        return (
            f"Cross-origin request from {origin!r} refused: the prefect_jupyter API only answers "
            f"pages served by this server ({host}). Call it from a script or the client instead."
        )
    return None
