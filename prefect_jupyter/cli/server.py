"""``prefect-jupyter server ...``: run the API server in this process."""

from __future__ import annotations

import contextlib

import click


@click.group()
def server() -> None:
    """Run the prefect_jupyter server (API; embedded SQLite unless told otherwise)."""


@server.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, help="Port of the API (default: config `server.port`, 4200).")
@click.option(
    "--database-url",
    envvar="PREFECT_JUPYTER__SERVER__DATABASE__URL",
    help="SQLAlchemy URL of the database (default: the SQLite file in config "
    "`server.database.url`; e.g. postgresql+psycopg://user:pw@host/db for a team).",
)
@click.option(
    "--api-token",
    envvar="PREFECT_JUPYTER__SERVER__API_TOKEN",
    help="Token clients must send; required when --host is not a loopback address.",
)
@click.option("--ui-port", type=int, help="Port of the web UI (default: config `server.ui.port`, 8080; 0: no UI).")
@click.option("--with-agent", is_flag=True,
              help="Also run a local agent in this process, so registered runs execute here.")
@click.option("--agent-label", "agent_labels", multiple=True,
              help="A label of the --with-agent agent (repeatable; default: config "
              "`cloud.agent.labels`).")
@click.option("--no-services", is_flag=True,
              help="Don't run the scheduler, zombie killer and Lazarus in this process.")
def start(
    host: str, port: int, database_url: str | None, api_token: str | None, ui_port: int | None,
    with_agent: bool, agent_labels: tuple[str, ...], no_services: bool,
) -> None:
    """Start the server: migrations, then the GraphQL API at http://HOST:PORT/graphql and the
    web UI at http://HOST:UI_PORT; with --with-agent, a local agent too (one command runs
    everything on this machine)."""
    from prefect_jupyter.server import serve

    if port is None:
        import prefect_jupyter

        port = int(prefect_jupyter.config.server.port)
    agent = None
    stack = contextlib.ExitStack()
    if with_agent:
        from prefect_jupyter.cli.with_agent import AgentThread, api_address, sigterm_exits

        if not port:
            raise click.UsageError("--with-agent needs a fixed --port (not 0).")
        stack.enter_context(sigterm_exits())
        agent = AgentThread(api_address(host, port), api_token or None, agent_labels).start()
    try:
        serve(host=host, port=port, database_url=database_url, api_token=api_token or None,
              ui_port="config" if ui_port is None else ui_port, services=not no_services)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if agent is not None:
            agent.stop()
        stack.close()
