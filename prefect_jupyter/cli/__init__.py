"""The ``prefect-jupyter`` command (Prefect 1's ``prefect`` command shapes).

Every subcommand talks to the server through :mod:`prefect_jupyter.client` — there is no side door
into the database. Heavy imports (httpx, the server) happen inside the commands, so
``prefect-jupyter --help`` stays quick.
"""

from prefect_jupyter.cli.main import cli, main

__all__ = ["cli", "main"]
