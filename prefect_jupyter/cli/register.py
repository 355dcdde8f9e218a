"""``prefect-jupyter register``: register the flows found in scripts, modules and flows files.

The steps (finding flows, building storage, registering) are Prefect 1's
``prefect.cli.build_register`` functions, in :mod:`prefect_jupyter.cli.build_register`.
"""

from __future__ import annotations

import importlib
import runpy
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from prefect_jupyter.cli.build_register import flows_in_namespace


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


@click.command()
@click.option("--project", required=True, help="The project to register the flows in.")
@click.option("--path", "-p", "paths", multiple=True,
              help="A Python file, a directory of them, or a glob (repeatable).")
@click.option("--module", "-m", "modules", multiple=True, help="An importable module with flows.")
@click.option("--json", "-j", "json_paths", multiple=True,
              help="A flows file written by `prefect-jupyter build` (a path or URL).")
@click.option("--name", "-n", "names", multiple=True, help="Register only flows with this name.")
@click.option("--label", "-l", "labels", multiple=True, help="A label to add to every flow.")
@click.option("--force", "-f", is_flag=True, help="Register a new version even if nothing changed.")
@click.option("--watch", is_flag=True, help="Register again whenever a script or module changes.")
@click.option("--schedule/--no-schedule", default=True, help="Turn the flows' schedules on.")
def register(
    project: str,
    paths: tuple[str, ...],
    modules: tuple[str, ...],
    json_paths: tuple[str, ...],
    names: tuple[str, ...],
    labels: tuple[str, ...],
    force: bool,
    watch: bool,
    schedule: bool,
) -> None:
    """Register flows: `prefect-jupyter register --project P -p flow.py` (or `-m my.module`,
    `-j flows.json`), as Prefect 1's `prefect register`.

    An unchanged flow keeps its version ("Skipped (metadata unchanged)"); a changed one gets a
    new version and the previous one is archived.
    """
    from prefect_jupyter.cli.build_register import TerminalError, watch_for_changes

    if not paths and not modules and not json_paths:
        raise click.UsageError("Give at least one --path/-p FILE, --module/-m MODULE or --json/-j FILE.")
    if watch and json_paths:
        raise click.UsageError("--watch can't be used with --json.")
    try:
        if not watch:
            errored = _register_all(project, paths, modules, json_paths, names, labels, force, schedule)
            raise SystemExit(1 if errored else 0)
        for changed_paths, changed_modules in watch_for_changes(paths=paths, modules=modules):
            try:
                _register_all(project, changed_paths, changed_modules, (), names, labels, force, schedule)
            except TerminalError as exc:  # keep watching: the next save may fix it
                click.secho(str(exc), fg="red")
    except TerminalError as exc:
        click.secho(str(exc), fg="red")
        raise SystemExit(1) from None


def _register_all(
    project: str,
    paths: Sequence[str],
    modules: Sequence[str],
    json_paths: Sequence[str],
    names: Sequence[str],
    labels: Sequence[str],
    force: bool,
    schedule: bool,
) -> int:
    """Register the flows of every source; returns how many errored."""
    import prefect_jupyter
    from prefect_jupyter.cli import build_register

    client = prefect_jupyter.Client()
    project_id = build_register.get_project_id(client, project)
    by_source = build_register.collect_flows(paths, modules, json_paths, names=names)
    stats: Counter = Counter(registered=0, skipped=0, errored=0)
    for source, flows in by_source.items():
        click.echo(f"Processing {source!r}:")
        if not flows:
            click.secho("  No flows found.", fg="yellow")
        stats += build_register.build_and_register(
            client, flows, project_id, labels=list(labels), force=force, schedule=schedule
        )
    click.echo(build_register.summary_line(stats))
    return stats["errored"]
