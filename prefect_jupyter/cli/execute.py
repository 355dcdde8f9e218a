"""``prefect-jupyter execute flow-run``: execute one flow run of the server in this process.

Agents run this (as ``python -m prefect_jupyter.backend``) for each flow run; it is handy by
hand to run one scheduled run without an agent.
"""

from __future__ import annotations

import click


@click.group()
def execute() -> None:
    """Execute flow runs of the server here (what an agent does for each run)."""


@execute.command("flow-run")
@click.option("--id", "-i", "flow_run_id",
              help="The flow run's id (default: env PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID, or "
              "Prefect 1's PREFECT__CONTEXT__FLOW_RUN_ID, or `context.flow_run_id`).")
def flow_run(flow_run_id: str | None) -> None:
    """Execute one flow run, reporting its states and logs to the server as it goes."""
    from prefect_jupyter.backend.execution import (
        FlowRunNotRunnable,
        ReportsSpooled,
        execute_flow_run,
        flow_run_id_from_env,
    )
    from prefect_jupyter.backend.spool import SPOOLED_EXIT_CODE
    from prefect_jupyter.context import context

    flow_run_id = flow_run_id or flow_run_id_from_env() or context.get("flow_run_id")
    if not flow_run_id:
        # exit 1, as Prefect 1's `prefect execute flow-run` outside a flow run's context
        raise click.ClickException(
            "No flow run to execute: pass --id RUN_ID, or set PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID."
        )
    try:
        state = execute_flow_run(flow_run_id)
    except FlowRunNotRunnable as exc:
        raise click.ClickException(str(exc)) from None
    except ReportsSpooled as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(SPOOLED_EXIT_CODE) from None
    if state is None:
        click.echo(f"Flow run {flow_run_id} was not run here (see the log above).")
    else:
        click.echo(f"Flow run {flow_run_id} finished: {type(state).__name__}: {state.message}")
