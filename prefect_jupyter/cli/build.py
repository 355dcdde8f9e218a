"""``prefect-jupyter build``: write the flows of scripts and modules to a flows file, to be
registered later with ``prefect-jupyter register -j FILE`` (Prefect 1's ``prefect build``)."""

from __future__ import annotations

import json
import os
from collections import Counter

import click

from prefect_jupyter.cli.build_register import (
    TerminalError,
    build_flows,
    collect_flows,
    summary_line,
)


@click.command()
@click.option("--path", "-p", "paths", multiple=True,
              help="A Python file, a directory of them, or a glob (repeatable).")
@click.option("--module", "-m", "modules", multiple=True, help="An importable module with flows.")
@click.option("--name", "-n", "names", multiple=True, help="Build only flows with this name.")
@click.option("--label", "-l", "labels", multiple=True, help="A label to add to every flow.")
@click.option("--output", "-o", default="flows.json", show_default=True, help="The flows file to write.")
@click.option("--update", "-u", is_flag=True,
              help="Replace the flows of the same names in an existing file, keeping the others.")
def build(
    paths: tuple[str, ...],
    modules: tuple[str, ...],
    names: tuple[str, ...],
    labels: tuple[str, ...],
    output: str,
    update: bool,
) -> None:
    """Build flows into a flows file: `prefect-jupyter build -p flow.py -o flows.json`.

    The file (`{"version": 1, "flows": [...]}`, each flow serialized with its code) registers
    with `prefect-jupyter register --project P -j flows.json`.
    """
    if not paths and not modules:
        raise click.UsageError("Give at least one --path/-p FILE or --module/-m MODULE.")
    try:
        by_source = collect_flows(paths, modules, names=names)
    except TerminalError as exc:
        click.secho(str(exc), fg="red")
        raise SystemExit(1) from None
    serialized: list[dict] = []
    stats: Counter = Counter(built=0, errored=0)
    for source, flows in by_source.items():
        click.echo(f"Processing {source!r}:")
        built, counts = build_flows(flows, labels=list(labels))
        serialized.extend(built)
        stats.update(counts)
    if update and os.path.exists(output):
        with open(output, "rb") as file:
            previous = json.load(file).get("flows", [])
        names_built = {flow["name"] for flow in serialized}
        serialized.extend(flow for flow in previous if flow["name"] not in names_built)
    click.echo(f"Writing output to {output!r}")
    with open(output, "w") as file:
        json.dump({"version": 1, "flows": serialized}, file)
    click.echo(summary_line(stats, word="built"))
    if stats["errored"]:
        raise SystemExit(1)
