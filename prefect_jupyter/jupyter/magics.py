"""The ``%%task`` and ``%flow`` magics: they parse their line and hand over to plain functions
(:mod:`~prefect_jupyter.jupyter.cells` declares cell tasks, :mod:`~prefect_jupyter.jupyter.runs`
runs and reruns flows, :mod:`~prefect_jupyter.jupyter.summaries` describes them). User mistakes become ``UsageError`` (shown without a
traceback); a failed flow run prints its state and failing tasks, not a traceback.
"""

from __future__ import annotations

import datetime
from typing import Any

from IPython.core import magic_arguments as ma
from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_cell_magic, magics_class

from prefect_jupyter.jupyter import cells, runs, summaries
from prefect_jupyter.jupyter.cell_names import scan_cell
from prefect_jupyter.jupyter.cell_runner import run_cell_now
from prefect_jupyter.jupyter.notebook import CellError, CellSpec, Notebook

__all__ = ["PrefectMagics"]


# -- argument parsers of the %flow subcommands (their docstrings make %flow?'s help) ----------------
@ma.magic_arguments(name="flow run")
@ma.argument("name", help="The flow: a name from `%%flow list`, or a variable holding a Flow.")
@ma.argument("assignments", nargs="*", metavar="k=v", help="Parameter values (Python literals, else strings).")
@ma.argument("--executor", "-e", help="local, threads, processes, dask, or a Dask scheduler address.")
def _run_args(line: str) -> None:
    """Run a flow, live in the widget when PrefectJupyter.live is on."""


@ma.magic_arguments(name="flow rerun")
@ma.argument("name", help="The flow to rerun with its last run's parameters.")
@ma.argument("--failed", action="store_true", help="Rerun only tasks that did not succeed (and downstream).")
@ma.argument("--changed", action="store_true", help="Rerun only tasks whose code or inputs changed (and downstream).")
@ma.argument("--executor", "-e", help="local, threads, processes, dask, or a Dask scheduler address.")
def _rerun_args(line: str) -> None:
    """Rerun a flow, reusing the last run's results of tasks that succeeded and did not change.
    Without --failed/--changed, both failed and changed tasks run again."""


@ma.magic_arguments(name="flow register")
@ma.argument("name")
@ma.argument("--project", "-p", help="The server project (create it with `prefect-jupyter create project P`).")
@ma.argument("--labels", "-l", help="Agent labels, comma-separated: only agents with all of them run it.")
@ma.argument("--no-schedule", action="store_true", help="Register with the flow's schedule turned off.")
@ma.argument("--run", action="store_true", help="Create a flow run of it for an agent to execute.")
@ma.argument("--watch", action="store_true", help="With --run: show the run live here.")
def _register_args(line: str) -> None:
    """Register a flow with the server (config `cloud.graphql`), its code included, so an agent can
    run it after this kernel is gone. An unchanged flow keeps its version. With --run, also create
    a flow run for an agent; with --watch, show that run live here."""


@ma.magic_arguments(name="flow watch")
@ma.argument("run_id", help="The flow run's id (from `%%flow register NAME --run`, the web UI or the CLI).")
@ma.argument("--flow", "-f", dest="flow_name",
             help="The notebook's flow the run is of (default: the registered flow, from the server).")
@ma.argument("--wait", action="store_true", help="Keep the cell busy until the run ends; return its final state.")
def _watch_args(line: str) -> None:
    """Show a flow run of the server (an agent's run) live in the widget, fed from the server's
    API: states, mapped counts and log lines. The cell is free while it runs."""


@ma.magic_arguments(name="%flow")
@ma.argument("name", help="Name of the flow, bound in the namespace inside and after the cell.")
@ma.argument("assignments", nargs="*", metavar="k=v", help="Parameter values for --run.")
@ma.argument("--run", action="store_true", help="Run the flow once the cell has built it.")
@ma.argument("--executor", "-e", help="local, threads, processes, dask, or a Dask scheduler address.")
def _flow_cell_args(line: str) -> None:
    """%%flow NAME: build a flow from the cell, as inside `with Flow(NAME) as NAME:`."""


