"""Executing one flow run of the server in this process (what ``prefect-jupyter execute flow-run``
and the agent's subprocesses do).

:func:`execute_flow_run`:

1. reads the flow run, its flow's tasks and its task runs from the server;
2. loads the flow's code (``Client.get_flow``: cloudpickle'd or importable, see
   ``serialization/storage.py``) — a flow that can't be loaded ends the run ``Failed`` with why;
3. checks the run's parameters against the flow's — an unknown or missing parameter ends the
   run ``Failed`` *before any task runs*, with the parameter named;
4. sets the flow run ``Running`` with the version it read: if someone else moved the run
   meanwhile (another agent, a cancellation) the server refuses and nothing runs;
5. runs the flow with the ordinary :class:`~prefect_jupyter.engine.flow_runner.FlowRunner`
   (executor from the flow, else the default) and a :class:`RunReporter` observing it: every
   task-run and flow-run state change, the run's log records and heartbeats reach the server while
   the run goes on, and the final flow-run state is written last.

Reports an earlier process of the run spooled to disk are delivered first (``backend/spool.py``).
When the server can't take this run's reports for ``cloud.agent.retry_budget`` seconds after it
ended, they are spooled in turn and :class:`ReportsSpooled` says where (the process exits 75).

A SIGTERM (the agent stopping a cancelled run) interrupts the run like Ctrl-C: running task runs
end ``Cancelled`` on the server, the process exits with 143 and the agent sets the flow run's
final state.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

from prefect_jupyter.backend.api import BackendAPI
from prefect_jupyter.backend.logs import shipping_logs
from prefect_jupyter.backend.reporter import RunReporter
from prefect_jupyter.backend.restore import restore_task_states
from prefect_jupyter.backend.server_caches import server_caches
from prefect_jupyter.backend.spool import deliver_spools, write_spool
from prefect_jupyter.backend.task_run_names import TaskRunNamer
from prefect_jupyter.backend.writes import TaskRunRef
from prefect_jupyter.client.errors import ServerUnavailable, WriteRejected
from prefect_jupyter.configuration import config
from prefect_jupyter.engine.state import Failed, Pending, Running, State
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.engine.state_sets import FINISHED
from prefect_jupyter.utilities.logging import get_logger

__all__ = [
    "FlowRunNotRunnable",
    "ReportsSpooled",
    "execute_flow_run",
    "flow_run_id_from_env",
    "parameter_problem",
]

_logger = get_logger("cloud.execution")

#: where the flow run's id may come from (ours first, then Prefect 1's name)
FLOW_RUN_ID_VARIABLES = ("PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID", "PREFECT__CONTEXT__FLOW_RUN_ID")



class FlowRunNotRunnable(RuntimeError):
    """The flow run can't be executed here (not found, not loadable, or taken by another process)."""


class ReportsSpooled(RuntimeError):
    """The run ended, but the server could not take all its reports: they are spooled to disk.

    Attributes:
        path: the spool file; an agent (or the next run process of the flow run) delivers it.
        state: the run's final state here.
    """

    def __init__(self, message: str, path: Any, state: State) -> None:
        super().__init__(message)
        self.path = path
        self.state = state


def flow_run_id_from_env() -> str | None:
    """The flow run id from the environment (``PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID`` or
    Prefect 1's ``PREFECT__CONTEXT__FLOW_RUN_ID``)."""
    for name in FLOW_RUN_ID_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    return None


def parameter_problem(flow: Any, parameters: dict[str, Any]) -> str | None:
    """Why ``parameters`` don't fit ``flow`` (naming the parameters), or ``None`` when they do."""
    declared = {p.name: p for p in flow.parameters()}
    names = ", ".join(sorted(declared)) or "none"
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        return (
            f"Flow run parameters don't match flow {flow.name!r}: unknown parameter(s) "
            f"{', '.join(repr(u) for u in unknown)} (the flow's parameters are: {names}). "
            "Create the run again with the flow's parameter names."
        )
    missing = sorted(n for n, p in declared.items() if p.required and n not in parameters)
    if missing:
        return (
            f"Flow run parameters don't match flow {flow.name!r}: required parameter(s) "
            f"{', '.join(repr(m) for m in missing)} missing. Create the run again with "
            f"{', '.join(f'--param {m}=...' for m in missing)}."
        )
    return None


