"""Running flows from the notebook: ``%flow run`` and ``%flow rerun`` as plain functions.

:func:`run_flow` runs a flow, records the run in the notebook's history (with the fingerprints of
its tasks) and writes cell tasks' outputs back to the namespace. :func:`rerun_states` decides,
from the last run, which tasks run again and which keep their state; :func:`rerun_flow` does both.
:func:`make_executor` and :func:`parse_assignments` read the magic line's executor name and
``k=v`` parameter values.
"""

from __future__ import annotations

import ast
import datetime
from collections.abc import Iterable
from typing import Any

from prefect_jupyter.core.flow import Flow
from prefect_jupyter.core.parameter import Parameter
from prefect_jupyter.jupyter.cell_runner import is_cell_task
from prefect_jupyter.jupyter.fingerprints import fingerprints
from prefect_jupyter.jupyter.notebook import CellError, Notebook, RunRecord

__all__ = ["make_executor", "parse_assignments", "rerun_flow", "rerun_states", "run_flow"]

EXECUTOR_NAMES = ("local", "threads", "processes", "dask")


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
    _check_parameters(flow, parameters)
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
        if is_cell_task(task) and task_state.is_successful() and isinstance(task_state.result, dict):
            outputs[flow.slugs[task]] = task_state.result
            user_ns.update(task_state.result)
    return state


def _check_parameters(flow: Flow, parameters: dict[str, Any]) -> None:
    names = {p.name for p in flow.parameters()}
    unknown = sorted(set(parameters) - names)
    if unknown:
        known = ", ".join(sorted(names)) or "none"
        raise CellError(
            f"Flow {flow.name!r} has no parameter {', '.join(unknown)} (its parameters: {known})."
        )


def rerun_states(
    notebook: Notebook, flow: Flow, parameters: dict[str, Any], failed: bool = True, changed: bool = True
) -> tuple[dict, list[str]]:
    """``task_states`` reusing the last run, and the slugs that will run again.

    A task reruns when it did not succeed (``failed``), when its fingerprint changed
    (``changed``), when it is new, or when anything upstream of it reruns. The others keep their
    last state, which the flow runner does not run again.
    """
    runs = notebook.finished_runs(flow.name)
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
    runs = notebook.finished_runs(flow.name)
    parameters = dict(runs[-1].parameters) if runs else {}
    states, again = rerun_states(notebook, flow, parameters, failed=failed, changed=changed)
    state = run_flow(notebook, flow, user_ns, parameters, executor, task_states=states, observers=observers)
    return state, again
