"""Following a flow run on the server from the CLI (``run --watch``, ``run restart --watch``)."""

from __future__ import annotations

import time

import click

from prefect_jupyter.cli.common import graphql, graphql_pages
from prefect_jupyter.engine.state_sets import FINISHED, SUCCESSFUL

_RUN = """query($id: uuid!) {
  flow_run_by_pk(id: $id) { state state_message
    states(order_by: {timestamp: asc}) { id state message timestamp } } }"""

# read from the first record not yet printed on, a page at a time (a big map logs far more
# lines than one answer may hold)
_LOGS = """query($id: uuid!, $limit: Int, $offset: Int) {
  log(where: {flow_run_id: {_eq: $id}}, order_by: {timestamp: asc},
      limit: $limit, offset: $offset) { timestamp level message } }"""


def watch_run(run_id: str, poll: float = 0.5, stream_logs: bool = True) -> str:
    """Print the run's state changes (and its logs, with ``stream_logs``) until it finishes;
    returns the final state name."""
    seen_states: set[str] = set()
    seen_logs = 0
    hinted = False
    began = time.monotonic()
    while True:
        run = graphql(_RUN, {"id": run_id})["flow_run_by_pk"]
        for change in run["states"]:
            if change["id"] not in seen_states:
                seen_states.add(change["id"])
                click.echo(
                    f"└── {change['timestamp']} | {change['state']} | {change['message'] or ''}"
                )
        records = graphql_pages(_LOGS, {"id": run_id}, "log", start=seen_logs) if stream_logs else ()
        for record in records:
            click.echo(f"└── {record['timestamp']} | {record['level']} | {record['message']}")
            seen_logs += 1
        if run["state"] in FINISHED:
            return run["state"]
        if not hinted and run["state"] == "Scheduled" and time.monotonic() - began > 10:
            hinted = True
            click.secho(
                "    No agent has picked this run up yet: start one with "
                "`prefect-jupyter agent local start` (its labels must include the run's).",
                fg="yellow",
            )
        time.sleep(poll)


def watch_to_the_end(run_id: str) -> None:
    """Follow the run until it finishes; exit with status 1 unless it ended successfully
    (a failed or cancelled run is not a success)."""
    click.echo("Watching flow run execution...")
    final = watch_run(run_id)
    click.echo(f"Flow run is in a finished state: {final}")
    if final not in SUCCESSFUL:
        raise SystemExit(1)
