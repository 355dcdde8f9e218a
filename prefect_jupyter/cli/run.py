"""``prefect-jupyter run``: Prefect 1's ``prefect run`` — a registered flow on the server, or the
flow in a file or module right here.

Lookup (exactly one way): ``--id`` (a flow or flow group id), ``--name`` (with ``--project``
when names repeat), or ``--path``/``--module`` (with ``--name`` when the source defines several
flows). A registered flow gets a run on the server, which an agent executes — or this process
with ``--execute``; ``--watch`` follows it to the end (``--no-logs``: states only). ``--quiet``
prints only the run's id. A path or module runs here, with ``flow.run()``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from prefect_jupyter.backend import FlowRunView, FlowView, watch_flow_run
from prefect_jupyter.cli.build_register import TerminalError
from prefect_jupyter.cli.common import api_errors, parse_params
from prefect_jupyter.cli.restart import restart
from prefect_jupyter.client import Client

LOG_FORMAT = "└── %(asctime)s | %(levelname)-7s | %(message)s"

FLOW_LOOKUP_MSG = """

Look up a flow to run with one of the following option combinations:
    --id
    --name
    --project and --name
    --path (and --name if there are multiple flows in the script)
    --module (and --name if there are multiple flows in the module)

See `prefect-jupyter run --help` for more details on the options.
"""

RUN_EPILOG = """
\bExamples:

\b  Run the flow in a script here
\b    $ prefect-jupyter run -p hello_world.py --param name=Marvin

\b  Run a registered flow by name and watch it (an agent executes it)
\b    $ prefect-jupyter run -n "hello-world" --watch

\b  Run a registered flow by id with extra labels; print only the run's id
\b    $ prefect-jupyter run -i 9a1cd70c-37d7-4cd4-ab91-d41c2700300d -l dev --quiet

