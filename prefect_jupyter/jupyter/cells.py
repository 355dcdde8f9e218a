"""Notebook cells as tasks: the plain functions behind the ``%%task`` and ``%flow`` magics.

A *function cell* (``%%task`` on a cell defining one function) becomes a ``FunctionTask``, as
``@task`` would make it. A *cell task* (``%%task NAME`` on a cell of statements) becomes a task
of the notebook's current flow: the names it reads that other cell tasks assign (or that are flow
parameters) are its inputs, the names it assigns are its outputs, and edges follow from the names.

State lives in one :class:`Notebook` per shell: the flows the magics know, the cell specs of each
flow, the latest outputs of each cell, and the run history (what ``%flow runs`` and
``%flow rerun`` read). Nothing here imports IPython; mistakes raise :class:`CellError`, which the
magics turn into ``UsageError``.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import datetime
import hashlib
import inspect
import itertools
import os
import pathlib
import types
from collections.abc import Callable, Iterable
from typing import Any

from prefect_jupyter.core.flow import Flow
from prefect_jupyter.core.parameter import Parameter
from prefect_jupyter.core.task import Task
from prefect_jupyter.jupyter.cell_names import CellNames, defined_functions, scan_cell
from prefect_jupyter.tasks.core.function import FunctionTask

__all__ = [
    "CellError",
    "CellNames",
    "CellSpec",
    "Notebook",
    "RunRecord",
    "declare_cell_task",
    "function_cell_task",
    "adopt_flow",
    "make_executor",
    "rerun_flow",
    "run_flow",
    "scan_cell",
]

EXECUTOR_NAMES = ("local", "threads", "processes", "dask")
_BUILTINS = frozenset(dir(builtins)) | {"__builtins__", "__name__", "__file__", "__doc__"}


class CellError(Exception):
    """A mistake in a notebook cell or magic line: the message names the cause and the fix."""


# -- the notebook's state ----------------------------------------------------------------------------
@dataclasses.dataclass
class CellSpec:
    """A ``%%task NAME`` cell: its source, the names it reads and assigns, and its task options."""

    name: str
    source: str
    filename: str
    reads: list[str]
    outputs: list[str]
    options: dict[str, Any]
    defines: set[str] = dataclasses.field(default_factory=set)


@dataclasses.dataclass
class RunRecord:
    """One flow run started from the notebook."""

    flow_name: str
    start: datetime.datetime
    end: datetime.datetime
    state: Any
    parameters: dict[str, Any]
    task_states: dict[str, Any]  # by task slug
    fingerprints: dict[str, str]  # by task slug: code + inputs, see ``fingerprints``


@dataclasses.dataclass
class Notebook:
    """Everything the magics remember for one shell."""

    flows: dict[str, Flow] = dataclasses.field(default_factory=dict)
    cells: dict[str, dict[str, CellSpec]] = dataclasses.field(default_factory=dict)
    outputs: dict[str, dict[str, dict[str, Any]]] = dataclasses.field(default_factory=dict)
    runs: dict[str, list[RunRecord]] = dataclasses.field(default_factory=dict)
    current: str | None = None

    def current_flow_name(self, user_ns: dict) -> str:
        """The flow cell tasks join: the one chosen with ``%flow use``, else the notebook's name."""
        if self.current is None:
            session = user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME") or ""
            self.current = pathlib.Path(str(session)).stem or "notebook"
        return self.current

    def find_flow(self, name: str, user_ns: dict) -> Flow:
        """The flow called ``name``: one the magics made, else a ``Flow`` bound to that variable."""
        if name in self.flows:
            return self.flows[name]
        value = user_ns.get(name)
        if isinstance(value, Flow):
            return value
        known = sorted(set(self.flows) | {k for k, v in user_ns.items() if isinstance(v, Flow)})
        hint = f" Known flows: {', '.join(known)}." if known else " No flow is defined yet."
        raise CellError(
            f"No flow named {name!r}.{hint} Make one with `%%flow NAME` or `%%task NAME` cells."
        )

    def add_flow(self, flow: Flow) -> None:
        self.flows[flow.name] = flow

    def history(self, name: str) -> Any:
        """The runs of flow ``name`` as a ``pandas.DataFrame`` (start, end, duration, state, parameters)."""
        import pandas as pd

        rows = [
            {
                "start": r.start,
                "end": r.end,
                "duration": r.end - r.start,
                "state": type(r.state).__name__,
                "message": r.state.message,
                "parameters": r.parameters,
            }
            for r in self.runs.get(name, [])
        ]
        return pd.DataFrame(rows, columns=["start", "end", "duration", "state", "message", "parameters"])


