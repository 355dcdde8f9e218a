"""``serve``: run the server with uvicorn until interrupted."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any, Literal

import uvicorn

from prefect_jupyter.utilities.heap import freeze_long_lived
from prefect_jupyter.utilities.http_policy import is_loopback
from prefect_jupyter.utilities.logging import get_logger

logger = get_logger("server")

__all__ = ["serve", "check_bind", "is_loopback", "MIN_TOKEN_LENGTH"]

#: shortest API token accepted for a server other machines can reach
MIN_TOKEN_LENGTH = 16


def check_bind(host: str, api_token: str | None) -> None:
    """Refuse to listen beyond this machine without a strong API token.

    A token shorter than :data:`MIN_TOKEN_LENGTH` characters is refused for a non-loopback
    ``host`` and logged as a warning for a loopback one.

    Raises:
        ValueError: ``host`` is not a loopback address and there is no token, or a short one.
    """
    loopback = is_loopback(host)
    if not api_token and not loopback:
        raise ValueError(
            f"Refusing to listen on {host} without an API token: anyone who can reach it could "
            "register flows, which ship code to run. Start it with --api-token TOKEN (or set "
            "PREFECT_JUPYTER__SERVER__API_TOKEN), and give clients the same token; or bind "
            "127.0.0.1."
        )
    if api_token and len(api_token) < MIN_TOKEN_LENGTH:
        advice = (
            f"the API token is {len(api_token)} characters long; use at least "
            f"{MIN_TOKEN_LENGTH} random ones, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(24))"`'
        )
        if not loopback:
            raise ValueError(
                f"Refusing to listen on {host} with a weak token: {advice} (in --api-token "
                "or PREFECT_JUPYTER__SERVER__API_TOKEN)."
            )
        logger.warning("Weak API token: %s.", advice)


def open_app(database_url: str | None, token: str | None, host: str) -> Any:
    """The API app for a server bound to ``host``, its database checked and migrated.

    Raises:
        ValueError: the database is corrupt, not a database, or unreachable — one line
            naming it and the fix.
    """
    from sqlalchemy.exc import DBAPIError

    from prefect_jupyter.server.app import create_app
    from prefect_jupyter.server.database.engine import describe_failure
    from prefect_jupyter.utilities.http_policy import HttpPolicy

    try:
        return create_app(database_url, api_token=token, http_policy=HttpPolicy.for_bind(host))
    except DBAPIError as exc:
        raise ValueError(_unusable_database(database_url, describe_failure(exc))) from None


def _unusable_database(database_url: str | None, cause: str) -> str:
    from prefect_jupyter import config
    from prefect_jupyter.server.database.engine import normalize_url

    url = normalize_url(database_url or config.server.database.url)
    if url.get_backend_name() == "sqlite":
        return (
            f"The database file {url.database} is not a usable SQLite database ({cause}): "
            "restore it from a backup, or move it away to start with an empty one "
            "(or pass --database-url)."
        )
    return (
        f"Cannot use the database {url.render_as_string(hide_password=True)} ({cause}): "
        "check that the server is running and the URL, user and password are right."
    )


#: seconds a thread holds the GIL while another waits for it (Python's default: 0.005). A
#: request's thread spends much of a write waiting for the database; when the answer comes, it
#: should not wait 5 ms for the thread decoding the next request's body to let it go. With two
#: reports of a run in flight at once, 0.5 ms made them store a third faster.
SWITCH_INTERVAL = 0.0005


def serve(
    host: str = "127.0.0.1",
    port: int = 4200,
    database_url: str | None = None,
    api_token: str | None = None,
    log_level: str = "warning",
    ui_port: int | None | Literal["config"] = "config",
    services: bool = True,
) -> None:
    """Migrate the database, then serve the API until interrupted (blocking).

    Logs one line with the address once it accepts connections. Meant to own its process (as
    ``prefect-jupyter server start`` does): what is alive when serving starts is frozen out of
    the garbage collector's full passes (``utilities/heap.py``).

    Args:
        host: address to bind; anything but a loopback address needs ``api_token``.
        port: TCP port (0: any free port; the log line says which).
        database_url: SQLAlchemy URL (default: ``config.server.database.url``).
        api_token: required ``Bearer`` token (default: ``config.server.api_token``, if set).
        log_level: uvicorn's own log level.
        ui_port: also serve the web UI (with the API under ``/api``) on this port of the same
            host, in this process; ``"config"``: config ``server.ui.port`` (8080); ``None`` or
            0: no UI.
        services: run the scheduler, zombie killer and Lazarus in this process (as config
            ``server.services`` says; see ``server/services``).

    Raises:
        ValueError: a non-loopback ``host`` without a token (or with one shorter than 16
            characters), a bad, corrupt or unreachable database, or the UI on the API's port.
    """
    from prefect_jupyter import config

    token = api_token if api_token is not None else (config.server.api_token or None)
    check_bind(host, token)
    ui = int(config.server.ui.port if ui_port == "config" else ui_port or 0)
    if ui and ui == port:
        raise ValueError(
            f"The web UI and the API can't share port {ui}: pick another --ui-port "
            "(or 0 for no UI)."
        )
    started = time.perf_counter()
    app = open_app(database_url, token, host)
    database = app.state.database
    background = None
    if services:
        from prefect_jupyter.server.services import start_services

        background = start_services(database)
    server = _ReadyServer(
        uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="off"),
        on_ready=lambda actual_port: logger.info(
            "prefect_jupyter server ready at http://%s:%d/graphql (database: %s, started in "
            "%.2f s)", _url_host(host), actual_port, database.display_url,
            time.perf_counter() - started,
        ),
    )
    # the server's own state lives as long as it does: keep it out of the full collections that
    # large reports set off
    freeze_long_lived()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        if ui:
            asyncio.run(_serve_with_ui(server, _ui_server(app, host, ui, log_level), ui))
        else:
            server.run()
    finally:
        if background is not None:
            background.stop()
        database.dispose()


def _ui_server(api_app: Any, host: str, ui_port: int, log_level: str) -> Any:
    """A uvicorn server for the web UI, which mounts the same API app under ``/api``."""
    from prefect_jupyter.ui.app import create_ui_app

    ui_app = create_ui_app(api_app, http_policy=api_app.state.http_policy)
    return _ReadyServer(
        uvicorn.Config(ui_app, host=host, port=ui_port, log_level=log_level, lifespan="off"),
        on_ready=lambda actual_port: logger.info(
            "prefect_jupyter UI ready at http://%s:%d", _url_host(host), actual_port
        ),
    )


async def _serve_with_ui(api: Any, ui: Any, ui_port: int) -> None:
    """Run the API's and the UI's uvicorn servers on one event loop.

    A signal (Ctrl-C, SIGTERM) stops both. A UI that cannot listen (the port is taken) is
    reported and the API goes on without it: the API is what runs flows.
    """

    async def run_api() -> None:
        try:
            await api.serve()
        finally:
            ui.should_exit = True

    async def run_ui() -> None:
        try:
            await ui.serve()
        except SystemExit:  # uvicorn exits when it cannot bind
            if ui.started:
                raise
            logger.error(
                "The web UI could not listen on port %d (see the error above); the API goes on "
                "without it. Pick a free port with --ui-port (0: no UI).", ui_port,
            )
            return
        api.should_exit = True

    await asyncio.gather(run_api(), run_ui())


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class _ReadyServer(uvicorn.Server):
    """uvicorn's server, calling ``on_ready(port)`` once its socket listens."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[int], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_ready(self.servers[0].sockets[0].getsockname()[1])