\b  Run a registered flow in this process, without an agent
\b    $ prefect-jupyter run -n "hello-world" --execute
"""


def load_json_key_values(cli_input: Sequence[str], display_name: str) -> dict[str, Any]:
    """``KEY=VALUE`` options as a dict, each value read as JSON (Prefect 1's ``--param`` and
    ``--context``): a bare word is text, but text that looks like broken JSON is an error.

    Raises:
        TerminalError: an option without ``=``, or a value that is neither JSON nor a word.
    """
    parsed: dict[str, Any] = {}
    for spec in cli_input:
        key, sep, value = spec.partition("=")
        if not sep or not key:
            raise TerminalError(
                f"Invalid {display_name} option {spec!r}. Expected format 'key=value'."
            )
        try:
            parsed[key] = json.loads(value)
        except ValueError as exc:
            if ("Extra data" in str(exc) or "Expecting value" in str(exc)) and '"' not in value:
                parsed[key] = value
                continue
            raise TerminalError(
                f"Failed to parse JSON for {display_name} {key!r} with value\n\n"
                f"{textwrap.indent(value, chr(9))}\n\nJSON Error: {exc}\n"
                'Did you forget to include quotes? You may need to escape them so your shell '
                'keeps them, e.g. \\"'
            ) from None
    return parsed


@contextmanager
def try_error_done(message: str, echo: Callable[..., None], skip_done: bool = False) -> Iterator[None]:
    """Print ``message``, then `` Done`` (unless ``skip_done``) or `` Error`` and the cause."""
    echo(message, nl=False)
    try:
        yield
    except (TerminalError, click.ClickException) as exc:
        echo(" Error", fg="red")
        raise TerminalError(exc.format_message() if isinstance(exc, click.ClickException)
                            else str(exc)) from None
    except ValueError as exc:
        echo(" Error", fg="red")
        raise TerminalError(str(exc)) from None
    if not skip_done:
        echo(" Done", fg="green")


def get_flow_from_path_or_module(
    path: str | None = None, module: str | None = None, name: str | None = None
) -> Any:
    """The flow to run from a script or module: the only one, or the one named ``name``.

    Raises:
        TerminalError: the source can't be loaded, defines no flow, several without ``name``,
            or none named ``name``.
    """
    from prefect_jupyter.cli.build_register import load_flows_from_module, load_flows_from_script

    location = path if path is not None else module
    flows = load_flows_from_script(path) if path else load_flows_from_module(str(module))
    by_name = {flow.name: flow for flow in flows}
    names = ", ".join(map(repr, by_name))
    if not flows:
        raise TerminalError(f"Found no flows at {location}.")
    if name:
        if name not in by_name:
            raise TerminalError(f"Did not find {name!r} in flows at {location}. Found {names}")
        return by_name[name]
    if len(flows) > 1:
        raise TerminalError(
            f"Found multiple flows at {location!r}: {names}\n\nSpecify a flow name to run."
        )
    return flows[0]


def get_flow_view(flow_or_group_id: str | None = None, project: str | None = None,
                  name: str | None = None) -> FlowView:
    """The registered flow to run: by flow id, then flow group id; or by name (and project).

    Raises:
        TerminalError: no such flow, or ``--project`` without ``--name``.
    """
    if flow_or_group_id:
        for lookup in (FlowView.from_flow_id, FlowView.from_flow_group_id):
            try:
                return lookup(flow_or_group_id)
            except ValueError:
                pass
        raise TerminalError(
            f"Failed to find flow id or flow group id matching {flow_or_group_id!r}: no flow "
            "has that id. See `prefect-jupyter get flows`."
        )
    if not name:
        raise TerminalError("Missing required option `--name`. Cannot look up a flow by "
                            "project without also passing a name.")
    try:
        if project:
            return FlowView.from_flow_name(flow_name=name, project_name=project)
        return FlowView.from_flow_name(flow_name=name)
    except ValueError as exc:
        raise TerminalError(
            f"{exc} Register it with `prefect-jupyter register --project P -p flow.py`."
            if str(exc).startswith("No flow") else str(exc)
        ) from None


def _lookup_problem(flow_id: str | None, project: str | None, path: str | None,
                    module: str | None, name: str | None) -> str | None:
    given = [opt for opt, value in (("--id", flow_id), ("--project", project), ("--path", path),
                                    ("--module", module)) if value is not None]
    if not given and not name:
        return "Received no options to look up the flow." + FLOW_LOOKUP_MSG
    if flow_id is not None and name:
        return ("Received too many options to look up the flow; cannot specify both `--name` "
                "and `--id`" + FLOW_LOOKUP_MSG)
    if len(given) > 1:
        return f"Received too many options to look up the flow: {', '.join(given)}" + FLOW_LOOKUP_MSG
    return None


def _parameters(params: Sequence[str], params_json: str | None, param_file: str | None,
                echo: Callable[..., None]) -> dict[str, Any]:
    from_file: dict[str, Any] = {}
    if param_file:
        try:
            with open(param_file) as file:
                from_file = json.load(file)
        except FileNotFoundError:
            raise TerminalError(
                f"Parameter file does not exist: {os.path.abspath(param_file)!r}") from None
        except ValueError as exc:
            raise TerminalError(
                f"Failed to parse JSON at {os.path.abspath(param_file)!r}: {exc}") from None
    given = {**parse_params([], params_json), **load_json_key_values(params, "parameter")}
    both = set(given) & set(from_file)
    if both:
        echo("The following parameters were specified by file and CLI, the CLI value will be "
             f"used: {both}")
    return {**from_file, **given}


@click.group(invoke_without_command=True, epilog=RUN_EPILOG)
@click.option("--id", "-i", "flow_id", help="A registered flow's id, or a flow group's (its "
              "newest flow runs).")
@click.option("--project", help="The project of the flow named by --name.")
@click.option("--path", "-p", help="Run the flow in this file here, without the server.")
@click.option("--module", "-m", help="Run the flow in this module here, without the server.")
@click.option("--name", "-n", help="A registered flow's name, or which flow of --path/--module.")
@click.option("--label", "-l", "labels", multiple=True,
              help="A label for the run (repeatable; default: the flow's labels).")
@click.option("--run-name", help="A name for the flow run.")
@click.option("--context", "context_pairs", multiple=True,
              help="A context value as KEY=VALUE, the value read as JSON (repeatable).")
@click.option("--param", "params", multiple=True,
              help="A parameter as KEY=VALUE, the value read as JSON (repeatable).")
@click.option("--params", "params_json", help="Parameters as a JSON object.")
@click.option("--param-file", help="A JSON file of parameters (--param values win).")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
              case_sensitive=False), help="The flow run's log level.")
@click.option("--idempotency-key", help="Runs created with the same key are the same run.")
@click.option("--execute", is_flag=True, help="Execute the registered flow's run in this "
              "process, without an agent (if this process exits, the run is marked Failed).")
@click.option("--schedule", "-s", is_flag=True,
              help="Run a local flow on its schedule (waits between runs); local runs only.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the flow run's id.")
@click.option("--no-logs", is_flag=True, help="With --watch or a local run: show states only.")
@click.option("--watch", "-w", is_flag=True, help="Follow the run's states and logs until it ends.")
@click.pass_context
def run(ctx: click.Context, flow_id: str | None, project: str | None, path: str | None,
        module: str | None, name: str | None, labels: tuple[str, ...], run_name: str | None,
        context_pairs: tuple[str, ...], params: tuple[str, ...], params_json: str | None,
        param_file: str | None, log_level: str | None, idempotency_key: str | None,
        execute: bool, schedule: bool, quiet: bool, no_logs: bool, watch: bool) -> None:
    """Run a flow: a registered one on the server (--id/--name; an agent executes it, or this
    process with --execute), or the flow in a local file or module here (--path/--module).

    `prefect-jupyter run restart RUN_ID` runs a failed flow run again from its failure.
    """
    if ctx.invoked_subcommand is not None:
        return
    problem = _lookup_problem(flow_id, project, path, module, name)
    if problem:
        raise click.ClickException(problem)

    def echo(*args: Any, **kwargs: Any) -> None:
        if not quiet:
            click.secho(*args, **kwargs)

    try:
        context = load_json_key_values(context_pairs, "context")
        parameters = _parameters(params, params_json, param_file, echo)
        if path or module:
            _run_here(path, module, name, parameters, context, log_level, schedule, no_logs, echo)
        else:
            if schedule:
                raise click.ClickException("`--schedule` can only be specified for local flow runs")
            _run_on_server(flow_id, project, name, parameters, context, list(labels), run_name,
                           log_level, idempotency_key, execute, quiet, no_logs, watch, echo)
    except TerminalError as exc:
        if str(exc):
            click.secho(str(exc), fg="red")
        sys.exit(1)


def _run_here(path: str | None, module: str | None, name: str | None,
              parameters: dict[str, Any], context: dict[str, Any], log_level: str | None,
              schedule: bool, no_logs: bool, echo: Callable[..., None]) -> None:
    from prefect_jupyter.context import context as prefect_context
    from prefect_jupyter.utilities.logging import temporary_logger_config

    with try_error_done("Retrieving local flow...", echo):
        flow = get_flow_from_path_or_module(path=path, module=module, name=name)
    info = "".join(line for line, value in (
        (f"└── Parameters: {parameters}\n", parameters), (f"└── Context: {context}\n", context),
    ) if value)
    if info:
        echo("Configured local flow run")
        echo(info, nl=False)
    echo("Running flow locally...")
    level = "CRITICAL" if no_logs else log_level  # CRITICAL: no flow log line shows
    with temporary_logger_config(level=level, stream_fmt=LOG_FORMAT, stream_datefmt="%H:%M:%S"):
        with prefect_context(**context):
            try:
                state = flow.run(parameters=parameters, run_on_schedule=schedule)
            except Exception as exc:
                echo(f"Flow runner encountered an exception! {type(exc).__name__}: {exc}")
                raise TerminalError("Flow run failed!") from exc
    if state is None or state.is_failed():
        echo("Flow run failed!", fg="red")
        sys.exit(1)
    echo("Flow run succeeded!", fg="green")


def _run_on_server(flow_id: str | None, project: str | None, name: str | None,
                   parameters: dict[str, Any], context: dict[str, Any], labels: list[str],
                   run_name: str | None, log_level: str | None, idempotency_key: str | None,
                   execute: bool, quiet: bool, no_logs: bool, watch: bool,
                   echo: Callable[..., None]) -> None:
    client = Client()
    with try_error_done("Looking up flow metadata...", echo), api_errors():
        flow_view = get_flow_view(flow_or_group_id=flow_id, project=project, name=name)
    run_config = None
    if log_level:
        from prefect_jupyter.run_configs import UniversalRun

        run_config = flow_view.run_config or UniversalRun()
        run_config.env = {**(run_config.env or {}),
                          "PREFECT_JUPYTER__LOGGING__LEVEL": log_level.upper()}
    if execute:  # a label no agent has keeps agents away from the run
        labels.append(f"agentless-run-{str(uuid.uuid4())[:8]}")
    flow_run_id = None
    try:  # Ctrl-C while the run is made: don't leave a run nobody asked for
        with try_error_done(f"Creating run for flow {flow_view.name!r}...", echo,
                            skip_done=True), api_errors():
            flow_run_id = client.create_flow_run(
                flow_id=flow_view.flow_id, parameters=parameters, context=context,
                labels=labels or None, run_name=run_name, run_config=run_config,
                idempotency_key=idempotency_key,
            )
        _show_run(client, flow_run_id, quiet, echo)
    except KeyboardInterrupt:
        echo("\nKeyboard interrupt detected! Aborting...", fg="yellow")
        if flow_run_id:
            client.cancel_flow_run(flow_run_id=flow_run_id)
            echo("Cancelled flow run.")
        else:
            echo("Aborted.")
        return
    if execute:
        echo("Executing flow run...")
        execute_flow_run_in_subprocess(flow_run_id, client, silent=no_logs or quiet)
    elif watch:
        echo("Watching flow run execution...")
        try:
            for log in watch_flow_run(flow_run_id, stream_logs=not no_logs):
                _echo_log(log)
        except KeyboardInterrupt:
            _interrupted_watch(client, flow_run_id, echo)
            return
    else:
        return
    flow_run = FlowRunView.from_flow_run_id(flow_run_id)
    for _ in range(3):  # reports spooled by the run process may still be on their way
        if flow_run.state.is_finished():
            break
        time.sleep(1)
        flow_run = flow_run.get_latest()
    final = flow_run.state
    if final.is_failed():
        echo("Flow run failed!", fg="red")
        sys.exit(1)
    if final.is_successful():
        echo("Flow run succeeded!", fg="green")
        return
    echo(f"Flow run is in unexpected state: {final!r}", fg="yellow")
    sys.exit(1)


def _show_run(client: Any, flow_run_id: str, quiet: bool, echo: Callable[..., None]) -> None:
    """The new run's id (``quiet``), or its name, id, labels, parameters, context and URL."""
    if quiet:
        click.echo(flow_run_id)
        return
    flow_run = FlowRunView.from_flow_run_id(flow_run_id)
    echo(" Done", fg="green")
    # plain values: a GraphQL result's own repr is indented JSON, not one line
    labels, parameters, context = json.loads(
        json.dumps([flow_run.labels, flow_run.parameters, flow_run.context]))
    echo(f"└── Name: {flow_run.name}\n└── UUID: {flow_run.flow_run_id}\n└── Labels: {labels}\n"
         f"└── Parameters: {parameters}\n└── Context: {context}\n"
         f"└── URL: {client.get_cloud_url('flow-run', flow_run_id)}")