_NAME_ONLY = ("show", "params", "use", "runs")
SUBCOMMANDS = ("run", "rerun", "show", "params", "list", "use", "runs", "register", "watch")


def _parse_with_assignments(func: Any, line: str) -> tuple[Any, dict[str, Any]]:
    """Parse ``line`` for ``func``; ``k=v`` items may come before or after the options."""
    args, extra = ma.parse_argstring(func, line, partial=True)
    unknown = [e for e in extra if "=" not in e or e.startswith("-")]
    if unknown:
        raise UsageError(f"unrecognized arguments: {' '.join(unknown)} (see %flow?).")
    items = [*args.assignments, *extra]
    try:
        return args, runs.parse_assignments(items)
    except CellError as exc:
        raise UsageError(str(exc)) from None


def _seconds(value: float | None, option: str) -> datetime.timedelta | None:
    if value is None:
        return None
    if value < 0:
        raise UsageError(f"{option} takes a number of seconds ≥ 0, got {value}.")
    return datetime.timedelta(seconds=value)


def task_options(args: Any) -> dict[str, Any]:
    """The ``@task(...)`` keyword arguments from parsed ``%%task`` options.

    Raises:
        UsageError: for a bad value, with the fix.
    """
    from prefect_jupyter import triggers

    options: dict[str, Any] = {}
    if args.task_name:
        options["name"] = args.task_name
    if args.max_retries is not None:
        if args.max_retries < 0:
            raise UsageError(f"--max-retries takes a count ≥ 0, got {args.max_retries}.")
        if args.max_retries and args.retry_delay is None:
            raise UsageError("--max-retries needs --retry-delay SECONDS (how long to wait between tries).")
        options["max_retries"] = args.max_retries
    if args.retry_delay is not None:
        options["retry_delay"] = _seconds(args.retry_delay, "--retry-delay")
    if args.timeout is not None:
        if args.timeout <= 0:
            raise UsageError(f"--timeout takes a number of seconds > 0, got {args.timeout}.")
        options["timeout"] = args.timeout
    if args.cache_for is not None:
        options["cache_for"] = _seconds(args.cache_for, "--cache-for")
    if args.tags:
        options["tags"] = [t.strip() for t in args.tags.split(",") if t.strip()]
    if args.trigger:
        trigger = getattr(triggers, args.trigger, None)
        names = sorted(n for n in getattr(triggers, "__all__", dir(triggers)) if not n.startswith("_"))
        if not callable(trigger) or args.trigger.startswith("_"):
            raise UsageError(f"Unknown trigger {args.trigger!r}. Use one of: {', '.join(names)}.")
        options["trigger"] = trigger
    if args.log_stdout:
        options["log_stdout"] = True
    if args.nout is not None:
        if args.nout < 0:
            raise UsageError(f"--nout takes a count ≥ 0, got {args.nout}.")
        options["nout"] = args.nout
    if args.checkpoint is not None:
        options["checkpoint"] = args.checkpoint
    if args.target:
        options["target"] = args.target
    return options


