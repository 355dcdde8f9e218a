"""What a browser may do on every port we open: one policy for the API, the UI, the agent's port.

The server runs on a user's machine, and every web page the user visits can send requests to
``127.0.0.1``. Three checks keep those pages out, in this order:

1. **Host.** A request must name an allowed ``Host``: the loopback names (``127.0.0.1``,
   ``localhost``, ``[::1]``, any port), the names in config ``server.allowed_hosts``, and — when
   the server listens on a non-loopback address — any IP address and this machine's host name
   (an IP literal cannot be re-pointed by DNS). This defeats *DNS rebinding*, where a page on
   ``evil.example`` re-resolves its own name to ``127.0.0.1`` and then reads the API as "same
   origin": the browser still sends ``Host: evil.example``. Answer: 400 ``HOST_NOT_ALLOWED``.
2. **Origin, on writes** (POST, PUT, PATCH, DELETE). A browser marks where a request comes
   from: ``Origin`` (on every cross-origin POST, even a plain form post that needs no CORS
   preflight) and ``Sec-Fetch-Site``. A write is refused when ``Origin`` is another origin than
   the ``Host`` it is sent to (or ``null``), or ``Sec-Fetch-Site`` is ``cross-site`` or
   ``same-site`` — unless ``Origin`` is listed in config ``server.trusted_origins`` (a UI served
   through a reverse proxy under another name). Scripts, the client, the agent and the
   JupyterLab proxy send neither header and pass. Answer: 403 ``CROSS_SITE_REQUEST``.
3. **Content-Type, on POST.** Only ``application/json`` is accepted. HTML forms and ``no-cors``
   fetches can only send ``text/plain``, ``application/x-www-form-urlencoded`` and
   ``multipart/form-data``; ``application/json`` from another origin needs a CORS preflight,
   which the server never grants. Answer: 415 ``UNSUPPORTED_MEDIA_TYPE``.

Cross-site *reads* need no check of their own: the server sends no CORS headers, so a page on
another origin cannot read a response, and ``GET /graphql`` only serves the static GraphiQL
page (queries are POST only, so a ``<img src=".../graphql?query=mutation...">`` runs nothing).

Every refusal is JSON in GraphQL's error shape and names the cause and the setting that fixes
it.

Example:
    >>> policy = HttpPolicy.for_bind("127.0.0.1")
    >>> policy.host_refusal("evil.example:4200") is not None
    True
    >>> app = HttpPolicyMiddleware(inner_app, policy)  # doctest: +SKIP
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "LOOPBACK_HOSTS", "HttpPolicy", "HttpPolicyMiddleware", "is_loopback", "policy_error",
]

#: the Host names a server bound to a loopback address answers to (any port)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

HOSTS_KEY = "server.allowed_hosts"
HOSTS_ENV = "PREFECT_JUPYTER__SERVER__ALLOWED_HOSTS"
ORIGINS_KEY = "server.trusted_origins"
ORIGINS_ENV = "PREFECT_JUPYTER__SERVER__TRUSTED_ORIGINS"

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bind address or a Host name, without port) is this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _names(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A setting's names: a list, or one comma-separated string (as an env var gives it)."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(str(item).strip().lower().rstrip("/") for item in items if str(item).strip())


def _split_host(host: str) -> str:
    """The name of a ``Host`` header, without port, brackets or trailing dot, lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:4200
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    return host.rstrip(".")


def _authority(scheme: str, netloc: str) -> str:
    """``host:port`` with the scheme's default port filled in, for comparing origins."""
    netloc = netloc.lower()
    if netloc.endswith("]") or ":" not in netloc.rsplit("]", 1)[-1]:
        return f"{netloc}:{_DEFAULT_PORTS.get(scheme, 0)}"
    return netloc


