"""``prefect-jupyter agent local start``: run an agent that executes flow runs on this machine."""

from __future__ import annotations

import click


@click.group()
def agent() -> None:
    """Run an agent: it picks up due flow runs from the server and executes them."""


@agent.group()
def local() -> None:
    """The local agent: each flow run executes in a subprocess here."""


@local.command()
@click.option("--label", "-l", "labels", multiple=True,
              help="A label of runs this agent may run (repeatable); a run's labels must all be "
              "among the agent's. Default: config `cloud.agent.labels`.")
@click.option("--concurrency", "-c", type=click.IntRange(min=1),
              help="Flow runs at once (default: config `cloud.agent.concurrency`).")
@click.option("--poll-interval", type=click.FloatRange(min=0.05),
              help="Seconds between looks for new runs (default: config `cloud.agent.poll_interval`).")
@click.option("--api", "-a", help="The server's address, e.g. http://127.0.0.1:4200 "
              "(default: config `cloud.graphql`).")
@click.option("--token", "-t", "--key", "-k", "api_token", envvar="PREFECT_JUPYTER__SERVER__API_TOKEN",
              help="The server's API token (default: config `server.api_token`); `--key`/`-k` is "
              "Prefect 1's name for it.")
@click.option("--name", "-n", help="The agent's name (default: config `cloud.agent.name`).")
@click.option("--env", "-e", "env_pairs", multiple=True,
              help="An environment variable for every flow run, as KEY=VALUE (repeatable).")
@click.option("--import-path", "-p", "import_paths", multiple=True,
              help="A directory to put on the flow runs' PYTHONPATH (repeatable).")
@click.option("--show-flow-logs", "-f", is_flag=True,
              help="Show the flow runs' output here (it is always sent to the server).")
@click.option("--warm-start/--no-warm-start", default=None,
              help="Fork each flow run from a process with prefect_jupyter imported already "
              "(less CPU per run; default: config `cloud.agent.warm_start`).")
@click.option("--no-cloud-logs", is_flag=True,
              help="Don't send the flow runs' logs to the server (their states still go).")
@click.option("--hostname-label/--no-hostname-label", default=False,
              help="Add this machine's hostname to the agent's labels.")
@click.option("--agent-config-id", help="Prefect 1's agent configuration id, sent when the agent "
              "registers (the server keeps no agent configurations).")
@click.option("--agent-address", help="Serve a health check (GET /api/health) at this address "
              "while the agent runs, e.g. http://127.0.0.1:8080 (default: config "
              "`cloud.agent.agent_address`).")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
              case_sensitive=False), help="The agent's log level (default: config `logging.level`).")
@click.option("--max-polls", type=int, hidden=True, help="Stop after this many polls.")
def start(
    labels: tuple[str, ...],
    concurrency: int | None,
    poll_interval: float | None,
    api: str | None,
    api_token: str | None,
    name: str | None,
    env_pairs: tuple[str, ...],
    import_paths: tuple[str, ...],
    show_flow_logs: bool,
    warm_start: bool | None,
    no_cloud_logs: bool,
    hostname_label: bool,
    agent_config_id: str | None,
    agent_address: str | None,
    log_level: str | None,
    max_polls: int | None,
) -> None:
    """Start a local agent (Ctrl-C stops it after its runs finish; twice stops them too)."""
    from prefect_jupyter.agent import LocalAgent

    env = {}
    for pair in env_pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--env")
        env[key] = value
    try:
        agent_ = LocalAgent(
            name=name, labels=list(labels) or None, concurrency=concurrency,
            poll_interval=poll_interval, api=api, api_token=api_token or None, env_vars=env,
            import_paths=import_paths, show_flow_logs=show_flow_logs,
            hostname_label=hostname_label, no_cloud_logs=no_cloud_logs, warm_start=warm_start,
            max_polls=max_polls, agent_config_id=agent_config_id,
            agent_address=agent_address,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if log_level:
        agent_.logger.setLevel(log_level.upper())
    agent_.start()
