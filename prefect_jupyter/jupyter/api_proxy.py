"""Tornado handlers that forward the labextension's GraphQL requests to the prefect_jupyter API.

The browser never talks to the API server itself: it calls these handlers on the Jupyter server
(``<base_url>/prefect-jupyter/...``) through ``ServerConnection.makeRequest``, so Jupyter's own
token and XSRF checks apply and there is no cross-origin request. The handlers add the API
token, forward the body unchanged and pass the API server's answer back (status and JSON).

* ``POST /prefect-jupyter/graphql`` — ``{"query", "variables"}`` in, the API server's GraphQL
  response out. When no API server answers: HTTP 503 with
  ``{"errors": [{"message": "No prefect_jupyter server at http://127.0.0.1:4200 — start one
  with `prefect-jupyter server start` ...", "extensions": {"code": "NO_SERVER"}}]}``.
* ``GET /prefect-jupyter/status`` — ``{"ok", "server_url", "graphql_url", "version",
  "database", "message"}``: where requests go and whether the API server's ``/health`` answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse
from tornado.simple_httpclient import HTTPTimeoutError

__all__ = ["ProxyTarget", "GraphQLProxyHandler", "StatusHandler", "no_server_message"]

#: what the Jupyter authorizer sees these handlers act on
AUTH_RESOURCE = "prefect-jupyter"
_CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class ProxyTarget:
    """Where the handlers forward to, and with what token."""

    graphql_url: str
    api_token: str = ""
    request_timeout: float = 30.0

    @property
    def server_url(self) -> str:
        """The API server's base address (the GraphQL URL without its ``/graphql`` path)."""
        url = self.graphql_url.rstrip("/")
        return url[: -len("/graphql")] if url.endswith("/graphql") else url

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_token:
            headers["Authorization"] = f"Bearer {self.api_token}"
        return headers


def no_server_message(target: ProxyTarget) -> str:
    """The message a panel shows when nothing answers at the API server's address."""
    return (
        f"No prefect_jupyter server at {target.server_url} — start one with "
        "`prefect-jupyter server start`, or point Jupyter at the right address with "
        "`c.PrefectApiProxy.graphql_url` (or PREFECT_JUPYTER__CLOUD__GRAPHQL)."
    )


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}


async def _fetch(
    target: ProxyTarget, url: str, method: str, body: bytes | None
) -> HTTPResponse | tuple[int, str, str]:
    """The API server's response, or (status, code, message) when it could not be reached."""
    request = HTTPRequest(
        url,
        method=method,
        body=body,
        headers=target.headers(),
        connect_timeout=_CONNECT_TIMEOUT,
        request_timeout=target.request_timeout,
        follow_redirects=False,
    )
    try:
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
    except HTTPTimeoutError:
        response = None
    except OSError:  # refused, unreachable, unknown host
        return 503, "NO_SERVER", no_server_message(target)
    if response is None or (response.code == 599 and isinstance(response.error, HTTPTimeoutError)):
        return (
            504,
            "TIMEOUT",
            f"The prefect_jupyter server at {target.server_url} did not answer within "
            f"{target.request_timeout:g} s (c.PrefectApiProxy.request_timeout).",
        )
    if response.code == 599:
        return 503, "NO_SERVER", no_server_message(target)
    return response


class _ProxyHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

    def initialize(self, target: ProxyTarget) -> None:
        self.target = target

    def write_json(self, status: int, body: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


class GraphQLProxyHandler(_ProxyHandler):
    """``POST /prefect-jupyter/graphql``: forward one GraphQL request to the API server."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        try:
            payload = json.loads(self.request.body or b"null")
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            self.write_json(
                400,
                _error_body(
                    'Send a JSON object {"query": "...", "variables": {...}} to this endpoint.',
                    "BAD_REQUEST",
                ),
            )
            return
        target = self.target
        response = await _fetch(target, target.graphql_url, "POST", self.request.body)
        if isinstance(response, tuple):
            status, code, message = response
            self.write_json(status, _error_body(message, code))
            return
        try:
            body = json.loads(response.body or b"")
        except ValueError:
            self.write_json(
                502,
                _error_body(
                    f"{target.graphql_url} answered HTTP {response.code} without JSON: is a "
                    "prefect_jupyter server running there? Check c.PrefectApiProxy.graphql_url.",
                    "BAD_GATEWAY",
                ),
            )
            return
        self.write_json(response.code, body)


class StatusHandler(_ProxyHandler):
    """``GET /prefect-jupyter/status``: the API server's address and whether it answers."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        target = self.target
        status: dict[str, Any] = {
            "ok": False,
            "server_url": target.server_url,
            "graphql_url": target.graphql_url,
            "version": None,
            "database": None,
            "message": None,
        }
        response = await _fetch(target, f"{target.server_url}/health", "GET", None)
        if isinstance(response, tuple):
            status["message"] = response[2]
        elif response.code != 200:
            status["message"] = (
                f"{target.server_url}/health answered HTTP {response.code}: is a prefect_jupyter "
                "server running there?"
            )
        else:
            try:
                health = json.loads(response.body)
            except ValueError:
                health = {}
            status.update(ok=True, version=health.get("version"), database=health.get("database"))
        self.write_json(200, status)
