"""``prefect-jupyter create project NAME``."""

from __future__ import annotations

import click

from prefect_jupyter.cli.common import api_errors, make_client


@click.group()
def create() -> None:
    """Create objects on the server (projects)."""


@create.command()
@click.argument("name")
@click.option("--description", "-d", help="A description of the project.")
@click.option("--skip-if-exists", is_flag=True, help="Accepted for Prefect 1 scripts (always so).")
def project(name: str, description: str | None, skip_if_exists: bool) -> None:
    """Create a project NAME to register flows in; does nothing if it already exists."""
    from prefect_jupyter.cli.common import graphql

    found = graphql(
        "query($name: String) { project(where: {name: {_eq: $name}}) { id } }", {"name": name}
    )["project"]
    if found:
        click.secho(f"{name} already exists", fg="green")
        return
    with api_errors():
        make_client().create_project(project_name=name, project_description=description)
    click.secho(f"{name} created", fg="green")
