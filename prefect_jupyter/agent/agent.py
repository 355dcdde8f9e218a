"""The agent: finds flow runs that are due, claims them, runs them, and watches them.

Every ``poll_interval`` seconds (sooner when a run ends) the agent makes one pass:

0. **Deliver** — reports that run processes of this server could not send before they exited
   (the server was unreachable or its database unavailable for ``cloud.agent.retry_budget``
   seconds) wait in the spool directory (``cloud.agent.spool_dir``); they are sent in order and
   their files deleted (``backend/spool.py``). A run whose process exited after spooling is not
   reaped before its spool is delivered.
1. **Reap** — a flow-run process that exited is forgotten. If it exited with a non-zero code
   while its run had not finished, the run is marked ``Failed`` with the exit code in the message
   ("Flow run process exited with code 3"), and its last lines of standard error are stored
   with the run's logs.
2. **Cancel** — runs it executes whose state became ``Cancelling`` (``cancel_flow_run``) or
   ``Cancelled`` have their process stopped (SIGTERM, then SIGKILL after
   ``kill_grace_period``) and end ``Cancelled``.
3. **Heartbeat** — when the server knows agents (``register_agent``/``update_agent_heartbeat``
   in its schema), the agent registers at start (and is listed with its labels) and sends a
   heartbeat every ``cloud.agent.heartbeat_interval`` seconds; its polls carry its id too.
4. **Claim** — with free slots (``concurrency``), ``get_runs_in_queue`` gives the due runs whose
   labels are all among the agent's; a run of a flow another library registered (Prefect 1's
   own, ``flow.library``) is left for that library's agent; each other one is *claimed* by setting it ``Submitted`` with the
   version just read. The server checks that version atomically, so when several agents race
   for one run exactly one wins; the others skip it. Each claimed run is deployed
   (:meth:`Agent.deploy_flow`; the local agent starts a subprocess, or forks one from a warm
   process with ``warm_start``).

Stopping (Ctrl-C or SIGTERM): the agent stops claiming runs and waits for the runs it started
to finish — they report to the server by themselves. A second Ctrl-C/SIGTERM (or
``stop(terminate_runs=True)``) stops them too; their runs end ``Failed`` with a message that says
the agent stopped them, so nothing stays ``Running`` forever.

Errors talking to the server (it restarts, the network drops) are logged with their cause and
the pass is tried again on the next tick; runs already started keep going.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from prefect_jupyter.backend.spool import SPOOLED_EXIT_CODE, deliver_spools, spool_path
from prefect_jupyter.client.errors import ServerUnavailable, WriteRejected
from prefect_jupyter.configuration import config
from prefect_jupyter.engine.state import Cancelled, Failed, Scheduled, Submitted
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.engine.state_sets import FINISHED, RUNNABLE_SCHEDULED
from prefect_jupyter.utilities.logging import get_logger

__all__ = ["Agent", "DeployedRun"]

_FINISHED = FINISHED
_CLAIMABLE = RUNNABLE_SCHEDULED


class DeployedRun(Protocol):
    """What :meth:`Agent.deploy_flow` returns: a handle on a running flow run."""

    flow_run_id: str
    stopping: bool

    @property
    def returncode(self) -> int | None: ...

    def terminate(self, grace: float) -> int: ...

    def describe_exit(self) -> str: ...

    def stderr_tail(self, lines: int = 20) -> str: ...

    def close(self) -> None: ...


def _setting(value: Any, key: str) -> Any:
    return config.cloud.agent.get(key) if value is None else value


class Agent:
    """Base class of agents: the polling loop. Subclasses say how a run is deployed.

    Args:
        name: the agent's name (default config ``cloud.agent.name``).
        labels: the labels of runs it may run (a run's labels must all be among these).
        concurrency: flow runs at once.
        poll_interval: seconds between two passes.
        kill_grace_period: seconds between SIGTERM and SIGKILL when stopping a run.
        api: the server's address (``http://host:4200`` or ``.../graphql``; default: config).
        api_token: the server's API token (default: config ``server.api_token``).
        max_polls: stop after this many passes (for tests and one-shot use; default: forever).
        client: a ready API client (instead of ``api``/``api_token``).
        agent_config_id: sent when registering with the server (Prefect 1's argument).
        agent_address: where to serve the agent's health check while it runs, e.g.
            ``http://127.0.0.1:8080`` (``GET /api/health``; default config
            ``cloud.agent.agent_address``; none by default). See ``agent/health.py``.
    """

    agent_type = "Agent"

    def __init__(
        self,
        name: str | None = None,
        labels: Iterable[str] | None = None,
        concurrency: int | None = None,
        poll_interval: float | None = None,
        kill_grace_period: float | None = None,
        api: str | None = None,
        api_token: str | None = None,
        max_polls: int | None = None,
        client: Any = None,
        agent_config_id: str | None = None,
        agent_address: str | None = None,
    ) -> None:
        from prefect_jupyter.backend.api import BackendAPI

        self.name = _setting(name, "name") or "agent"
        self.labels = sorted(set(labels if labels is not None else _setting(None, "labels") or []))
        self.concurrency = int(_setting(concurrency, "concurrency"))
        if self.concurrency < 1:
            raise ValueError(f"An agent needs a concurrency of at least 1, got {self.concurrency}.")
        self.poll_interval = float(_setting(poll_interval, "poll_interval"))
        self.kill_grace_period = float(_setting(kill_grace_period, "kill_grace_period"))
        self.api_url = _graphql_url(api) if api else None
        self.api_token = api_token
        self.max_polls = max_polls
        self.agent_config_id = agent_config_id
        self.agent_address = _setting(agent_address, "agent_address") or None
        if self.agent_address:
            from prefect_jupyter.agent.health import parse_agent_address

            parse_agent_address(self.agent_address)  # a bad address fails here, not at start
        self.api_server: Any = None  # the health-check server while the agent runs
        if client is None:
            from prefect_jupyter.client import Client

            client = Client(**_client_kwargs(self.api_url, api_token))
        self.client = client
        self.api = BackendAPI(client)
        self.logger = get_logger("agent")
        self.agent_id: str | None = None
        self.runs: dict[str, DeployedRun] = {}  # flow run id -> its process
        self.deployed = 0  # runs claimed and started since start()
        self._wake = threading.Event()
        self._stopping = False
        self._terminate_runs = False
        self._server_error: str | None = None
        self._last_heartbeat = 0.0
        self._claim_token = uuid.uuid4().hex  # marks this agent's claims (see _claim)
        self._unsure_claims: dict[str, dict[str, Any]] = {}
        self._left_alone: set[str] = set()  # runs of other libraries' flows, said once
        self._spool_failures = 0  # spool deliveries that could not finish, in a row
        self._next_spool_pass = 0.0

    # -- what subclasses provide ----------------------------------------------------------------
    def deploy_flow(self, flow_run: dict[str, Any]) -> DeployedRun:
        """Start executing a claimed flow run; return a handle on it."""
        raise NotImplementedError

    def on_shutdown(self) -> None:
        """Called once the agent stopped and its runs are over (release what it holds)."""

    # -- the loop --------------------------------------------------------------------------------
    def start(self) -> None:
        """Run the agent until stopped (Ctrl-C, SIGTERM, :meth:`stop`, or ``max_polls``)."""
        self._stopping = self._terminate_runs = False
        restore = self._install_signal_handlers()
        try:
            self.logger.info(
                "Agent %r started, labels %s, concurrency %d; polling %s every %.1f s",
                self.name, self.labels, self.concurrency, self._where(), self.poll_interval,
            )
            self._start_api_server()
            self._register()
            polls = 0
            while not self._stopping:
                self.run_once()
                polls += 1
                if self.max_polls is not None and polls >= self.max_polls:
                    break
                self._wake.wait(self.poll_interval)
                self._wake.clear()
            self._shut_down()
            self.on_shutdown()
        finally:
            self._stop_api_server()
            restore()
        self.logger.info("Agent %r stopped.", self.name)

    def stop(self, terminate_runs: bool = False) -> None:
        """Ask the loop to end (thread- and signal-safe).

        Args:
            terminate_runs: also stop the flow runs in progress (they end ``Failed``);
                otherwise the agent waits for them to finish.
        """
        self._terminate_runs = self._terminate_runs or terminate_runs
        self._stopping = True
        self._wake.set()

    def run_once(self) -> None:
        """One pass: deliver, reap, cancel, heartbeat, claim (see the module docstring)."""
        try:
            self._deliver_spools()
            self._reap()
            self._check_cancellations()
            self._heartbeat()
            if not self._stopping:
                self._claim_and_deploy()
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            if message != self._server_error:  # say it once, not every pass
                if isinstance(exc, ServerUnavailable):
                    self.logger.error("Lost contact with the server: %s Retrying every %.1f s.",
                                      exc, self.poll_interval)
                elif isinstance(exc, WriteRejected):
                    self.logger.error("The server refused the agent's request: %s Retrying "
                                      "every %.1f s.", exc, self.poll_interval)
                else:  # a bug here must not stop the agent (its runs go on regardless)
                    self.logger.exception("Unexpected error in the agent's loop; retrying "
                                          "every %.1f s.", self.poll_interval)
            self._server_error = message
            return
        if self._server_error is not None:
            self.logger.info("Back to normal: the server at %s answers.", self._where())
            self._server_error = None

    def _where(self) -> str:
        return self.api_url or str(getattr(self.client, "api_server", None) or config.cloud.graphql)

    # -- claiming --------------------------------------------------------------------------------
    def _claim_and_deploy(self) -> None:
        self._settle_unsure_claims()
        free = self.concurrency - len(self.runs)
        if free <= 0:
            return
        ids = [i for i in self.api.runs_in_queue(self.labels, self.agent_id) if i not in self.runs]
        if not ids:
            return
        claimed = 0
        chunk = max(free * 4, 20)
        # the queue also lists Running runs with a task due (a retry); those are not ours
        # to take, so look further down the queue until the free slots are filled
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            rows = sorted(self.api.flow_runs(part), key=lambda r: part.index(r["id"]))
            for run in rows:  # oldest first, as the queue is
                if claimed >= free or self._stopping:
                    break
                if run["state"] in _CLAIMABLE and self._can_execute(run) and self._claim(run):
                    claimed += 1
                    self._deploy(run)
            if claimed >= free or self._stopping:
                break
        if claimed and claimed < len(ids) and len(self.runs) < self.concurrency:
            self._wake.set()  # more are waiting and there is room: look again at once

    def _can_execute(self, run: dict[str, Any]) -> bool:
        """Whether this agent can run it: a flow serialized by prefect_jupyter (a Prefect 1
        flow, ``library`` "prefect", is left for a Prefect 1 agent) with a run config this kind
        of agent executes (see :meth:`run_config_refusal`). A run left alone is not claimed, so
        another agent can take it; why is logged once per run."""
        library = (run.get("flow") or {}).get("library")
        if library in (None, "prefect_jupyter"):
            refusal = self.run_config_refusal(run.get("run_config"))
            if refusal is None:
                return True
            why = f"Leaving flow run %s to another agent: {refusal}"
        else:
            why = (f"Leaving flow run %s to an agent of {library!r}: its flow was registered by "
                   "that library, which this agent does not run.")
        if run["id"] not in self._left_alone:
            self._left_alone.add(run["id"])
            self.logger.warning(why, run["id"])
        return False

    def run_config_refusal(self, run_config: Any) -> str | None:
        """Why this agent cannot execute a run with ``run_config`` (its serialized form), or
        ``None`` when it can. Every run config is accepted here; kinds of agent narrow it."""
        return None

    def _claim(self, run: dict[str, Any]) -> bool:
        """Set the run Submitted with the version just read; whether this agent won it."""
        state = Submitted(
            f"Submitted for execution by agent {self.name!r}", state=Scheduled(),
            context={"claimed_by": self._claim_token},
        )
        try:
            self.api.set_flow_run_state(run["id"], state_to_dict(state), run["version"])
        except WriteRejected as exc:
            self.logger.debug("Flow run %s was claimed by someone else: %s", run["id"], exc)
            return False
        except ServerUnavailable:
            # the claim may have landed before the connection dropped: find out next pass
            self._unsure_claims[run["id"]] = run
            raise
        run["version"] += 1
        return True

    def _settle_unsure_claims(self) -> None:
        """Deploy the runs whose claim landed although its answer was lost."""
        if not self._unsure_claims:
            return
        for run in self.api.flow_runs(list(self._unsure_claims)):
            self._unsure_claims.pop(run["id"], None)
            context = (run.get("serialized_state") or {}).get("context") or {}
            if run["state"] == "Submitted" and context.get("claimed_by") == self._claim_token:
                self._deploy(run)
        self._unsure_claims.clear()

    def _deploy(self, run: dict[str, Any]) -> None:
        self.logger.info("Deploying flow run %s (%s)", run["id"], run.get("name") or "")
        try:
            handle = self.deploy_flow(run)
        except Exception as exc:
            self.logger.exception("Deploying flow run %s failed", run["id"])
            self._fail(run["id"], f"Agent {self.name!r} could not start the flow run: {exc!r}")
            return
        self.runs[run["id"]] = handle
        self.deployed += 1
        popen = getattr(handle, "popen", None)
        if popen is not None:  # wake the loop as soon as it exits, to start the next run
            threading.Thread(target=self._wake_on_exit, args=(popen,), daemon=True).start()

    def _wake_on_exit(self, popen: Any) -> None:
        popen.wait()
        self._wake.set()

    # -- watching --------------------------------------------------------------------------------
    def _deliver_spools(self) -> None:
        """Send the reports run processes of this server spooled (see ``backend/spool.py``).

        After a delivery that could not finish, the next try waits (doubling, up to a minute),
        so that a spool the server keeps failing on does not slow every pass.
        """
        if time.monotonic() < self._next_spool_pass:
            return
        budget = max(self.poll_interval, 5.0)  # what is left waits for the next try
        try:
            deliveries = deliver_spools(self.api, str(self.client.api_server), retry_budget=budget)
        except ServerUnavailable:
            self._spool_delivery_failed()
            raise
        except Exception:  # e.g. a refused read: the agent's other work must go on
            self.logger.exception("Delivering spooled reports failed; trying again later.")
            self._spool_delivery_failed()
            return
        for delivery in deliveries:
            if delivery.delivered:
                refused = f"; refused: {' '.join(delivery.refusals)}" if delivery.refusals else ""
                self.logger.info("Delivered %d spooled reports of flow run %s%s", delivery.sent,
                                 delivery.flow_run_id, refused)
        if all(d.delivered for d in deliveries):
            self._spool_failures = 0
        else:
            self._spool_delivery_failed()

    def _spool_delivery_failed(self) -> None:
        self._spool_failures += 1
        wait = min(max(60.0, self.poll_interval), self.poll_interval * 2 ** self._spool_failures)
        self._next_spool_pass = time.monotonic() + wait

    def _reap(self) -> None:
        exited = {
            i: h for i, h in self.runs.items()
            if h.returncode is not None
            # its reports are still on disk: reap once they are delivered
            and not (h.returncode == SPOOLED_EXIT_CODE and spool_path(i).exists())
        }
        if not exited:
            return
        states = {run["id"]: run for run in self.api.flow_runs(list(exited))}
        for run_id, handle in exited.items():
            run = states.get(run_id)
            code = handle.returncode
            if run is not None and run["state"] == "Cancelling":
                self.logger.info("Flow run %s ended while being cancelled", run_id)
                self._set_final(run_id, Cancelled("Flow run was cancelled."))
            elif run is not None and run["state"] not in _FINISHED and code and not handle.stopping:
                message = handle.describe_exit()
                self.logger.error("Flow run %s failed: %s", run_id, message)
                tail = handle.stderr_tail()
                if tail:
                    self.api.write_run_log(run_id, f"{message}; its last output:\n{tail}")
                self._fail(run_id, message, run["version"])
            elif code or run is None:
                self.logger.debug("Flow run %s process exited with code %s", run_id, code)
            elif run["state"] in _FINISHED:
                self.logger.info("Flow run %s finished (%s)", run_id, run["state"])
            else:  # e.g. a paused task, or the run was taken by another process
                self.logger.info("Flow run %s process ended; the run is %s", run_id, run["state"])
            handle.close()
            del self.runs[run_id]

    def _check_cancellations(self) -> None:
        if not self.runs:
            return
        for run in self.api.flow_runs(list(self.runs)):
            if run["state"] not in ("Cancelling", "Cancelled"):
                continue
            handle = self.runs.pop(run["id"])
            self.logger.info("Flow run %s was cancelled; stopping its process (pid %s)",
                             run["id"], getattr(handle, "pid", "?"))
            handle.terminate(self.kill_grace_period)
            handle.close()
            if run["state"] == "Cancelling":
                self._set_final(run["id"], Cancelled("Flow run was cancelled."))

    def _fail(self, run_id: str, message: str, version: int | None = None) -> None:
        self._set_final(run_id, Failed(message), version)

    def _set_final(self, run_id: str, state: Any, version: int | None = None) -> None:
        """Write a final state, re-reading the version until it sticks (or the run finished)."""
        for _ in range(5):
            try:
                if version is None:
                    current, version = self.api.flow_run_state(run_id)
                    if current in _FINISHED:
                        return
                self.api.set_flow_run_state(run_id, state_to_dict(state), version)
                return
            except WriteRejected as exc:
                self.logger.debug("Setting flow run %s %s: %s", run_id, type(state).__name__, exc)
                version = None
        self.logger.error("Could not set flow run %s %s", run_id, type(state).__name__)

    # -- registration and heartbeats ------------------------------------------------------------
    def _register(self) -> None:
        """Register with the server when it knows agents (issue 6's server side), else skip."""
        try:
            if not self.api.supports("register_agent"):
                self.logger.debug("The server has no register_agent; running unregistered.")
                return
            from prefect_jupyter import __version__

            request = {"type": self.agent_type, "name": self.name, "labels": self.labels,
                       "core_version": __version__}
            if self.agent_config_id:
                request["agent_config_id"] = self.agent_config_id
            payload = self.api.mutate("register_agent", request, "id")
            self.agent_id = payload["id"]
            self.logger.info("Registered with the server as agent %s", self.agent_id)
        except (ServerUnavailable, WriteRejected) as exc:
            self.logger.warning("Could not register with the server: %s", exc)

    def _heartbeat(self) -> None:
        interval = float(config.cloud.agent.get("heartbeat_interval") or 0)
        if self.agent_id is None or interval <= 0 or time.monotonic() - self._last_heartbeat < interval:
            return
        self._last_heartbeat = time.monotonic()
        if self.api.supports("update_agent_heartbeat"):
            self.api.mutate("update_agent_heartbeat", {"agent_id": self.agent_id})

    # -- the health-check server ---------------------------------------------------------------
    def _start_api_server(self) -> None:
        if not self.agent_address:
            return
        from prefect_jupyter.agent.health import AgentAPIServer

        self.api_server = AgentAPIServer(self.agent_address, on_poke=self._wake.set)
        self.api_server.start()
        self.logger.info("Agent health check at %s/api/health", self.api_server.url)

    def _stop_api_server(self) -> None:
        if self.api_server is not None:
            self.api_server.stop()
            self.api_server = None

    # -- stopping --------------------------------------------------------------------------------
    def _shut_down(self) -> None:
        if self.runs and not self._terminate_runs:
            self.logger.info(
                "Stopping: waiting for %d running flow run(s) to finish; press Ctrl-C again "
                "to stop them.", len(self.runs),
            )
        while self.runs and not self._terminate_runs:
            with contextlib.suppress(ServerUnavailable, WriteRejected):
                self._reap()
                self._check_cancellations()
            self._wake.wait(min(self.poll_interval, 0.5))
            self._wake.clear()
        for run_id, handle in list(self.runs.items()):
            self.logger.warning("Stopping flow run %s (pid %s)", run_id, getattr(handle, "pid", "?"))
            # the state first, so that what the process reports as it stops can't replace it
            with contextlib.suppress(ServerUnavailable):
                self._fail(run_id, f"Flow run was stopped because agent {self.name!r} shut down.")
            handle.terminate(self.kill_grace_period)
            handle.close()
            del self.runs[run_id]

    def _install_signal_handlers(self) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def on_signal(signum: int, frame: Any) -> None:
            if self._stopping:
                self.logger.warning("Second stop signal: stopping the running flow runs.")
                self.stop(terminate_runs=True)
            else:
                self.logger.info("%s received: stopping.", signal.Signals(signum).name)
                self.stop()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore


def _graphql_url(api: str) -> str:
    """``http://host:4200`` or ``http://host:4200/graphql`` → the GraphQL endpoint."""
    api = api.rstrip("/")
    return api if api.endswith("/graphql") else f"{api}/graphql"


def _client_kwargs(api_url: str | None, api_token: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if api_url:
        kwargs["api_server"] = api_url
    if api_token:
        kwargs["api_token"] = api_token
    return kwargs
