"""``prefect-jupyter server ...``: run the API server in this process."""

from __future__ import annotations

import click


@click.group()
def server() -> None:
    """Run the prefect_jupyter server (API; embedded SQLite unless told otherwise)."""


@server.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=4200, show_default=True, type=int, help="Port of the API.")
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
def start(host: str, port: int, database_url: str | None, api_token: str | None) -> None:
    """Start the server: migrations, then the GraphQL API at http://HOST:PORT/graphql."""
    from prefect_jupyter.server import serve

    try:
        serve(host=host, port=port, database_url=database_url, api_token=api_token or None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
