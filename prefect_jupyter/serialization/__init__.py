"""Flows, schedules and flow code as JSON: what ``flow.register()`` sends to the server.

* :func:`serialize_flow` — a flow as the server's ``serialized_flow`` dict (Prefect 1's shape).
* :func:`schedule_to_dict` / :func:`schedule_from_dict` — schedules as JSON.
* :func:`load_flow` — the ``Flow`` back from a serialized flow's ``storage`` (its pickled code).
* :func:`structure_hash` — a fingerprint of structure and code, the default idempotency key.

cloudpickle is imported only when a flow's code is pickled or loaded.

Prefect 1's marshmallow schemas are here too, at Prefect 1's paths (``serialization.state``,
``.task``, ``.edge``, ``.result``, ``.run_config``, ``.flow.FlowSchema``,
``.schedule.ScheduleSchema``, ``.storage.StorageSchema``): they need the ``serialization``
extra and are imported on first use.
"""

from prefect_jupyter.serialization.flow import serialize_flow, structure_hash
from prefect_jupyter.serialization.schedule import schedule_from_dict, schedule_to_dict
from prefect_jupyter.serialization.storage import (
    FlowLoadError,
    FlowSerializationError,
    Module,
    load_flow,
)

__all__ = [
    "FlowLoadError",
    "FlowSerializationError",
    "Module",
    "load_flow",
    "schedule_from_dict",
    "schedule_to_dict",
    "serialize_flow",
    "structure_hash",
]

_SCHEMA_MODULES = ("edge", "flow_schema", "result", "run_config", "schedule_schema", "state",
                   "task")


def __getattr__(name: str) -> object:
    # `prefect_jupyter.serialization.state` etc. without importing marshmallow up front
    if name in _SCHEMA_MODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