def execute_flow_run(
    flow_run_id: str, client: Any = None, flow: Any = None, executor: Any = None,
    state_handlers: Any = None,
) -> State | None:
    """Execute flow run ``flow_run_id`` here, reporting to the server as it goes.

    ``flow`` is the run's flow when the caller has it already (Prefect 1's ``CloudFlowRunner``);
    by default it is loaded from the flow's storage. ``executor`` replaces the flow's (else the
    default executor); ``state_handlers`` are the flow runner's.

    Returns:
        The run's final state (``None`` when another process took the run first).

    Raises:
        FlowRunNotRunnable: when the run does not exist or its flow can't be loaded (the run
            is then marked ``Failed`` with the reason).
        ReportsSpooled: the run ended but the server could not take all its reports in
            ``cloud.agent.retry_budget`` seconds; they are in a spool file, delivered later.
        KeyboardInterrupt: on Ctrl-C or SIGTERM, after reporting what was cut short.
    """
    api = BackendAPI(client)
    # what an earlier process of this run could not send goes first (it may finish the run)
    deliver_spools(api, api.client.api_server, flow_run_id=flow_run_id, wait=True)
    run = api.flow_run(flow_run_id)
    if run is None:
        raise FlowRunNotRunnable(
            f"Flow run {flow_run_id} not found: check the id with `prefect-jupyter get flow-runs`."
        )
    if run["state"] in FINISHED or run["state"] in ("Running", "Cancelling"):
        _logger.warning("Flow run %s is %s already; not running it again.", flow_run_id, run["state"])
        return None
    version = run["version"]
    try:
        flow = flow if flow is not None else api.client.get_flow(run["flow_id"])
    except Exception as exc:
        message = f"Failed to load flow {run['flow']['name']!r} from its storage: {exc}"
        _fail(api, flow_run_id, message, version)
        raise FlowRunNotRunnable(message) from exc

    parameters = dict(run.get("parameters") or {})
    problem = parameter_problem(flow, parameters)
    if problem:
        _logger.error(problem)
        _fail(api, flow_run_id, problem, version)
        return Failed(problem)

    api.features()  # what the server can take, known before the run starts
    try:
        api.set_flow_run_state(flow_run_id, state_to_dict(Running("Running flow.")), version)
    except WriteRejected as exc:
        _logger.warning("Flow run %s was not started: %s", flow_run_id, exc)
        return None
    # a restarted or rescheduled run reuses its finished task runs (and their results)
    task_states = restore_task_states(api, run, flow)
    reporter = _reporter(api, run, flow, version + 1)
    return _run(flow, run, parameters, reporter, task_states, executor=executor,
                state_handlers=state_handlers)


def _reporter(api: BackendAPI, run: dict[str, Any], flow: Any, version: int) -> RunReporter:
    settings = config.cloud.agent
    task_ids = {t["slug"]: t["id"] for t in run["flow"]["tasks"]}
    task_runs = {
        (tr["task"]["slug"], -1): TaskRunRef(tr["id"], tr["version"]) for tr in run["task_runs"]
    }
    missing = sorted(set(flow.slugs.values()) - set(task_ids))
    if missing:
        _logger.warning(
            "Tasks %s of the loaded flow are unknown to the server (was the flow changed without "
            "registering it again?); their states are not reported.", ", ".join(missing),
        )
    return RunReporter(
        api, run["id"], flow, task_runs, task_ids, flow_run_version=version,
        flush_interval=float(settings.flush_interval),
        heartbeat_interval=float(config.cloud.heartbeat_interval),
        retry_budget=float(settings.retry_budget),
    )