# -- function cells ------------------------------------------------------------------------------------
def function_cell_task(
    source: str,
    user_ns: dict,
    execute: Callable[[str], None],
    options: dict,
    notebook: Notebook | None = None,
) -> Task:
    """Run a cell that defines one function and bind ``@task(**options)`` of it in its place.

    When the name held a task before, the new task takes its place (edges, constants and slug
    kept) in every flow of ``notebook`` and of ``user_ns`` that contains it, so the next run or
    ``rerun --changed`` uses the new code without re-running the ``%%flow`` cell.
    """
    try:
        names = defined_functions(source)
    except SyntaxError as exc:
        raise CellError(f"%%task: the cell has a syntax error: {exc.msg} (line {exc.lineno}).") from None
    if len(names) != 1:
        found = "no function" if not names else f"{len(names)} functions ({', '.join(names)})"
        raise CellError(
            f"%%task found {found} in this cell. Define exactly one function in a %%task cell, "
            "or name the cell (`%%task NAME`) to make its statements one task."
        )
    previous = user_ns.get(names[0])
    execute(source)
    fn = user_ns[names[0]]
    try:
        made = FunctionTask(fn=fn, **options)
    except (TypeError, ValueError) as exc:
        raise CellError(f"%%task: {exc}") from None
    user_ns[names[0]] = made
    if isinstance(previous, Task):
        _replace_in_flows(previous, made, notebook, user_ns)
    return made


def _replace_in_flows(old: Task, new: Task, notebook: Notebook | None, user_ns: dict) -> None:
    """Put ``new`` in place of ``old`` and of its copies (calling a task in a flow copies it) in
    the notebook's flows, keeping each one's slug."""
    flows = [*(notebook.flows.values() if notebook else ()), *(v for v in user_ns.values() if isinstance(v, Flow))]
    old_fn = old.run if isinstance(old, FunctionTask) else None
    seen: set[int] = set()
    for flow in flows:
        if id(flow) in seen:
            continue
        seen.add(id(flow))
        stale = [t for t in flow.tasks if t is old or (old_fn is not None and getattr(t, "run", None) is old_fn)]
        for task in stale:
            slug = flow.slugs.get(task)
            fresh = new if task is old else new.copy()
            flow.replace(task, fresh, validate=False)
            if slug is not None and slug not in flow.slugs.values():
                flow.slugs[fresh] = slug  # run history and rerun match tasks by slug


