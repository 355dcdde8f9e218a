"""``prefect-jupyter run restart RUN_ID``: run a failed flow run again from its failure."""

from __future__ import annotations

import click

from prefect_jupyter.cli.common import graphql
from prefect_jupyter.cli.watch import watch_to_the_end

_RESTART = """
mutation($input: restart_flow_run_input!) {
  restart_flow_run(input: $input) { id state reset_task_run_ids }
}
"""

_RESET_TASK_RUNS = """
query($ids: [uuid!]) {
  task_run(where: {id: {_in: $ids}}, order_by: [{task: {name: asc}}, {map_index: asc}]) {
    map_index task { name }
  }
}
"""


@click.command()
@click.argument("flow_run_id")
@click.option("--watch", "-w", is_flag=True, help="Follow the run's states and logs until it ends.")
def restart(flow_run_id: str, watch: bool) -> None:
    """Restart a failed flow run from its failure.

    Its failed (and cancelled) task runs and everything downstream of them run again; the task
    runs that succeeded are not run again: their persisted results are reused (a successful task
    whose result was not persisted runs again if a rerun task needs its value). An agent picks
    the run up as usual.
    """
    payload = graphql(_RESTART, {"input": {"flow_run_id": flow_run_id}})["restart_flow_run"]
    reset = payload["reset_task_run_ids"] or []
    rows = graphql(_RESET_TASK_RUNS, {"ids": reset})["task_run"] if reset else []
    names = [
        row["task"]["name"] + (f"[{row['map_index']}]" if row["map_index"] >= 0 else "")
        for row in rows
    ]
    click.echo(f"Flow run {payload['id']} restarted: it is {payload['state']} again.")
    if names:
        click.echo(f"└── Task runs that run again ({len(names)}): {', '.join(names)}")
    else:
        click.echo("└── No task run had failed; the tasks that had not run yet will run.")
    click.echo("└── Successful task runs keep their states and reuse their persisted results.")
    if watch:
        watch_to_the_end(payload["id"])
