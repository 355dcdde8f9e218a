"""Prefect 1's ``prefect.serialization.storage``: a flow's code in a serialized flow, and ``StorageSchema``.

Both are defined with the storage classes, so that storage never imports this package:
a flow's code in :mod:`prefect_jupyter.storage.shipping` (which kind it ships as, loading it back)
and :mod:`prefect_jupyter.storage.pickling` (``Pickle``), the marshmallow
schemas in :mod:`prefect_jupyter.storage.schema` (imported on first use here, so that
registering a flow never needs marshmallow).
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.storage.module import Module
from prefect_jupyter.storage.pickling import (
    FlowLoadError,
    FlowSerializationError,
    pickle_flow,
    unpickle_flow,
)
from prefect_jupyter.storage.shipping import describe_storage, load_flow

__all__ = [
    "FlowLoadError",
    "FlowSerializationError",
    "Module",
    "describe_storage",
    "load_flow",
    "pickle_flow",
    "unpickle_flow",
]


def __getattr__(name: str) -> Any:
    # StorageSchema, BaseStorageSchema, LocalSchema, ... at Prefect 1's path, loaded on use
    if name.endswith("Schema"):
        from prefect_jupyter.storage import schema

        try:
            return getattr(schema, name)
        except AttributeError:
            pass
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