# -- cell tasks ------------------------------------------------------------------------------------------
class CellRunner:
    """The ``run`` of a cell task: executes the cell's code with its inputs and returns its outputs.

    Inputs that come from other cells arrive as those cells' output dicts (one edge per name); the
    runner picks its names out of them. The rest of the namespace is the user's, read at run time.
    """

    def __init__(
        self, spec: CellSpec, from_cells: dict[str, str], from_parameters: list[str], user_ns: dict
    ) -> None:
        self.spec = spec
        self.from_cells = from_cells
        self.user_ns = user_ns
        names = [*from_cells, *from_parameters]
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
        )
        self.__name__ = spec.name
        self.__doc__ = f"The notebook cell {spec.name!r}."

    def __call__(self, **inputs: Any) -> dict[str, Any]:
        values = {
            k: (v[k] if k in self.from_cells and isinstance(v, dict) else v) for k, v in inputs.items()
        }
        return self.execute(values)

    def execute(self, values: dict[str, Any]) -> dict[str, Any]:
        """Run the cell with ``values`` for its inputs; return ``{name: value}`` for its outputs."""
        namespace = dict(self.user_ns)
        namespace.update(values)
        exec(compile(self.spec.source, self.spec.filename, "exec"), namespace)  # noqa: S102
        # imports and functions the cell defines are code, not data: they join the notebook's
        # namespace (here, not in a worker process) as if the cell had run normally
        for name in self.spec.defines:
            if name in namespace:
                self.user_ns[name] = namespace[name]
        return {n: namespace[n] for n in self.spec.outputs if n in namespace}

    def __getstate__(self) -> dict:
        # a process or cluster worker gets only the globals the cell reads, not the whole notebook
        state = self.__dict__.copy()
        state["user_ns"] = {k: self.user_ns[k] for k in self.spec.reads if k in self.user_ns}
        state["user_ns"]["__builtins__"] = builtins
        return state


def declare_cell_task(
    notebook: Notebook, spec: CellSpec, user_ns: dict, flow_name: str | None = None
) -> Flow:
    """Add (or replace) the cell task ``spec`` in the current flow; returns the rebuilt flow.

    Raises:
        CellError: for a read nothing provides, a name two cells assign, or a cycle.
    """
    name = flow_name or notebook.current_flow_name(user_ns)
    old_flow = notebook.flows.get(name)
    cells = dict(notebook.cells.get(name, {}))
    cells[spec.name] = spec
    parameters = {p.name for p in old_flow.parameters()} if old_flow else set()
    producers = _producers(cells)
    missing = [
        n for n in spec.reads
        if n not in _BUILTINS and n not in user_ns and n not in parameters
        and not (producers.get(n, set()) - {spec.name})
    ]
    if missing:
        shown = ", ".join(f"`{n}`" for n in missing)
        raise CellError(
            f"Cell {spec.name!r} reads {shown}, which no task cell assigns and the notebook does "
            "not define. Define it in an earlier cell (or a %%task cell), or add a flow parameter "
            "of that name."
        )
    flow = _build_flow(name, old_flow, cells, user_ns)
    notebook.cells[name] = cells
    notebook.flows[name] = flow
    if old_flow is not None and user_ns.get(name) is old_flow:
        user_ns[name] = flow
    return flow


def adopt_flow(notebook: Notebook, flow: Flow, user_ns: dict) -> Flow:
    """Register ``flow`` (made by ``%%flow``); cell tasks declared for its name join it again.

    Raises:
        CellError: when the cells no longer fit the new flow (e.g. a cycle).
    """
    specs = notebook.cells.get(flow.name)
    if specs:
        flow = _build_flow(flow.name, flow, specs, user_ns)
        if isinstance(user_ns.get(flow.name), Flow):
            user_ns[flow.name] = flow
    notebook.flows[flow.name] = flow
    return flow


