"""``prefect-jupyter register``: register the flows found in scripts and modules."""

from __future__ import annotations

import importlib
import runpy
from pathlib import Path
from typing import Any

import click

from prefect_jupyter.cli.common import graphql, make_client

_LATEST = """
query($project: String, $name: String) {
  flow(where: {name: {_eq: $name}, archived: {_eq: false}, project: {name: {_eq: $project}}},
       order_by: {version: desc}, limit: 1) { id version }
}
"""


def flows_in_namespace(namespace: dict[str, Any]) -> list[Any]:
    """The distinct ``Flow`` objects bound in a module's namespace, in definition order."""
    from prefect_jupyter.core.flow import Flow

    found: list[Any] = []
    for value in namespace.values():
        if isinstance(value, Flow) and all(value is not f for f in found):
            found.append(value)
    return found


def load_flows(path: str | None = None, module: str | None = None) -> list[Any]:
    """Run a script (not as ``__main__``) or import a module and return the flows it defines.

    Raises:
        click.ClickException: if the file is missing or raises, naming the file and the error.
    """
    if path is not None:
        if not Path(path).is_file():
            raise click.ClickException(f"No such file: {path!r}")
        try:
            namespace = runpy.run_path(path, run_name="__prefect_jupyter_loader__")
        except Exception as exc:
            raise click.ClickException(
                f"Running {path!r} to collect its flows failed: {type(exc).__name__}: {exc}"
            ) from None
        return flows_in_namespace(namespace)
    try:
        loaded = importlib.import_module(str(module))
    except Exception as exc:
        raise click.ClickException(
            f"Importing module {module!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    return flows_in_namespace(vars(loaded))


def register_one(
    flow: Any, project: str, labels: list[str], schedule: bool
) -> tuple[str, int, bool]:
    """Register ``flow``; returns (flow id, version, whether a new version was created)."""
    before = graphql(_LATEST, {"project": project, "name": flow.name})["flow"]
    flow_id = make_client().register(
        flow,
        project_name=project,
        labels=labels or None,
        set_schedule_active=schedule,
        no_url=True,
    )
    after = graphql("query($id: uuid!) { flow_by_pk(id: $id) { version } }", {"id": flow_id})
    version = after["flow_by_pk"]["version"]
    return flow_id, version, not (before and before[0]["id"] == flow_id)


@click.command()
@click.option("--project", required=True, help="The project to register the flows in.")
@click.option("--path", "-p", "paths", multiple=True, help="A Python file with flows (repeatable).")
@click.option("--module", "-m", "modules", multiple=True, help="An importable module with flows.")
@click.option("--name", "-n", "names", multiple=True, help="Register only flows with this name.")
@click.option("--label", "-l", "labels", multiple=True, help="A label to add to every flow.")
@click.option("--schedule/--no-schedule", default=True, help="Turn the flows' schedules on.")
def register(
    project: str,
    paths: tuple[str, ...],
    modules: tuple[str, ...],
    names: tuple[str, ...],
    labels: tuple[str, ...],
    schedule: bool,
) -> None:
    """Register flows: `prefect-jupyter register --project P -p flow.py` or `-m my.module`.

    An unchanged flow keeps its version ("Skipped (metadata unchanged)"); a changed one gets a
    new version and the previous one is archived.
    """
    if not paths and not modules:
        raise click.UsageError("Give at least one --path/-p FILE or --module/-m MODULE.")
    from prefect_jupyter.client import ClientError

    sources = [("path", p) for p in paths] + [("module", m) for m in modules]
    counts = {"registered": 0, "skipped": 0, "errored": 0}
    click.echo("Collecting flows...")
    for kind, source in sources:
        click.echo(f"Processing {source!r}:")
        flows = load_flows(**{kind: source})
        flows = [f for f in flows if not names or f.name in names]
        if not flows:
            click.secho("  No flows found.", fg="yellow")
        for flow in flows:
            click.echo(f"  Registering {flow.name!r}...", nl=False)
            try:
                flow_id, version, is_new = register_one(flow, project, list(labels), schedule)
            except (ClientError, ValueError, TypeError) as exc:
                click.secho(f" Error\n    {exc}", fg="red")
                counts["errored"] += 1
                continue
            if is_new:
                click.secho(" Done", fg="green")
                click.echo(f"  └── ID: {flow_id}\n  └── Version: {version}")
                counts["registered"] += 1
            else:
                click.secho(" Skipped (metadata unchanged)", fg="yellow")
                counts["skipped"] += 1
    summary = ", ".join(f"{n} {word}" for word, n in counts.items() if n or word == "registered")
    click.echo(f"{'=' * 24} {summary} {'=' * 24}")
    if counts["errored"]:
        raise SystemExit(1)
