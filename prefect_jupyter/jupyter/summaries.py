"""Plain-text descriptions of flows and runs, printed where no widget can be shown."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.core.flow import Flow
from prefect_jupyter.core.parameter import Parameter
from prefect_jupyter.jupyter.cell_runner import is_cell_task

__all__ = ["flow_summary", "parameters_summary", "state_summary", "task_labels"]


def flow_summary(flow: Flow) -> str:
    """A few lines: the flow's tasks in order, each with what it reads from upstream."""
    tasks = [t for t in flow.sorted_tasks() if not getattr(t, "auto_generated", False)]
    lines = [f"Flow {flow.name!r}: {len(tasks)} task{'s' if len(tasks) != 1 else ''}"]
    for task in tasks:
        ups = sorted(
            f"{flow.slugs[e.upstream_task] if is_cell_task(e.upstream_task) else e.upstream_task.name}"
            + (f".{e.key}" if e.key and is_cell_task(e.upstream_task) else "")
            for e in flow.edges_to(task)
        )
        kind = "parameter " if isinstance(task, Parameter) else ""
        arrow = f" ← {', '.join(ups)}" if ups else ""
        lines.append(f"  {kind}{task.name}{arrow}")
    return "\n".join(lines)


def parameters_summary(flow: Flow) -> str:
    """One line per parameter of ``flow``: its name and default (or that it is required)."""
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


def task_labels(flow: Flow, slugs: list[str]) -> list[str]:
    """The tasks of ``slugs`` as a user knows them: by name, or by slug where two tasks of the
    flow share that name."""
    by_slug = {slug: task for task, slug in flow.slugs.items()}
    names = [str(t.name) for t in flow.tasks]
    labels = []
    for slug in slugs:
        name = str(by_slug[slug].name) if slug in by_slug else slug
        labels.append(name if names.count(name) == 1 else slug)
    return labels