def _run(flow: Any, run: dict[str, Any], parameters: dict[str, Any], reporter: RunReporter,
         task_states: dict[Any, State] | None = None, executor: Any = None,
         state_handlers: Any = None) -> State:
    from prefect_jupyter.engine.flow_run import run_passes
    from prefect_jupyter.engine.flow_runner import FlowRunner
    from prefect_jupyter.executors import default_executor

    context = dict(run.get("context") or {})
    context.update(
        flow_run_id=run["id"], flow_run_name=run["name"], flow_id=run["flow_id"],
        flow_run_version=reporter.flow_run_version, running_with_backend=True,
        project_name=((run["flow"].get("project") or {}).get("name")),
    )
    start = _parse_time(run.get("scheduled_start_time"))
    if start is not None:
        context["scheduled_start_time"] = start
    # tasks with cache_for reuse what earlier runs cached on the server (a fresh process has none)
    caches = server_caches(reporter.api.client, flow, reporter.task_ids)
    if caches:
        context["caches"] = caches
    namer = TaskRunNamer(reporter.api.client, flow.slugs)
    runner = FlowRunner(flow, state_handlers=state_handlers, observers=[reporter, namer])
    ship = config.cloud.get("send_flow_run_logs", True)
    try:
        with reporter, (shipping_logs(reporter) if ship else contextlib.nullcontext()):
            try:
                with _sigterm_interrupts():
                    # pass after pass, so that retries happen in this process (as they do in
                    # flow.run)
                    state = run_passes(
                        runner, Pending(), parameters=parameters, context=context,
                        task_states=task_states,
                        return_tasks=flow.tasks,
                        task_contexts=reporter.task_contexts(),
                        executor=executor or flow.executor or default_executor(),
                    )
            except KeyboardInterrupt:
                _logger.warning("Flow run %s was interrupted; reporting what was cut short.", run["id"])
                raise
    finally:
        spooled = _spool_unsent(reporter)
    if namer.names:  # after the reports: a mapped child's task run exists only then
        namer.send(reporter.task_runs)
    if spooled is not None:
        raise ReportsSpooled(spooled[1], spooled[0], state)
    if not state.is_finished():
        _logger.warning(
            "Flow run %s ended its pass in %s (e.g. a paused task); it stays so on the server.",
            run["id"], type(state).__name__,
        )
    return state


def _spool_unsent(reporter: RunReporter) -> tuple[Any, str] | None:
    """Spool what the reporter could not send (after its close); (path, message) or ``None``.

    When everything was sent but the server refused some writes, the run's log says which.
    """
    if reporter.close(0):
        if reporter.refusals:
            reporter.api.write_run_log(
                reporter.flow_run_id,
                f"{len(reporter.refusals)} of this run's reports were not stored: "
                + " ".join(reporter.refusals),
                level="WARNING", name="prefect_jupyter.cloud.execution",
            )
        return None
    server = reporter.api.client.api_server
    path = write_spool(reporter, server)
    message = (
        f"The server at {server} could not take the reports of flow run {reporter.flow_run_id} "
        f"for {reporter.retry_budget:.0f} s (config cloud.agent.retry_budget): "
        f"{len(reporter.unsent())} state changes and log records are spooled to {path}. An agent "
        "for this server delivers them once the server answers (or run `prefect-jupyter execute "
        f"flow-run --id {reporter.flow_run_id}`), then deletes the file."
    )
    _logger.error(message)
    return path, message


def _fail(api: BackendAPI, flow_run_id: str, message: str, version: int) -> None:
    """Mark the run Failed (and log why with the run), whoever changed it meanwhile."""
    api.write_run_log(flow_run_id, message, name="prefect_jupyter.cloud.execution")
    for attempt in (1, 2):
        try:
            api.set_flow_run_state(flow_run_id, state_to_dict(Failed(message)), version)
            return
        except WriteRejected:
            if attempt == 2:
                raise
            state, version = api.flow_run_state(flow_run_id)
            if state in FINISHED:
                return
        except ServerUnavailable:
            _logger.error("Could not mark flow run %s Failed: the server is unreachable.", flow_run_id)
            return


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Inside the block, SIGTERM interrupts the main thread like Ctrl-C (once)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigterm(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process
        raise KeyboardInterrupt("SIGTERM")

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _parse_time(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        return value
    parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
