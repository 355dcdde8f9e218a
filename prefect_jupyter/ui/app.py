"""The web UI's ASGI app: the static single-page UI, with the API mounted under ``/api``.

``create_ui_app(api_app)`` serves

* ``/`` — ``static/index.html`` (the whole UI; pages are hash routes such as ``#/flows``),
* ``/static/...`` — the UI's own ES modules and CSS (``prefect_jupyter/ui/static``),
* ``/widget/...`` — the notebook widget's ES module and CSS (``prefect_jupyter/jupyter/static``),
  which draws the flow schematic, so the UI never has a second drawing implementation,
* ``/api/...`` — the API app itself (``/api/graphql``, ``/api/health``), so the browser calls
  the API on the UI's own origin: no CORS, no proxy.

The app answers under the same browser-attack policy as the API port
(:mod:`prefect_jupyter.utilities.http_policy`): only allowed ``Host`` names (loopback, plus config
``server.allowed_hosts``), which defeats DNS rebinding; no writes that a browser marks as coming
from another origin or site (another page could otherwise start flow runs — running code — by
posting a form to ``localhost``); POST only as ``application/json``.
UI pages are sent with a strict Content-Security-Policy (scripts and styles from this origin
only, no inline script), a second line of defence behind the UI's escaping of all user text.

Example:
    >>> import uvicorn
    >>> from prefect_jupyter.server import create_app
    >>> api = create_app("sqlite:///flows.db")
    >>> uvicorn.run(create_ui_app(api), host="127.0.0.1", port=8080)   # UI on :8080
"""

from __future__ import annotations

import pathlib
import re

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prefect_jupyter.utilities.http_policy import LOOPBACK_HOSTS, HttpPolicy, HttpPolicyMiddleware

__all__ = ["create_ui_app", "STATIC", "WIDGET_STATIC", "LOOPBACK_HOSTS"]

STATIC = pathlib.Path(__file__).parent / "static"
WIDGET_STATIC = pathlib.Path(__file__).parent.parent / "jupyter" / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def create_ui_app(api_app: ASGIApp, http_policy: HttpPolicy | None = None) -> Starlette:
    """The UI app: static UI at ``/``, the widget's drawing module at ``/widget``, and
    ``api_app`` mounted at ``/api``.

    Args:
        api_app: the API's ASGI app (``prefect_jupyter.server.create_app(...)``); its routes
            appear under ``/api`` (``/api/graphql``). Its lifespan is not run by this app: run
            the API app itself too (as ``prefect_jupyter.server.serve`` does), or start what it
            needs before serving.
        http_policy: the Host / Origin / Content-Type policy (default: a loopback server's,
            with config ``server.allowed_hosts`` and ``server.trusted_origins``);
            ``prefect_jupyter.server.serve`` passes the API's.

    Returns:
        A Starlette app.
    """
    routes = [
        Route("/", _index, methods=["GET", "HEAD"]),
        Route("/index.html", _index, methods=["GET", "HEAD"]),
        Mount("/api", app=api_app),
        Mount("/static", app=_StaticNoCache(directory=STATIC), name="static"),
        Mount("/widget", app=_StaticNoCache(directory=WIDGET_STATIC), name="widget"),
        # Prefect 1-shaped links lead to the hash routes: /flow/<id>, and the tenant's
        # /default/flow-run/<id> that Prefect 1's CLI and client print (`get_cloud_url`)
        Route("/{page:str}/{id:str}", _to_hash_route, methods=["GET", "HEAD"]),
        Route("/{tenant:str}/{page:str}/{id:str}", _to_hash_route, methods=["GET", "HEAD"]),
    ]
    policy = http_policy or HttpPolicy.for_bind("127.0.0.1")
    middleware = [Middleware(HttpPolicyMiddleware, policy=policy), Middleware(_SecurityHeaders)]
    return Starlette(routes=routes, middleware=middleware)


_ID = re.compile(r"[0-9a-fA-F-]{1,64}")


#: a tenant's slug in a Prefect 1 link (this server has one tenant; its slug is ``default``)
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


async def _to_hash_route(request: Request) -> Response:
    page, object_id = request.path_params["page"], request.path_params["id"]
    tenant = request.path_params.get("tenant")
    if (page not in ("flow", "flow-run") or not _ID.fullmatch(object_id)
            or (tenant is not None and not _SLUG.fullmatch(tenant))):
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
