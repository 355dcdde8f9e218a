"""``prefect-jupyter describe flows|tasks|flow-runs``: one object of the server, whole, as JSON.

Prefect 1's ``prefect describe``: the same options, fields and output (JSON with sorted keys, or
YAML with ``-o yaml``). A flow is its latest version unless ``--version`` names one; something
not found is said in red with the command that lists what there is (exit code 0, as Prefect 1).
"""

from __future__ import annotations

import json
from typing import Any

import click

from prefect_jupyter.cli.common import graphql

FLOW_FIELDS = """name version project { name } created description parameters archived
                 storage environment"""
TASK_FIELDS = "name created slug description type max_retries retry_delay mapped"
FLOW_RUN_FIELDS = """name flow { name } created parameters auto_scheduled scheduled_start_time
                     start_time end_time serialized_state"""

output_option = click.option(
    "--output", "-o", type=click.Choice(["json", "yaml"]), default="json", show_default=True,
    help="Output format.",
)


def display_output(obj: Any, output: str = "json") -> None:
    """Print ``obj`` as JSON (sorted keys, indented) or YAML."""
    obj = json.loads(json.dumps(obj))  # plain dicts and lists (the client's results are dicts)
    if output == "yaml":
        try:
            import yaml
        except ImportError:
            raise click.ClickException(
                "YAML output needs PyYAML: `pip install pyyaml`, or use `-o json`."
            ) from None
        click.echo(yaml.safe_dump(obj))
    else:
        click.echo(json.dumps(obj, sort_keys=True, indent=2))


def _not_found(what: str, listing: str) -> None:
    click.secho(f"{what} not found", fg="red")
    click.echo(f"See what there is with `prefect-jupyter {listing}`.")


def _flow_where(name: str, version: int | None, project: str | None) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = [{"name": {"_eq": name}}]
    if version is not None:
        clauses.append({"version": {"_eq": version}})
    if project is not None:
        clauses.append({"project": {"name": {"_eq": project}}})
    return {"_and": clauses}


def _latest_flow(name: str, version: int | None, project: str | None, fields: str) -> Any:
    data = graphql(
        "query($where: flow_bool_exp) { flow(where: $where, order_by: [{version: desc}], "
        f"limit: 1) {{ {fields} }} }}",
        {"where": _flow_where(name, version, project)},
    )
    return data["flow"][0] if data["flow"] else None


@click.group()
def describe() -> None:
    """Output information about different Prefect objects: flows, tasks, flow-runs.

    \b
    Examples:
        prefect-jupyter describe flows --name my-flow --version 2
        prefect-jupyter describe tasks --name my-flow -o yaml
        prefect-jupyter describe flow-runs --name bright-otter
    """


_flow_options = [
    click.option("--name", "-n", required=True, help="A flow name."),
    click.option("--version", "-v", type=int, help="A flow version (default: the latest)."),
    click.option("--project", "-p", help="The flow's project."),
    output_option,
]


def _with_flow_options(command: Any) -> Any:
    for option in reversed(_flow_options):
        command = option(command)
    return command


@describe.command()
@_with_flow_options
def flows(name: str, version: int | None, project: str | None, output: str) -> None:
    """A flow: its version, project, parameters, storage, ..."""
    flow = _latest_flow(name, version, project, FLOW_FIELDS)
    if flow is None:
        _not_found(name, "get flows")
        return
    storage = flow.get("storage") or {}
    if isinstance(storage.get("flow"), str) and len(storage["flow"]) > 200:
        # a flow stored in the database (Pickle storage): its size, not kilobytes of base64
        flow = {**flow, "storage": {**storage, "flow": f"<{len(storage['flow']):,} characters>"}}
    display_output(flow, output)


@describe.command()
@_with_flow_options
def tasks(name: str, version: int | None, project: str | None, output: str) -> None:
    """The tasks of a flow (given by its name), as a list."""
    flow = _latest_flow(name, version, project, f"tasks(order_by: {{slug: asc}}) {{ {TASK_FIELDS} }}")
    if flow is None:
        _not_found(name, "get flows")
        return
    if not flow["tasks"]:
        click.secho(f"No tasks found for flow {name}", fg="red")
        return
    display_output(flow["tasks"], output)


@describe.command("flow-runs")
@click.option("--name", "-n", required=True, help="A flow run name.")
@click.option("--flow-name", "-fn", help="The run's flow name.")
@output_option
def flow_runs(name: str, flow_name: str | None, output: str) -> None:
    """A flow run: its flow, parameters, times and state."""
    clauses: list[dict[str, Any]] = [{"name": {"_eq": name}}]
    if flow_name is not None:
        clauses.append({"flow": {"name": {"_eq": flow_name}}})
    data = graphql(
        "query($where: flow_run_bool_exp) { flow_run(where: $where, "
        f"order_by: [{{created: desc}}], limit: 1) {{ {FLOW_RUN_FIELDS} }} }}",
        {"where": {"_and": clauses}},
    )
    if not data["flow_run"]:
        _not_found(name, "get flow-runs")
        return
    display_output(data["flow_run"][0], output)
