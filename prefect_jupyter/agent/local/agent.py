"""The local agent: runs each flow run in a subprocess on this machine.

Example:
    >>> from prefect_jupyter.agent import LocalAgent
    >>> LocalAgent(labels=["dev"], concurrency=2).start()   # Ctrl-C to stop
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from typing import Any

from prefect_jupyter.agent.agent import Agent
from prefect_jupyter.agent.forkserver import ForkedRun, ForkServer
from prefect_jupyter.agent.processes import FlowRunProcess, flow_run_command
from prefect_jupyter.configuration import config

__all__ = ["LocalAgent"]


class LocalAgent(Agent):
    """An agent that executes flow runs as local subprocesses (``python -m prefect_jupyter.backend``).

    Each run gets this process's environment, plus the server's address and token, the run's id
    (``PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID``), ``env_vars``, and checkpointing turned on (as
    Prefect 1's agents did: tasks that have a ``Result`` write their values).

    Args:
        env_vars: extra environment variables for every flow run.
        import_paths: directories put on the flow runs' ``PYTHONPATH`` (for flows that import
            local modules).
        show_flow_logs: let flow runs write to this agent's output (otherwise only their last
            lines of standard error are kept, to explain a crash).
        hostname_label: add this machine's hostname to the agent's labels.
        no_cloud_logs: don't send the flow runs' logs to the server (their states still go).
        warm_start: fork each flow run from a process that has prefect_jupyter imported already
            (see ``agent/forkserver.py``; default config ``cloud.agent.warm_start``): much less
            CPU per run, for many short runs.
        **kwargs: the :class:`~prefect_jupyter.agent.agent.Agent` arguments (``name``, ``labels``,
            ``concurrency``, ``poll_interval``, ``api``, ``api_token``, ...).
    """

    agent_type = "LocalAgent"

    def __init__(
        self,
        env_vars: Mapping[str, str] | None = None,
        import_paths: Iterable[str] | None = None,
        show_flow_logs: bool = False,
        hostname_label: bool = False,
        no_cloud_logs: bool = False,
        warm_start: bool | None = None,
        **kwargs: Any,
    ) -> None:
        if hostname_label:
            kwargs["labels"] = [*(kwargs.get("labels") or config.cloud.agent.labels or []),
                                socket.gethostname()]
        super().__init__(**kwargs)
        self.env_vars = dict(env_vars or {})
        self.import_paths = list(import_paths or [])
        self.show_flow_logs = show_flow_logs
        self.no_cloud_logs = no_cloud_logs
        if warm_start is None:
            warm_start = bool(config.cloud.agent.get("warm_start", False))
        self.warm_start = warm_start
        self._fork_server: ForkServer | None = None

    def flow_run_environment(
        self, flow_run_id: str | None = None, run_env: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The environment a flow run's subprocess gets (``run_env``: its ``LocalRun``'s ``env``,
        over this agent's; the server's address, token and run id always win)."""
        env = dict(os.environ)
        env.update(self.env_vars)
        env.update(run_env or {})
        if self.import_paths:
            paths = [*self.import_paths, *filter(None, [env.get("PYTHONPATH")])]
            env["PYTHONPATH"] = os.pathsep.join(paths)
        graphql = self.api_url or getattr(self.client, "api_server", None)
        if graphql:
            env["PREFECT_JUPYTER__CLOUD__GRAPHQL"] = str(graphql)
        token = self.api_token or getattr(self.client, "api_token", None)
        if token:
            env["PREFECT_JUPYTER__SERVER__API_TOKEN"] = token
        if self.no_cloud_logs:
            env["PREFECT_JUPYTER__CLOUD__SEND_FLOW_RUN_LOGS"] = "false"
        if flow_run_id:
            env["PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID"] = flow_run_id
        env["PREFECT_JUPYTER__BACKEND"] = "server"
        # as Prefect 1's agents do: tasks with a Result write it, so a failed run can restart
        env.setdefault("PREFECT_JUPYTER__FLOWS__CHECKPOINTING", "true")
        return env

    def deploy_flow(self, flow_run: dict[str, Any]) -> FlowRunProcess | ForkedRun:
        """Start the flow run's subprocess (forked from the fork server with ``warm_start``).

        A run whose ``LocalRun`` sets ``env`` or ``working_dir`` gets a process of its own
        (the fork server's environment and directory are fixed when it starts), with that
        environment over this agent's and started in that directory, as Prefect 1's
        ``LocalAgent`` does.

        Raises:
            ValueError: a ``working_dir`` that is not a directory here, or an ``env`` that is
                not a mapping of names to strings (the run is then failed with the message).
        """
        run_env, working_dir = local_run_settings(flow_run.get("run_config"))
        if run_env or working_dir:
            process = FlowRunProcess(
                flow_run["id"], command=flow_run_command(flow_run["id"], self.show_flow_logs),
                env=self.flow_run_environment(flow_run["id"], run_env),
                show_flow_logs=self.show_flow_logs, cwd=working_dir,
            )
            self.logger.debug("Flow run %s runs in process %d (in %s)", flow_run["id"],
                              process.pid, working_dir or os.getcwd())
            return process
        if self.warm_start:
            if self._fork_server is None or not self._fork_server.alive():
                self._fork_server = ForkServer(
                    self.flow_run_environment(), show_flow_logs=self.show_flow_logs,
                    on_exit=self._wake.set,
                ).start()
            forked = self._fork_server.spawn(flow_run["id"])
            self.logger.debug("Flow run %s runs in forked process %d", flow_run["id"], forked.pid)
            return forked
        process = FlowRunProcess(
            flow_run["id"],
            command=flow_run_command(flow_run["id"], self.show_flow_logs),
            env=self.flow_run_environment(flow_run["id"]),
            show_flow_logs=self.show_flow_logs,
        )
        self.logger.debug("Flow run %s runs in process %d", flow_run["id"], process.pid)
        return process

    def run_config_refusal(self, run_config: Any) -> str | None:
        """A local agent runs flows as processes on this machine: ``LocalRun`` and
        ``UniversalRun`` (or none), as Prefect 1's ``LocalAgent`` does; a ``DockerRun``,
        ``KubernetesRun``, ... needs the agent of its kind."""
        kind = run_config.get("type") if isinstance(run_config, dict) else None
        if run_config is None or kind in ("LocalRun", "UniversalRun"):
            return None
        return (f"its run config is a {kind or type(run_config).__name__}, which a local agent "
                "cannot execute (it runs LocalRun and UniversalRun). Start an agent of that kind "
                "for it, or create the run with run_config=LocalRun() / register the flow with one.")

    def on_shutdown(self) -> None:
        """Stop the fork server (once no flow run of this agent is left)."""
        if self._fork_server is not None:
            self._fork_server.stop()
            self._fork_server = None


def local_run_settings(run_config: Any) -> tuple[dict[str, str], str | None]:
    """The ``env`` and ``working_dir`` of a flow run's serialized ``LocalRun`` (others: none).

    Raises:
        ValueError: an ``env`` that is not names to strings, or a ``working_dir`` that is not
            an existing directory on this machine; the message names the fix.
    """
    if not isinstance(run_config, dict) or run_config.get("type") != "LocalRun":
        return {}, None
    env = run_config.get("env") or {}
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise ValueError(f"The flow run's LocalRun env must map names to strings, not {env!r}: "
                         "set e.g. LocalRun(env={'STAGE': 'dev'}) and register the flow again.")
    working_dir = run_config.get("working_dir")
    if working_dir is not None and not os.path.isdir(working_dir):
        raise ValueError(f"The flow run's LocalRun working_dir {working_dir!r} is not a directory "
                         "on this agent's machine: create it, or register the flow with a "
                         "working_dir that exists where the agent runs.")
    return dict(env), working_dir