def policy_error(status: int, message: str, code: str) -> tuple[int, bytes]:
    """A refusal as (status, JSON body in GraphQL's error shape)."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return status, json.dumps(body).encode()


@dataclass(frozen=True)
class HttpPolicy:
    """The Host names and origins a server answers to.

    Attributes:
        allowed_hosts: host names (no port) besides the loopback ones; ``"*"`` allows any,
            ``"*.example.com"`` any subdomain.
        trusted_origins: origins (``https://flows.example.com``) allowed to write from
            another name than the ``Host`` they send to.
        any_ip: accept any IP-literal ``Host`` (set for non-loopback binds).
    """

    allowed_hosts: tuple[str, ...] = ()
    trusted_origins: tuple[str, ...] = ()
    any_ip: bool = False

    @classmethod
    def for_bind(
        cls,
        bind_host: str = "127.0.0.1",
        allowed_hosts: str | Iterable[str] | None = None,
        trusted_origins: str | Iterable[str] | None = None,
    ) -> HttpPolicy:
        """The policy of a server listening on ``bind_host``; settings default to the config.

        A loopback bind answers to the loopback names and ``server.allowed_hosts``. Any other
        bind also answers to IP addresses and this machine's host name, since clients on the
        network reach it under those (they need the API token anyway).
        """
        from prefect_jupyter import config

        if allowed_hosts is None:
            allowed_hosts = config.get("server", {}).get("allowed_hosts")
        if trusted_origins is None:
            trusted_origins = config.get("server", {}).get("trusted_origins")
        hosts = _names(allowed_hosts)
        remote = not is_loopback(bind_host)
        if remote:
            hosts += _names([socket.gethostname(), bind_host.strip("[]")])
        return cls(hosts, _names(trusted_origins), any_ip=remote)

    def host_refusal(self, host: str | None) -> str | None:
        """Why a request with this ``Host`` header is refused, or ``None``."""
        name = _split_host(host or "")
        if name in LOOPBACK_HOSTS or (self._is_ip(name) and (self.any_ip or is_loopback(name))):
            return None
        for allowed in self.allowed_hosts:
            if allowed == "*" or allowed == name or (
                allowed.startswith("*.") and name.endswith(allowed[1:])
            ):
                return None
        return (
            f"Host {host!r} is not one this server answers to (a web page reaching it under "
            "another name — DNS rebinding — would read everything). Use http://127.0.0.1 or "
            f"http://localhost, or add the name to `{HOSTS_KEY}` in the config file (or "
            f"{HOSTS_ENV}, comma-separated), e.g. for a reverse proxy."
        )

    def write_refusal(self, headers: Mapping[str, str]) -> str | None:
        """Why a writing request with these (lower-cased) headers is refused, or ``None``."""
        origin = headers.get("origin")
        if origin is not None and origin.lower().rstrip("/") in self.trusted_origins:
            return None
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site in ("cross-site", "same-site"):
            source = f"a page on {origin}" if origin else "a page on another site"
            return self._cross_site_message(source, f"Sec-Fetch-Site: {fetch_site}")
        if origin is None:
            return None
        parts = urlsplit(origin)
        host = headers.get("host", "")
        if origin == "null" or _authority(parts.scheme, parts.netloc) != _authority(
            parts.scheme, host
        ):
            return self._cross_site_message(f"a page on {origin}", f"Host: {host}")
        return None

    @staticmethod
    def content_type_refusal(method: str, headers: Mapping[str, str]) -> str | None:
        """Why a request with this method and ``Content-Type`` is refused, or ``None``."""
        if method != "POST":
            return None
        given = headers.get("content-type", "")
        if given.split(";", 1)[0].strip().lower() == "application/json":
            return None
        return (
            f"POST needs `Content-Type: application/json` (got {given or 'none'!r}): send the "
            'GraphQL request as JSON, {"query": "...", "variables": {...}}. Other types are '
            "refused because any web page can send them to this server."
        )

    @staticmethod
    def _is_ip(name: str) -> bool:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    @staticmethod
    def _cross_site_message(source: str, seen: str) -> str:
        return (
            f"Cross-site request refused: {source} tried to write to this server ({seen}). "
            "Only the server's own pages, scripts and the prefect_jupyter client may write. If "
            f"the UI is served through a reverse proxy under another name, add that origin to "
            f"`{ORIGINS_KEY}` in the config file (or {ORIGINS_ENV}, comma-separated)."
        )

    def refusal(self, method: str, headers: Mapping[str, str]) -> tuple[int, bytes] | None:
        """The response refusing a request, as (status, JSON body), or ``None`` to let it in."""
        reason = self.host_refusal(headers.get("host"))
        if reason:
            return policy_error(400, reason, "HOST_NOT_ALLOWED")
        if method in WRITE_METHODS:
            reason = self.write_refusal(headers)
            if reason:
                return policy_error(403, reason, "CROSS_SITE_REQUEST")
        reason = self.content_type_refusal(method, headers)
        if reason:
            return policy_error(415, reason, "UNSUPPORTED_MEDIA_TYPE")
        return None


class HttpPolicyMiddleware:
    """ASGI middleware applying an :class:`HttpPolicy` to every HTTP request."""

    def __init__(self, app: ASGIApp, policy: HttpPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope["headers"]}
            refused = self.policy.refusal(scope["method"], headers)
            if refused is not None:
                await _send_json(send, *refused)
                return
        await self.app(scope, receive, send)


async def _send_json(send: Send, status: int, body: bytes) -> None:
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
