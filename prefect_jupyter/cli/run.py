"""``prefect-jupyter run``: start a registered flow on the server, or run a flow file here."""

from __future__ import annotations

import json
import uuid
from typing import Any

import click

from prefect_jupyter.cli.common import api_errors, graphql, make_client, parse_params
from prefect_jupyter.cli.restart import restart
from prefect_jupyter.cli.watch import watch_to_the_end


def load_json_key_values(cli_input: list[str], display_name: str) -> dict[str, Any]:
    """``KEY=VALUE`` options as a dict, each value read as JSON when it is, else as text
    (Prefect 1's helper for ``--param`` and ``--context``).

    Raises:
        TerminalError: for an option without ``=``, naming the option kind ``display_name``.
    """
    from prefect_jupyter.cli.build_register import TerminalError

    try:
        return parse_params(cli_input)
    except click.BadParameter as exc:
        raise TerminalError(f"Invalid {display_name} option: {exc.message}") from None


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def find_flow(flow_id: str | None, name: str | None, project: str | None) -> dict[str, Any]:
    """The flow to run: by id (a flow or version group id), or the latest version by name."""
    fields = "id name version version_group_id archived labels project { name }"
    if flow_id:
        # a version group id is any string; a flow id is a UUID (anything else can't be one)
        either: list[dict[str, Any]] = [
            {"version_group_id": {"_eq": flow_id}, "archived": {"_eq": False}}
        ]
        if _is_uuid(flow_id):
            either.insert(0, {"id": {"_eq": flow_id}})
        data = graphql(
            f"""query($where: flow_bool_exp) {{ flow(where: $where, order_by: {{version: desc}},
                 limit: 1) {{ {fields} }} }}""",
            {"where": {"_or": either}},
        )
        what = f"with id {flow_id!r}"
    else:
        where: dict[str, Any] = {"name": {"_eq": name}, "archived": {"_eq": False}}
        if project:
            where["project"] = {"name": {"_eq": project}}
        data = graphql(
            f"""query($where: flow_bool_exp) {{ flow(where: $where, order_by: {{version: desc}})
                 {{ {fields} }} }}""",
            {"where": where},
        )
        what = f"named {name!r}" + (f" in project {project!r}" if project else "")
        projects = {f["project"]["name"] for f in data["flow"]}
        if len(projects) > 1:
            raise click.ClickException(
                f"Flows {what} exist in several projects ({', '.join(sorted(projects))}); "
                "choose one with --project."
            )
    if not data["flow"]:
        raise click.ClickException(
            f"No flow {what} is registered. See `prefect-jupyter get flows`, or register it with "
            "`prefect-jupyter register --project P -p flow.py`."
        )
    return data["flow"][0]


def run_locally(path: str | None, module: str | None, params: dict[str, Any]) -> None:
    """Run the single flow in a file or module in this process, as ``flow.run()`` would."""
    from prefect_jupyter.cli.register import load_flows

    flows = load_flows(path=path, module=module)
    if len(flows) != 1:
        names = ", ".join(repr(f.name) for f in flows) or "none"
        raise click.ClickException(
            f"{path or module!r} must define exactly one flow to run; found {names}."
        )
    state = flows[0].run(parameters=params, run_on_schedule=False)
    click.echo(f"Flow run {'succeeded' if state.is_successful() else 'failed'}: {state!r}")
    if not state.is_successful():
        raise SystemExit(1)


@click.group(invoke_without_command=True)
@click.option("--id", "-i", "flow_id", help="A registered flow's id or version group id.")
@click.option("--name", "-n", help="A registered flow's name (latest version).")
@click.option("--project", help="The project of --name, when names repeat across projects.")
@click.option("--path", "-p", help="Run the flow in this file here, without the server.")
@click.option("--module", "-m", help="Run the flow in this module here, without the server.")
@click.option("--param", "params", multiple=True, help="A parameter as KEY=VALUE (repeatable).")
@click.option("--params", "params_json", help="Parameters as a JSON object.")
@click.option("--context", "context_pairs", multiple=True, help="A context value as KEY=VALUE.")
@click.option("--label", "-l", "labels", multiple=True, help="A label for the run (repeatable).")
@click.option("--run-name", help="A name for the flow run.")
@click.option("--idempotency-key", help="Runs created with the same key are the same run.")
@click.option("--watch", "-w", is_flag=True, help="Follow the run's states and logs until it ends.")
@click.pass_context
def run(
    ctx: click.Context,
    flow_id: str | None,
    name: str | None,
    project: str | None,
    path: str | None,
    module: str | None,
    params: tuple[str, ...],
    params_json: str | None,
    context_pairs: tuple[str, ...],
    labels: tuple[str, ...],
    run_name: str | None,
    idempotency_key: str | None,
    watch: bool,
) -> None:
    """Run a flow: a registered one on the server (--id/--name; an agent executes it), or the
    flow in a local file or module right here (--path/--module).

    `prefect-jupyter run restart RUN_ID` runs a failed flow run again from its failure.
    """
    if ctx.invoked_subcommand is not None:
        return
    given = [
        opt
        for opt, v in (("--id", flow_id), ("--name", name), ("--path", path), ("--module", module))
        if v
    ]
    if len(given) != 1:
        raise click.UsageError("Give exactly one of --id, --name, --path or --module.")
    parameters = parse_params(params, params_json)
    if path or module:
        run_locally(path, module, parameters)
        return
    click.echo("Looking up flow metadata...", nl=False)
    flow = find_flow(flow_id, name, project)
    click.secho(" Done", fg="green")
    click.echo(f"Creating run for flow {flow['name']!r}...", nl=False)
    with api_errors():
        run_id = make_client().create_flow_run(
            flow_id=flow["id"],
            parameters=parameters,
            context=parse_params(context_pairs) or None,
            labels=list(labels) or None,
            run_name=run_name,
            idempotency_key=idempotency_key,
        )
    click.secho(" Done", fg="green")
    info = graphql(
        "query($id: uuid!) { flow_run_by_pk(id: $id) { name labels parameters } }", {"id": run_id}
    )["flow_run_by_pk"]
    # plain values: a GraphQL result's own repr is indented JSON, not one line
    labels, parameters = json.loads(json.dumps([info["labels"], info["parameters"]]))
    click.echo(f"└── Name: {info['name']}\n└── UUID: {run_id}\n└── Labels: {labels}")
    click.echo(f"└── Parameters: {parameters}")
    if watch:
        watch_to_the_end(run_id)


run.add_command(restart)
