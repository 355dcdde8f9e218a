"""The agent's own small HTTP API (``agent_address``): health checks for container orchestrators.

As in Prefect 1, an agent given ``agent_address="http://127.0.0.1:8080"`` (or config
``cloud.agent.agent_address``, or ``--agent-address``) answers:

- ``GET /api/health`` → 200 ``{}`` while the agent runs (a liveness probe);
- ``GET /api/poke`` → 200, and the agent looks for due runs now instead of at its next tick.

It listens only on the host the address names (``127.0.0.1`` when it names none) and applies the
server's browser policy (``utilities/http_policy.py``): a foreign ``Host`` is refused (DNS
rebinding), and a poke from another origin is refused like any cross-site write. It runs in a
daemon thread and stops with the agent.

Example:
    >>> api = AgentAPIServer("http://127.0.0.1:0", on_poke=lambda: None)  # doctest: +SKIP
    >>> api.start(); api.url  # doctest: +SKIP
    'http://127.0.0.1:41234'
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from prefect_jupyter.utilities.http_policy import HttpPolicy, policy_error

__all__ = ["AgentAPIServer", "parse_agent_address"]


def parse_agent_address(address: str) -> tuple[str, int]:
    """``(host, port)`` of an agent address: ``http://127.0.0.1:8080`` or ``127.0.0.1:8080``.

    Raises:
        ValueError: the address names no port, or is not an address.
    """
    text = address.strip()
    parts = urlsplit(text if "//" in text else f"http://{text}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        raise ValueError(
            f"Agent address {address!r} has no port: give one, e.g. http://127.0.0.1:8080."
        )
    return parts.hostname or "127.0.0.1", port


class AgentAPIServer:
    """The agent's health-check server, in a daemon thread.

    Args:
        address: where to listen (``http://host:port``; port 0 picks a free one).
        on_poke: called on ``GET /api/poke`` (the agent wakes its loop).
    """

    def __init__(self, address: str, on_poke: Callable[[], None]) -> None:
        self.host, self.port = parse_agent_address(address)
        self.on_poke = on_poke
        self.policy = HttpPolicy.for_bind(self.host)
        self._server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The address it listens on (with the real port once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Bind and serve in a daemon thread (raises ``OSError`` when the port is taken)."""
        server_class = _IPv6Server if ":" in self.host else ThreadingHTTPServer
        self._server = server_class((self.host, self.port), _handler_for(self))
        self.port = self._server.server_address[1]
        self.thread = threading.Thread(
            target=self._server.serve_forever, name="agent-api", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        """Stop serving, close the socket and wait for the thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.thread is not None:
            self.thread.join(timeout=5)

    def answer(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """The response to a request, as (status, JSON body)."""
        refused = self.policy.refusal(method, headers)
        if refused is not None:
            return refused
        route = urlsplit(path).path.rstrip("/")
        if method not in ("GET", "HEAD"):
            return policy_error(405, f"The agent's API only answers GET, not {method}.",
                                "METHOD_NOT_ALLOWED")
        if route == "/api/health":
            return 200, b"{}"
        if route == "/api/poke":
            reason = self.policy.write_refusal(headers)  # a poke acts: no cross-site pokes
            if reason:
                return policy_error(403, reason, "CROSS_SITE_REQUEST")
            self.on_poke()
            return 200, b"{}"
        return policy_error(404, f"No {route!r} here: the agent's API has /api/health and "
                            "/api/poke.", "NOT_FOUND")


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _handler_for(api: AgentAPIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _respond(self) -> None:
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, body = api.answer(self.command, self.path, headers)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _respond

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: probes come every few seconds."""

    return Handler

