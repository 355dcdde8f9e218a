"""``prefect-jupyter delete flow|project``."""

from __future__ import annotations

import click

from prefect_jupyter.cli.common import api_errors, graphql, make_client


@click.group()
def delete() -> None:
    """Delete flows or projects from the server (their runs and logs go with them)."""


@delete.command()
@click.option("--id", "flow_id", help="The flow's id.")
@click.option("--name", "-n", help="Delete every version of the flow with this name...")
@click.option("--project", "-p", help="...in this project (required with --name).")
def flow(flow_id: str | None, name: str | None, project: str | None) -> None:
    """Delete a flow by --id, or all versions of --name in --project."""
    if bool(flow_id) == bool(name):
        raise click.UsageError("Give either --id, or --name with --project.")
    if name and not project:
        raise click.UsageError("--name needs --project (flow names repeat across projects).")
    if flow_id:
        ids = [flow_id]
    else:
        found = graphql(
            """query($name: String, $project: String) { flow(where: {name: {_eq: $name},
                 project: {name: {_eq: $project}}}) { id } }""",
            {"name": name, "project": project},
        )["flow"]
        if not found:
            raise click.ClickException(f"No flow named {name!r} in project {project!r}.")
        ids = [f["id"] for f in found]
    with api_errors():
        for one in ids:
            make_client().graphql(
                "mutation($id: UUID!) { delete_flow(input: {flow_id: $id}) { success error } }",
                {"id": one},
            )
    click.secho(f"Deleted {len(ids)} flow version(s).", fg="green")


@delete.command()
@click.argument("name")
def project(name: str) -> None:
    """Delete project NAME and the flows in it."""
    with api_errors():
        make_client().delete_project(project_name=name)
    click.secho(f"{name} deleted", fg="green")