def _interrupted_watch(client: Any, flow_run_id: str, echo: Callable[..., None]) -> None:
    """Ctrl-C while watching: ask whether to cancel the run (a second Ctrl-C leaves it)."""
    echo("Keyboard interrupt detected!", fg="yellow")
    try:
        cancel = click.confirm("On exit, we can leave your flow run executing or cancel it.\n"
                               "Do you want to cancel this flow run?", default=True)
    except click.Abort:
        cancel = False
    if cancel:
        client.cancel_flow_run(flow_run_id=flow_run_id)
        echo("Cancelled flow run.", fg="green")
        return
    echo("Exiting without cancelling flow run!", fg="yellow")
    raise KeyboardInterrupt


_LOG_COLOURS = {logging.ERROR: "red", logging.CRITICAL: "red", logging.WARNING: "yellow"}


def _echo_log(log: Any) -> None:
    """One watched line, as Prefect 1 prints it: ``└── 14:03:07 | INFO    | message``."""
    when = log.timestamp.astimezone().strftime("%H:%M:%S")
    click.secho(f"└── {when} | {logging.getLevelName(log.level):<7} | {log.message}",
                fg=_LOG_COLOURS.get(log.level))


def execute_flow_run_in_subprocess(flow_run_id: str, client: Any = None,
                                   silent: bool = False) -> None:
    """Execute the run in a subprocess of this one, as an agent would (its output shown here
    unless ``silent``)."""
    import subprocess

    from prefect_jupyter.agent.processes import flow_run_command

    env = dict(os.environ)
    client = client or Client()
    env["PREFECT_JUPYTER__CLOUD__GRAPHQL"] = str(client.api_server)
    if getattr(client, "api_token", None):
        env["PREFECT_JUPYTER__SERVER__API_TOKEN"] = client.api_token
    env["PREFECT_JUPYTER__BACKEND"] = "server"
    env.setdefault("PREFECT_JUPYTER__FLOWS__CHECKPOINTING", "true")
    output = subprocess.DEVNULL if silent else None
    subprocess.run(flow_run_command(flow_run_id), env=env, stdout=output, stderr=output,
                   check=False)


run.add_command(restart)