@magics_class
class PrefectMagics(Magics):
    """``%%task`` and ``%flow``/``%%flow``: notebook cells as tasks and flows."""

    def __init__(self, shell: Any, settings: Any, notebook: Notebook | None = None) -> None:
        super().__init__(shell=shell)
        self.settings = settings
        self.notebook = notebook or Notebook()

    # -- %%task ----------------------------------------------------------------------------------
    @ma.magic_arguments()
    @ma.argument("cell_name", nargs="?", metavar="NAME",
                 help="Make the whole cell one task of the current flow, named NAME.")
    @ma.argument("--name", dest="task_name", help="The task's display name.")
    @ma.argument("--max-retries", type=int, help="Retries after a failure (needs --retry-delay).")
    @ma.argument("--retry-delay", type=float, metavar="SECONDS", help="Seconds between retries.")
    @ma.argument("--timeout", type=int, metavar="SECONDS", help="Fail the run as TimedOut after this long.")
    @ma.argument("--cache-for", type=float, metavar="SECONDS", help="Reuse the result for this long.")
    @ma.argument("--tags", metavar="a,b", help="Comma-separated tags.")
    @ma.argument("--trigger", metavar="NAME", help="A trigger from prefect_jupyter.triggers, e.g. all_finished.")
    @ma.argument("--log-stdout", action="store_true", help="Send print output to the task's logger.")
    @ma.argument("--nout", type=int, help="The number of values the function returns.")
    @ma.argument("--checkpoint", dest="checkpoint", action="store_true", default=None,
                 help="Write the result through its Result.")
    @ma.argument("--no-checkpoint", dest="checkpoint", action="store_false", help="Don't checkpoint.")
    @ma.argument("--target", help="A location template; an existing target makes the task Cached.")
    @ma.argument("--no-run", action="store_true", help="NAME form: declare the task without running it.")
    @cell_magic
    def task(self, line: str, cell: str) -> None:
        """Make a task from this cell.

        On a cell that defines one function, ``%%task [options]`` is ``@task(options)`` on it; the
        task is bound under the function's name::

            %%task --max-retries 2 --retry-delay 1
            def fetch(url):
                ...

        On a cell of statements, ``%%task NAME [options]`` makes the cell itself a task of the
        notebook's current flow (``%flow use``). Names it reads that other task cells assign (or
        that are flow parameters) are its inputs; names it assigns are its outputs. The cell runs
        at once (unless --no-run) and its outputs appear in the namespace::

            %%task clean
            df = raw.dropna()
        """
        args = ma.parse_argstring(self.task, line)
        options = task_options(args)
        try:
            if args.cell_name:
                self._declare_cell(args.cell_name, line, cell, options, run=not args.no_run)
            else:
                cells.function_cell_task(cell, self.shell.user_ns, self._execute, options, self.notebook)
        except CellError as exc:
            raise UsageError(str(exc)) from None

    def _execute(self, source: str) -> None:
        result = self.shell.run_cell(source, store_history=False, silent=False)
        if not result.success:
            raise CellError("%%task: the cell raised an error (shown above); fix it and run the cell again.")

    def _declare_cell(self, name: str, line: str, cell: str, options: dict, run: bool) -> None:
        if not name.isidentifier():
            raise CellError(f"A cell task's NAME must be an identifier (like load_data), got {name!r}.")
        source = self.shell.transform_cell(cell)
        try:
            names = scan_cell(source)
        except SyntaxError as exc:
            raise CellError(f"%%task {name}: syntax error: {exc.msg} (line {exc.lineno + 1}).") from None
        # Tracebacks show the cell as the user sees it, magic line included, and the code is
        # compiled one line down so that its line numbers are the cell's.
        shown = f"%%task {line}\n{cell}"
        filename = self.shell.compile.cache(shown, self.shell.execution_count, raw_code=shown)
        spec = CellSpec(name, "\n" + source, filename, names.reads, names.assigns, options, names.defines)
        flow = cells.declare_cell_task(self.notebook, spec, self.shell.user_ns)
        if run:
            try:
                run_cell_now(self.notebook, flow, name, self.shell.user_ns)
            except CellError:
                raise
            except Exception as exc:
                from prefect_jupyter.jupyter.details import user_frames

                # the user's code only: not the magic's and the runner's frames above it
                self.shell.showtraceback((type(exc), exc, user_frames(exc.__traceback__)))
                raise CellError(
                    f"%%task {name}: the cell raised {type(exc).__name__} (shown above); fix it and "
                    "run the cell again."
                ) from None

    # -- %flow / %%flow ------------------------------------------------------------------------------
    @line_cell_magic
    def flow(self, line: str, cell: str | None = None) -> Any:
        """Build, run and inspect flows.

        Cell magic: ``%%flow NAME [--run] [--executor E] [k=v ...]`` runs the cell inside
        ``with Flow(NAME) as NAME:`` and binds NAME to the flow.

        Line magic subcommands:

        * ``%flow run NAME [k=v ...] [--executor local|threads|processes|dask|ADDRESS]``
        * ``%flow rerun NAME [--failed] [--changed]`` — reuse what succeeded and did not change
        * ``%flow show NAME`` — the graph (the live widget when available)
        * ``%flow params NAME`` — its parameters
        * ``%flow list`` — the flows the notebook knows
        * ``%flow use NAME`` — the flow ``%%task NAME`` cells join
        * ``%flow runs NAME`` — the run history as a pandas DataFrame
        * ``%flow register NAME --project P [--run [--watch]]`` — register it with the server
        * ``%flow watch RUN_ID [--flow NAME]`` — show a server run (an agent's) live
        """
        try:
            if cell is not None:
                return self._flow_cell(line, cell)
            return self._flow_line(line)
        except CellError as exc:
            raise UsageError(str(exc)) from None

    def _flow_line(self, line: str) -> Any:
        command, _, rest = line.strip().partition(" ")
        nb, ns = self.notebook, self.shell.user_ns
        if command == "list":
            return self._list()
        if command in _NAME_ONLY:
            name = rest.strip()
            if not name or " " in name:
                raise UsageError(f"Usage: %flow {command} NAME (one flow name).")
            if command == "use":
                nb.current = name
                print(f"%%task NAME cells now join flow {name!r}.")
                return None
            flow = nb.find_flow(name, ns)
            if command == "show":
                return self._show(flow)
            if command == "params":
                print(summaries.parameters_summary(flow))
                return None
            return nb.history(flow.name)
        if command == "run":
            args, params = _parse_with_assignments(_run_args, rest)
            flow = nb.find_flow(args.name, ns)
            return self._run(flow, lambda **kw: runs.run_flow(nb, flow, ns, params, **kw), args.executor)
        if command == "rerun":
            args = ma.parse_argstring(_rerun_args, rest)
            flow = nb.find_flow(args.name, ns)
            failed, changed = (args.failed, args.changed) if (args.failed or args.changed) else (True, True)

            finished = nb.finished_runs(flow.name)
            params = dict(finished[-1].parameters) if finished else {}
            states, again = runs.rerun_states(nb, flow, params, failed=failed, changed=changed)
            labels = summaries.task_labels(flow, again)
            print(f"Rerunning {', '.join(labels) if labels else 'nothing'}; reusing the rest.")
            return self._run(
                flow, lambda **kw: runs.run_flow(nb, flow, ns, params, task_states=states, **kw),
                args.executor, reused=[flow.slugs[t] for t in states],
            )
        if command == "register":
            return self._register(ma.parse_argstring(_register_args, rest))
        if command == "watch":
            args = ma.parse_argstring(_watch_args, rest)
            flow = nb.find_flow(args.flow_name, ns) if args.flow_name else None
            return self._watch(args.run_id, flow, wait=args.wait)
        raise UsageError(
            f"Unknown %flow subcommand {command!r}. Use one of: {', '.join(SUBCOMMANDS)} "
            "(see %flow?)." if command else f"Usage: %flow SUBCOMMAND ... with one of: {', '.join(SUBCOMMANDS)}."
        )

    def _register(self, args: Any) -> str:
        from prefect_jupyter.client import ClientError
        from prefect_jupyter.serialization import FlowSerializationError

        if not args.project:
            raise UsageError(
                f"Which project? Use %flow register {args.name} --project P "
                "(create one with `prefect-jupyter create project P`)."
            )
        if args.watch and not args.run:
            raise UsageError(f"--watch watches the run --run creates: %flow register {args.name} --run --watch")
        flow = self.notebook.find_flow(args.name, self.shell.user_ns)
        labels = [label.strip() for label in (args.labels or "").split(",") if label.strip()]
        try:
            flow_id = flow.register(
                project_name=args.project, labels=labels or None,
                set_schedule_active=not args.no_schedule,
            )
        except (ClientError, FlowSerializationError, ValueError) as exc:
            raise UsageError(f"Could not register flow {flow.name!r}: {exc}") from None
        if not args.run:
            return flow_id
        from prefect_jupyter.client import Client

        try:
            with Client() as client:
                run_id = client.create_flow_run(flow_id)
        except ClientError as exc:
            raise UsageError(f"Could not create a run of flow {flow.name!r}: {exc}") from None
        print(f"Flow run {run_id} created; an agent with the flow's labels will run it.")
        if args.watch:
            self._watch(run_id, flow)
        return run_id

    def _watch(self, run_id: str, flow: Any = None, wait: bool = False) -> Any:
        """Show run ``run_id`` of the server live (in a terminal: follow it, print its state).
        With ``wait``, return once the run has ended, with its final state."""
        from prefect_jupyter.client import ClientError
        from prefect_jupyter.jupyter import server_watch
        from prefect_jupyter.jupyter.watch_run import watch

        try:
            flow = flow if flow is not None else server_watch.registered_flow(run_id)
            found = watch(run_id, flow, wait=wait)
        except (ClientError, ValueError) as exc:
            raise UsageError(f"Could not watch flow run {run_id}: {exc}") from None
        if isinstance(found, server_watch.ServerWatch):
            return None  # the widget shows it; the cell is free
        if not can_show_widgets(self.shell):
            print(f"Flow run {run_id} ({flow.name!r}): {type(found).__name__}"
                  + (f" ({found.message})" if found.message else ""))
        return found

    def _flow_cell(self, line: str, cell: str) -> None:
        from prefect_jupyter.core.flow import Flow

        args, params = _parse_with_assignments(_flow_cell_args, line)
        if not args.name.isidentifier():
            raise UsageError(f"%%flow NAME binds NAME as a variable: use an identifier, got {args.name!r}.")
        ns = self.shell.user_ns
        new = Flow(args.name)
        ns[args.name] = new
        with new:
            result = self.shell.run_cell(cell, store_history=False, silent=True)  # a with-block shows no value
        if not result.success:
            return None
        flow = cells.adopt_flow(self.notebook, new, ns)
        if args.run:
            self._run(flow, lambda **kw: runs.run_flow(self.notebook, flow, ns, params, **kw), args.executor)
        else:
            self._show(flow)
        return None

    # -- helpers ----------------------------------------------------------------------------------
    def _list(self) -> None:
        nb = self.notebook
        current = nb.current_flow_name(self.shell.user_ns)
        names = sorted(set(nb.flows) | {current})
        for name in names:
            flow = nb.flows.get(name)
            size = f"{len(flow.tasks)} tasks" if flow is not None else "empty"
            past = nb.runs.get(name, [])
            last = f", last run {type(past[-1].state).__name__}" if past and past[-1].state else ""
            mark = "*" if name == current else " "
            print(f"{mark} {name} ({size}{last})")

    def _widget(self, flow: Any) -> Any:
        if not can_show_widgets(self.shell):
            return None
        try:
            from prefect_jupyter.jupyter.widget import FlowWidget
        except ImportError:
            return None
        return FlowWidget(flow)

    def _show(self, flow: Any) -> None:
        from prefect_jupyter.jupyter.widget import LAST_STATES

        widget = self._widget(flow)
        if widget is not None:
            last = LAST_STATES.get(flow)
            if last is not None:
                widget.apply_state(last)
            widget.display()
            return
        print(summaries.flow_summary(flow))

    def _run(self, flow: Any, start: Any, executor_name: str | None, reused: list[str] | None = None) -> Any:
        """Run with the live widget (when on); print a summary and return the final state.
        ``reused``: ids of the tasks whose last result a rerun keeps (marked on the graph)."""
        name = executor_name or self.settings.default_executor
        executor = runs.make_executor(name) if (executor_name or flow.executor is None) else None
        widget = self._widget(flow) if self.settings.live else None
        live = None
        if widget is not None:
            widget.reused = sorted(reused or [])
            live = widget.display().observe_run(executor or flow.executor)
        try:
            state = start(executor=executor, observers=[live] if live else None)
        except KeyboardInterrupt:
            if live is not None:
                live.close()
            print(f"Flow run {flow.name!r} was interrupted: running tasks were cancelled. "
                  "The kernel is ready for the next cell.")
            return None
        if widget is not None:
            widget.apply_state(state)
        print(summaries.state_summary(flow, state))
        return state


def can_show_widgets(shell: Any) -> bool:
    """Widgets render only in a Jupyter kernel, not in terminal IPython."""
    return getattr(shell, "kernel", None) is not None


def _help() -> str:
    parts = [PrefectMagics.flow.__doc__ or ""]
    for func in (_flow_cell_args, _run_args, _rerun_args, _register_args, _watch_args):
        parts.append(func.__doc__ or "")
    return "\n\n".join(parts)


PrefectMagics.flow.__doc__ = _help()
