"""Declaring notebook cells as tasks: the ``%%task`` magic's plain functions.

A *function cell* (``%%task`` on a cell defining one function) becomes a ``FunctionTask``, as
``@task`` would make it (:func:`function_cell_task`). A *cell task* (``%%task NAME`` on a cell of
statements) becomes a task of the notebook's current flow (:func:`declare_cell_task`): the names
it reads that other cell tasks assign (or that are flow parameters) are its inputs, the names it
assigns are its outputs, and edges follow from the names. Each declaration rebuilds the flow
from the previous one: its other tasks and edges stay, every cell task is made again with its
inferred edges.

Related modules: :mod:`~prefect_jupyter.jupyter.cell_names` reads a cell's names,
:mod:`~prefect_jupyter.jupyter.cell_runner` executes a cell task, and
:mod:`~prefect_jupyter.jupyter.notebook` keeps what the magics remember.
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Callable

from prefect_jupyter.core.flow import Flow
from prefect_jupyter.core.task import Task
from prefect_jupyter.jupyter.cell_names import defined_functions
from prefect_jupyter.jupyter.cell_runner import CellRunner, is_cell_task
from prefect_jupyter.jupyter.notebook import CellError, CellSpec, Notebook
from prefect_jupyter.tasks.core.function import FunctionTask

__all__ = ["adopt_flow", "cell_filename", "declare_cell_task", "function_cell_task"]

_BUILTINS = frozenset(dir(builtins)) | {"__builtins__", "__name__", "__file__", "__doc__"}


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
        _copy_non_cell_tasks(old, flow, set(cells))
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


def _copy_non_cell_tasks(old: Flow, flow: Flow, cell_slugs: set[str]) -> None:
    """Copy ``old``'s settings and its tasks that are not cell tasks (with their edges) to ``flow``."""
    for attr in ("schedule", "executor", "run_config", "storage", "result", "terminal_state_handler"):
        setattr(flow, attr, getattr(old, attr))
    flow.state_handlers = list(old.state_handlers)
    kept = [t for t in old.slugs if old.slugs[t] not in cell_slugs and not is_cell_task(t)]
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


_counter = itertools.count(1)


def cell_filename(source: str, cache: Callable[[str], str] | None = None) -> str:
    """A file name for a cell's code that tracebacks and ``inspect.getsource`` can read."""
    if cache is not None:
        return cache(source)
    import linecache

    name = f"<prefect-jupyter-cell-{next(_counter)}>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    return name
