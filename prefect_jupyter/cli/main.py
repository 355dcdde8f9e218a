"""The top-level ``prefect-jupyter`` group; each subcommand lives in its own module."""

from __future__ import annotations

import click

from prefect_jupyter.cli.agent import agent
from prefect_jupyter.cli.backend import backend
from prefect_jupyter.cli.build import build
from prefect_jupyter.cli.create import create
from prefect_jupyter.cli.delete import delete
from prefect_jupyter.cli.describe import describe
from prefect_jupyter.cli.execute import execute
from prefect_jupyter.cli.get import get
from prefect_jupyter.cli.register import register
from prefect_jupyter.cli.run import run
from prefect_jupyter.cli.server import server


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="prefect-jupyter", prog_name="prefect-jupyter")
def cli() -> None:
    """prefect_jupyter: Prefect 1-style workflows for people who work in notebooks.

    \b
    Start here:
        prefect-jupyter backend server        point this machine at the local server
        prefect-jupyter server start          run the API server (SQLite by default)
        prefect-jupyter create project NAME   make a project to register flows in
        prefect-jupyter register --project NAME -p flow.py
        prefect-jupyter get flows             see what is registered
    """


for command in (
    backend, server, create, build, register, get, describe, run, delete, agent, execute
):
    cli.add_command(command)


def main() -> None:
    """Entry point of the ``prefect-jupyter`` console script."""
    cli(prog_name="prefect-jupyter")