def _producers(cells: dict[str, CellSpec]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for cell in cells.values():
        for out in cell.outputs:
            found.setdefault(out, set()).add(cell.name)
    return found


def _cell_inputs(cells: dict[str, CellSpec], parameters: set[str], user_ns: dict) -> dict[str, dict[str, str]]:
    """For each cell, ``{name read: cell that provides it}``; parameters map to ``""``."""
    producers = _producers(cells)
    inputs: dict[str, dict[str, str]] = {c: {} for c in cells}
    ambiguous: list[tuple[str, str, list[str]]] = []
    for cell in cells.values():
        for read in cell.reads:
            if read in _BUILTINS:
                continue
            writers = sorted(producers.get(read, set()) - {cell.name})
            if len(writers) == 1:
                inputs[cell.name][read] = writers[0]
            elif writers:
                ambiguous.append((cell.name, read, writers))
            elif read in parameters:
                inputs[cell.name][read] = ""
    for cell_name, read, writers in ambiguous:
        # a chain (``df = load()`` then ``df = clean(df)``) is fine: the writer downstream of
        # all the others is the one to read
        ancestors = {w: _ancestors(w, inputs) for w in writers}
        latest = [w for w in writers if all(o in ancestors[w] for o in writers if o != w)]
        if len(latest) != 1 or latest[0] in _descendants(cell_name, inputs):
            quoted = " and ".join(repr(w) for w in writers)
            raise CellError(
                f"Cells {quoted} both assign `{read}`, which cell {cell_name!r} reads. Rename "
                f"`{read}` in one of them, or have one cell read the other's `{read}`."
            )
        inputs[cell_name][read] = latest[0]
    return inputs


def _ancestors(cell: str, inputs: dict[str, dict[str, str]]) -> set[str]:
    seen: set[str] = set()
    todo = [cell]
    while todo:
        for up in inputs.get(todo.pop(), {}).values():
            if up and up not in seen:
                seen.add(up)
                todo.append(up)
    return seen


def _descendants(cell: str, inputs: dict[str, dict[str, str]]) -> set[str]:
    return {c for c in inputs if cell in _ancestors(c, inputs)}


def _build_flow(name: str, old: Flow | None, cells: dict[str, CellSpec], user_ns: dict) -> Flow:
    """A new flow: the old flow's other tasks and edges, then every cell task with inferred edges."""
    flow = Flow(name)
    if old is not None:
        for attr in ("schedule", "executor", "run_config", "storage", "result", "terminal_state_handler"):
            setattr(flow, attr, getattr(old, attr))
        flow.state_handlers = list(old.state_handlers)
        cell_slugs = set(cells)
        kept = [t for t in old.slugs if old.slugs[t] not in cell_slugs and not _is_cell_task(t)]
        for t in kept:  # in the old insertion order, so generated slugs stay the same
            flow.add_task(t)
        for e in old.edges:
            if e.upstream_task in flow.tasks and e.downstream_task in flow.tasks:
                flow.add_edge(e.upstream_task, e.downstream_task, key=e.key, mapped=e.mapped,
                              flattened=e.flattened, validate=False)
        for t, consts in old.constants.items():
            if t in flow.tasks:
                flow.constants[t].update(consts)
        flow.set_reference_tasks(t for t in old.reference_tasks() if t in flow.tasks)
    params = {p.name: p for p in flow.parameters()}
    inputs = _cell_inputs(cells, set(params), user_ns)
    tasks: dict[str, Task] = {}
    for spec in cells.values():
        from_cells = {k: v for k, v in inputs[spec.name].items() if v}
        from_params = [k for k, v in inputs[spec.name].items() if not v]
        runner = CellRunner(spec, from_cells, from_params, user_ns)
        try:
            tasks[spec.name] = FunctionTask(fn=runner, name=spec.name, slug=spec.name, **spec.options)
        except (TypeError, ValueError) as exc:
            raise CellError(f"%%task {spec.name}: {exc}") from None
        tasks[spec.name].cell_spec = spec  # type: ignore[attr-defined]
        flow.add_task(tasks[spec.name])
    for spec in cells.values():
        for read, up in inputs[spec.name].items():
            upstream = tasks[up] if up else params[read]
            flow.add_edge(upstream, tasks[spec.name], key=read, validate=False)
    try:
        flow.validate()
    except ValueError as exc:
        raise CellError(f"The cells of flow {name!r} read each other's names in a cycle: {exc}") from None
    return flow


def _is_cell_task(task: Task) -> bool:
    return isinstance(getattr(task, "run", None), CellRunner)


def run_cell_now(notebook: Notebook, flow: Flow, cell: str, user_ns: dict) -> dict[str, Any]:
    """Run one cell task at once against its upstream results; write its outputs to ``user_ns``.

    Raises:
        CellError: when an upstream cell has not run yet.
    """
    task = next(t for t in flow.tasks if flow.slugs[t] == cell)
    runner: CellRunner = task.run  # type: ignore[assignment]
    results = notebook.outputs.setdefault(flow.name, {})
    values: dict[str, Any] = {}
    for edge in flow.edges_to(task):
        up = edge.upstream_task
        key = edge.key or ""
        if isinstance(up, Parameter):
            current = user_ns.get(key, up.default)
            values[key] = up.default if isinstance(current, Task) else current
        elif key in results.get(flow.slugs[up], {}):
            values[key] = results[flow.slugs[up]][key]
        elif key in user_ns:
            values[key] = user_ns[key]
        else:
            raise CellError(
                f"Cell {cell!r} needs `{key}` from cell {flow.slugs[up]!r}, which has not run yet. "
                f"Run cell {flow.slugs[up]!r} first (or `%flow run {flow.name}`)."
            )
    outputs = runner.execute(values)
    results[cell] = outputs
    user_ns.update(outputs)
    return outputs


# -- running flows -------------------------------------------------------------------------------------
def make_executor(spec: str) -> Any:
    """An executor from a short name (local, threads, processes, dask) or a Dask scheduler address.

    Raises:
        CellError: for anything else.
    """
    from prefect_jupyter.executors import DaskExecutor, LocalDaskExecutor, LocalExecutor

    if spec == "local":
        return LocalExecutor()
    if spec in ("threads", "processes"):
        return LocalDaskExecutor(scheduler=spec)
    if spec == "dask":
        return DaskExecutor()
    if "://" in spec or (":" in spec and spec.rsplit(":", 1)[1].isdigit()):
        return DaskExecutor(address=spec)
    raise CellError(
        f"Unknown executor {spec!r}. Use one of {', '.join(EXECUTOR_NAMES)}, or a Dask scheduler "
        "address such as tcp://127.0.0.1:8786."
    )


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """``["n=3", "name=world"]`` → ``{"n": 3, "name": "world"}`` (Python literals, else strings).

    Raises:
        CellError: for an item without ``=``.
    """
    values: dict[str, Any] = {}
    for item in items:
        if len(item) > 1 and item[0] == item[-1] and item[0] in "'\"":
            item = item[1:-1]  # the magic line keeps quotes around a whole "k=v with spaces"
        key, sep, raw = item.partition("=")
        if not sep or not key.isidentifier():
            raise CellError(f"Expected NAME=VALUE for a parameter, got {item!r} (e.g. n=3 or name=world).")
        try:
            values[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            values[key] = raw
    return values


def code_hash(obj: Any, _seen: set[int] | None = None) -> str:
    """A hash of a task's code, including the notebook functions it calls by name."""
    seen = _seen if _seen is not None else set()
    if id(obj) in seen:
        return ""
    seen.add(id(obj))
    if isinstance(obj, Task):
        run = obj.run
        return code_hash(run if _is_cell_task(obj) or isinstance(obj, FunctionTask) else type(obj).run, seen)
    digest = hashlib.sha256()
    helpers: dict[str, Any] = {}
    if isinstance(obj, CellRunner):
        digest.update(obj.spec.source.encode())
        helpers = {n: obj.user_ns.get(n) for n in obj.spec.reads}
    elif isinstance(obj, types.FunctionType):
        try:
            digest.update(inspect.getsource(obj).encode())
        except (OSError, TypeError):
            digest.update(obj.__code__.co_code)
            digest.update(repr(obj.__code__.co_consts).encode())
        helpers = {n: obj.__globals__.get(n) for n in _global_names(obj.__code__)}
    for name in sorted(helpers):
        value = helpers[name]
        if isinstance(value, FunctionTask):
            value = value.run
        if isinstance(value, types.FunctionType) and value.__module__ == "__main__":
            digest.update(name.encode())
            digest.update(code_hash(value, seen).encode())
    return digest.hexdigest()


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def fingerprints(flow: Flow, parameters: dict[str, Any]) -> dict[str, str]:
    """By slug: a hash of each task's code, constants, and its upstream tasks' fingerprints.

    A task's fingerprint changes when its code, its constant inputs, a parameter it depends on,
    or anything upstream of it changes.
    """
    found: dict[Any, str] = {}
    for task in flow.sorted_tasks():
        digest = hashlib.sha256(code_hash(task).encode())
        if isinstance(task, Parameter):
            digest.update(repr(parameters.get(task.name, task.default)).encode())
        if hasattr(task, "value") and not isinstance(task, Parameter):
            digest.update(repr(task.value).encode())
        digest.update(repr(sorted(flow.constants.get(task, {}).items(), key=lambda kv: kv[0])).encode())
        for edge in sorted(flow.edges_to(task), key=lambda e: (e.key or "", flow.slugs[e.upstream_task])):
            digest.update(f"{edge.key}:{edge.mapped}:{found[edge.upstream_task]}".encode())
        found[task] = digest.hexdigest()
    return {flow.slugs[t]: h for t, h in found.items()}


def run_flow(
    notebook: Notebook,
    flow: Flow,
    user_ns: dict,
    parameters: dict[str, Any] | None = None,
    executor: Any = None,
    task_states: dict | None = None,
    observers: list | None = None,
) -> Any:
    """Run ``flow``, record the run in the history and write cell outputs back to ``user_ns``.

    Returns the final state. ``KeyboardInterrupt`` is recorded (the flow's state is ``Cancelled``)
    and raised again.
    """
    from prefect_jupyter.engine.state import Cancelled

    parameters = dict(parameters or {})
    names = {p.name for p in flow.parameters()}
    unknown = sorted(set(parameters) - names)
    if unknown:
        known = ", ".join(sorted(names)) or "none"
        raise CellError(
            f"Flow {flow.name!r} has no parameter {', '.join(unknown)} (its parameters: {known})."
        )
    prints = fingerprints(flow, parameters)
    start = datetime.datetime.now(datetime.UTC)
    kwargs: dict[str, Any] = {"parameters": parameters, "task_states": task_states or {}}
    if executor is not None:
        kwargs["executor"] = executor
    if observers:
        kwargs["observers"] = observers
    record = RunRecord(flow.name, start, start, None, parameters, {}, prints)
    notebook.runs.setdefault(flow.name, []).append(record)
    try:
        state = flow.run(**kwargs)
    except KeyboardInterrupt:
        record.end = datetime.datetime.now(datetime.UTC)
        record.state = Cancelled("Flow run was interrupted (KeyboardInterrupt).")
        raise
    except ValueError as exc:
        notebook.runs[flow.name].remove(record)
        raise CellError(str(exc)) from None
    record.end = datetime.datetime.now(datetime.UTC)
    record.state = state
    results = state.result if isinstance(state.result, dict) else {}
    record.task_states = {flow.slugs[t]: s for t, s in results.items() if t in flow.slugs}
    outputs = notebook.outputs.setdefault(flow.name, {})
    for task, task_state in results.items():
        if _is_cell_task(task) and task_state.is_successful() and isinstance(task_state.result, dict):
            outputs[flow.slugs[task]] = task_state.result
            user_ns.update(task_state.result)
    return state


def rerun_states(
    notebook: Notebook, flow: Flow, parameters: dict[str, Any], failed: bool = True, changed: bool = True
) -> tuple[dict, list[str]]:
    """``task_states`` reusing the last run, and the slugs that will run again.

    A task reruns when it did not succeed (``failed``), when its fingerprint changed
    (``changed``), when it is new, or when anything upstream of it reruns. The others keep their
    last state, which the flow runner does not run again.
    """
    runs = [r for r in notebook.runs.get(flow.name, []) if r.task_states]
    if not runs:
        raise CellError(f"Flow {flow.name!r} has no finished run to rerun. Use `%flow run {flow.name}` first.")
    last = runs[-1]
    now = fingerprints(flow, parameters)
    states: dict = {}
    again: list[str] = []
    for task in flow.sorted_tasks():
        slug = flow.slugs[task]
        old = last.task_states.get(slug)
        upstream_again = any(flow.slugs[u] in again for u in flow.upstream_tasks(task))
        rerun = (
            old is None
            or upstream_again
            or isinstance(task, Parameter)
            or (failed and not old.is_successful())
            or (changed and now.get(slug) != last.fingerprints.get(slug))
            or old.is_mapped()
            or not old.is_finished()
        )
        if rerun:
            if not isinstance(task, Parameter) or upstream_again:
                again.append(slug)
        else:
            states[task] = old
    return states, again


def rerun_flow(
    notebook: Notebook,
    flow: Flow,
    user_ns: dict,
    failed: bool = True,
    changed: bool = True,
    executor: Any = None,
    observers: list | None = None,
) -> tuple[Any, list[str]]:
    """Rerun the last run of ``flow`` (same parameters), reusing what did not fail or change.

    Returns the final state and the slugs of the tasks that ran again.
    """
    runs = [r for r in notebook.runs.get(flow.name, []) if r.task_states]
    parameters = dict(runs[-1].parameters) if runs else {}
    states, again = rerun_states(notebook, flow, parameters, failed=failed, changed=changed)
    state = run_flow(notebook, flow, user_ns, parameters, executor, task_states=states, observers=observers)
    return state, again


# -- describing -----------------------------------------------------------------------------------------
def flow_summary(flow: Flow) -> str:
    """A few lines: the flow's tasks in order, each with what it reads from upstream."""
    tasks = [t for t in flow.sorted_tasks() if not getattr(t, "auto_generated", False)]
    lines = [f"Flow {flow.name!r}: {len(tasks)} task{'s' if len(tasks) != 1 else ''}"]
    for task in tasks:
        ups = sorted(
            f"{flow.slugs[e.upstream_task] if _is_cell_task(e.upstream_task) else e.upstream_task.name}"
            + (f".{e.key}" if e.key and _is_cell_task(e.upstream_task) else "")
            for e in flow.edges_to(task)
        )
        kind = "parameter " if isinstance(task, Parameter) else ""
        arrow = f" ← {', '.join(ups)}" if ups else ""
        lines.append(f"  {kind}{task.name}{arrow}")
    return "\n".join(lines)


def parameters_summary(flow: Flow) -> str:
    params = sorted(flow.parameters(), key=lambda p: p.name)
    if not params:
        return f"Flow {flow.name!r} has no parameters."
    lines = [f"Parameters of flow {flow.name!r}:"]
    for p in params:
        default = "required" if p.required else f"default {p.default!r}"
        lines.append(f"  {p.name} ({default})")
    return "\n".join(lines)


def state_summary(flow: Flow, state: Any) -> str:
    """One line for the flow's state, then one per failed task with its message."""
    lines = [f"Flow run {flow.name!r}: {type(state).__name__}" + (f" ({state.message})" if state.message else "")]
    results = state.result if isinstance(state.result, dict) else {}
    failed = [(t, s) for t, s in results.items() if s.is_failed()]
    order = {t: i for i, t in enumerate(flow.sorted_tasks())}
    for task, task_state in sorted(failed, key=lambda ts: order.get(ts[0], 0)):
        lines.append(f"  {task.name}: {type(task_state).__name__} — {task_state.message}")
    return "\n".join(lines)


_counter = itertools.count(1)


def cell_filename(source: str, cache: Callable[[str], str] | None = None) -> str:
    """A file name for a cell's code that tracebacks and ``inspect.getsource`` can read."""
    if cache is not None:
        return cache(source)
    import linecache

    name = f"<prefect-jupyter-cell-{next(_counter)}>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    return name
