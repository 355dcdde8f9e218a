"""A flow as the JSON dict the server stores (``serialized_flow``), in Prefect 1's shape.

The keys follow Prefect 1's ``FlowSchema`` (``name``, ``type``, ``parameters``, ``tasks``,
``edges``, ``reference_tasks``, ``schedule``, ``storage``) with what a server needs besides:
``labels``, ``graph`` (the :mod:`prefect_jupyter.viz` graph model, for UIs), ``structure_hash``
(the default idempotency key, see :mod:`prefect_jupyter.serialization.hashing`) and
``__version__``. Tasks, parameters and edges are sorted by slug so the same flow always
serializes the same way. The flow's code lives in ``storage``
(:mod:`prefect_jupyter.serialization.storage`); the server never unpickles it.

Example:
    >>> data = serialize_flow(flow)
    >>> [t["slug"] for t in data["tasks"]]
    ['inc-1', 'x']
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any

from prefect_jupyter.core.flow import Flow
from prefect_jupyter.core.task import Task

__all__ = ["serialize_flow", "structure_hash", "qualified_name"]


def qualified_name(obj: Any) -> str:
    """``module.QualName`` of a class or function."""
    return f"{obj.__module__}.{obj.__qualname__}"


def _seconds(value: datetime.timedelta | int | float | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return value


def _json_or_none(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


def _task_to_dict(flow: Flow, task: Task, reference: set[Task], mapped: set[Task]) -> dict[str, Any]:
    trigger = getattr(task, "trigger", None)
    return {
        "slug": flow.slugs[task],
        "name": task.name,
        "type": qualified_name(type(task)),
        "description": task.__dict__.get("__doc__"),  # an @task function's docstring
        "tags": sorted(task.tags),
        "max_retries": task.max_retries,
        "retry_delay": _seconds(task.retry_delay),
        "timeout": _seconds(task.timeout),
        "trigger": None if trigger is None else qualified_name(trigger),
        "mapped": task in mapped,
        "is_reference_task": task in reference,
        "is_root_task": not flow.edges_to(task),
        "is_terminal_task": not flow.edges_from(task),
        "auto_generated": bool(getattr(task, "auto_generated", False)),
        "cache_key": task.cache_key,
    }


def _labels(flow: Flow, labels: Iterable[str] | None) -> list[str]:
    found = set(labels or ())
    run_config_labels = getattr(flow.run_config, "labels", None)
    if run_config_labels:
        found |= set(run_config_labels)
    return sorted(found)


def serialize_flow(
    flow: Flow, build_storage: bool = True, labels: Iterable[str] | None = None
) -> dict[str, Any]:
    """``flow`` as a JSON-ready dict (the contract's ``serialized_flow``).

    Args:
        flow: the flow to describe.
        build_storage: pickle the flow's code into ``storage`` (``False``: ``storage`` is
            ``None``, or the flow's ``Module`` storage).
        labels: labels for the registered flow (added to ``flow.run_config.labels``, if any).

    Raises:
        ValueError: for a cycle, or a schedule that can't be saved as JSON.
        prefect_jupyter.serialization.storage.FlowSerializationError: when
            ``build_storage`` and an object a task refers to can't be pickled (naming the task).
    """
    from prefect_jupyter import __version__
    from prefect_jupyter.serialization.hashing import hash_structure
    from prefect_jupyter.serialization.schedule import schedule_to_dict
    from prefect_jupyter.serialization.storage import describe_storage

    flow.validate()
    slugs = flow.slugs
    reference = flow.reference_tasks()
    mapped = {e.downstream_task for e in flow.edges if e.mapped}
    tasks = sorted(flow.tasks, key=slugs.__getitem__)
    edges = sorted(
        flow.edges,
        key=lambda e: (slugs[e.upstream_task], slugs[e.downstream_task], e.key or ""),
    )
    data: dict[str, Any] = {
        "__version__": __version__,
        "type": qualified_name(type(flow)),
        "name": flow.name,
        "description": getattr(flow, "description", None),
        "parameters": [
            {
                "name": p.name,
                "slug": slugs[p],
                "default": _json_or_none(p.default),
                "required": bool(p.required),
                "type": qualified_name(type(p)),
            }
            for p in sorted(flow.parameters(), key=slugs.__getitem__)
        ],
        "tasks": [_task_to_dict(flow, t, reference, mapped) for t in tasks],
        "edges": [
            {
                "upstream_task": {"slug": slugs[e.upstream_task]},
                "downstream_task": {"slug": slugs[e.downstream_task]},
                "key": e.key,
                "mapped": bool(e.mapped),
                "flattened": bool(e.flattened),
            }
            for e in edges
        ],
        "reference_tasks": [
            {"slug": slugs[t]} for t in sorted(flow._reference_tasks, key=slugs.__getitem__)
        ],
        "schedule": schedule_to_dict(flow.schedule),
        "labels": _labels(flow, labels),
        # the flow's runs get it unless create_flow_run is given one (Prefect Server 1's rule)
        "run_config": None if flow.run_config is None else flow.run_config.serialize(),
    }
    data["structure_hash"] = hash_structure(flow, data)
    data["storage"] = describe_storage(flow, build=build_storage)
    data["graph"] = _graph(flow)
    return data


def structure_hash(flow: Flow) -> str:
    """A fingerprint of ``flow``'s structure and code: the default idempotency key.

    The same for an unchanged flow in every process; any change to a task's code, an edge, a
    parameter default, a constant or the schedule changes it (see
    :mod:`prefect_jupyter.serialization.hashing`).
    """
    return serialize_flow(flow, build_storage=False)["structure_hash"]


def _graph(flow: Flow) -> dict[str, Any]:
    from prefect_jupyter.viz.model import graph_model

    return graph_model(flow)


def __getattr__(name: str) -> Any:
    # Prefect 1's FlowSchema at Prefect 1's path, imported on first use (it needs marshmallow)
    if name == "FlowSchema":
        from prefect_jupyter.serialization.flow_schema import FlowSchema

        return FlowSchema
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
