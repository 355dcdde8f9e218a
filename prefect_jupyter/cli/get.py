"""``prefect-jupyter get flows|projects|flow-runs|tasks|logs``: tables of what the server holds."""

from __future__ import annotations

from typing import Any

import click

from prefect_jupyter.cli.common import age, duration, graphql, graphql_pages, print_table


def _where(**conditions: Any) -> dict[str, Any]:
    """A Hasura ``where`` from the options the user gave (None means "not given")."""
    clauses = []
    for path, value in conditions.items():
        if value is None:
            continue
        clause: dict[str, Any] = {"_eq": value}
        for part in reversed(path.split("__")):
            clause = {part: clause}
        clauses.append(clause)
    return {"_and": clauses}


@click.group()
def get() -> None:
    """List flows, projects, flow runs, tasks or a run's logs."""


@get.command()
@click.option("--name", "-n", help="A flow name.")
@click.option("--version", "-v", type=int, help="A flow version.")
@click.option("--project", "-p", help="A project name.")
@click.option("--limit", "-l", default=10, show_default=True, help="How many flows to show.")
@click.option("--all-versions", is_flag=True, help="Show every version, not only the latest.")
def flows(
    name: str | None, version: int | None, project: str | None, limit: int, all_versions: bool
) -> None:
    """Registered flows (latest version of each unless --all-versions)."""
    where = _where(name=name, version=version, project__name=project)
    if not all_versions and version is None:
        where["_and"].append({"archived": {"_eq": False}})
    data = graphql(
        """query($where: flow_bool_exp, $limit: Int) {
             flow(where: $where, order_by: [{name: asc}, {version: desc}], limit: $limit) {
               id name version created archived project { name } } }""",
        {"where": where, "limit": limit},
    )
    rows = [
        (f["name"], f["version"], age(f["created"]), f["id"], f["project"]["name"])
        for f in data["flow"]
    ]
    print_table(["NAME", "VERSION", "AGE", "ID", "PROJECT NAME"], rows)


@get.command()
@click.option("--name", "-n", help="A project name.")
def projects(name: str | None) -> None:
    """Projects, with how many flows each holds."""
    data = graphql(
        """query($where: project_bool_exp) {
             project(where: $where, order_by: {name: asc}) {
               id name description created flows { archived } } }""",
        {"where": _where(name=name)},
    )
    rows = [
        (
            p["name"],
            sum(not f["archived"] for f in p["flows"]),
            age(p["created"]),
            p["description"] or "",
            p["id"],
        )
        for p in data["project"]
    ]
    print_table(["NAME", "FLOW COUNT", "AGE", "DESCRIPTION", "ID"], rows)


@get.command("flow-runs")
@click.option("--limit", "-l", default=10, show_default=True, help="How many runs to show.")
@click.option("--flow", "-f", "flow_name", help="Only runs of this flow (by name).")
@click.option("--project", "-p", help="Only runs of flows in this project.")
@click.option("--started", is_flag=True, help="Only runs that have started.")
def flow_runs(limit: int, flow_name: str | None, project: str | None, started: bool) -> None:
    """Flow runs, newest first, with their state and why a run is waiting."""
    where = _where(flow__name=flow_name, flow__project__name=project)
    if started:
        where["_and"].append({"start_time": {"_is_null": False}})
    data = graphql(
        """query($where: flow_run_bool_exp, $limit: Int) {
             flow_run(where: $where, order_by: {created: desc}, limit: $limit) {
               id name state state_message created start_time end_time scheduled_start_time
               late_reason flow { name } } }""",
        {"where": where, "limit": limit},
    )
    rows = [
        (
            r["name"],
            r["flow"]["name"],
            r["state"],
            age(r["created"]),
            r["start_time"] or "",
            duration(r["start_time"], r["end_time"]),
            r["id"],
            r["late_reason"] or r["state_message"] or "",  # why a late run has not started
        )
        for r in data["flow_run"]
    ]
    print_table(
        ["NAME", "FLOW NAME", "STATE", "AGE", "START TIME", "DURATION", "RUN ID", "MESSAGE"], rows
    )


@get.command()
@click.option("--name", "-n", help="A task name.")
@click.option("--flow-name", "-fn", help="A flow name.")
@click.option("--flow-version", "-fv", type=int, help="A flow version.")
@click.option("--project", "-p", help="A project name.")
@click.option("--limit", "-l", default=10, show_default=True, help="How many tasks to show.")
def tasks(
    name: str | None,
    flow_name: str | None,
    flow_version: int | None,
    project: str | None,
    limit: int,
) -> None:
    """Tasks of registered flows."""
    where = _where(
        name=name, flow__name=flow_name, flow__version=flow_version, flow__project__name=project
    )
    data = graphql(
        """query($where: task_bool_exp, $limit: Int) {
             task(where: $where, order_by: {created: desc}, limit: $limit) {
               id name slug mapped type created flow { name version } } }""",
        {"where": where, "limit": limit},
    )
    rows = [
        (
            t["name"],
            t["flow"]["name"],
            t["flow"]["version"],
            age(t["created"]),
            t["mapped"],
            t["type"],
            t["id"],
        )
        for t in data["task"]
    ]
    print_table(["NAME", "FLOW NAME", "FLOW VERSION", "AGE", "MAPPED", "TYPE", "ID"], rows)


@get.command()
@click.option("--name", "-n", help="A flow run name.")
@click.option("--id", "run_id", help="A flow run id.")
@click.option("--info", "-i", is_flag=True, help="Show each record's extra info too.")
def logs(name: str | None, run_id: str | None, info: bool) -> None:
    """The logs of one flow run (by --name or --id), oldest first."""
    if not name and not run_id:
        raise click.UsageError("Give the flow run's --name or --id.")
    where = _where(flow_run__name=name, flow_run_id=run_id)
    records = graphql_pages(
        """query($where: log_bool_exp, $limit: Int, $offset: Int) {
             log(where: $where, order_by: [{timestamp: asc}, {id: asc}],
                 limit: $limit, offset: $offset) { timestamp level name message info } }""",
        {"where": where},
        "log",
    )
    found = False
    for record in records:
        found = True
        line = f"{record['timestamp']} {record['level']:<8} {record['name']} | {record['message']}"
        click.echo(line + (f"  {record['info']}" if info and record["info"] else ""))
    if not found:
        raise click.ClickException(f"No logs found for flow run {name or run_id!r}.")
