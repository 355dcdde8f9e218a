"""How a flow's code ships with its registration: the ``storage`` entry of a serialized flow.

Two kinds, named as in Prefect 1:

* ``Pickle`` (the default) — the whole ``Flow`` pickled with cloudpickle
  (:mod:`prefect_jupyter.storage.pickling`);
* ``Module`` — the flow is the attribute of an importable module (``flow.storage =
  Module("my_flows.etl")``, :class:`prefect_jupyter.storage.Module`); nothing is pickled.

:func:`describe_storage` writes the entry when a flow is serialized; :func:`load_flow` gives the
``Flow`` back where it runs, and its errors say why it can't (registered without code, another
Python, a module missing here). Prefect 1's path for these names is
``prefect_jupyter.serialization.storage``; they live here, with the storage classes, so that
storage never imports ``serialization/``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.module import Module
from prefect_jupyter.storage.pickling import (
    FlowLoadError,
    pickle_flow,
    pickle_versions,
    unpickle_flow,
)

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["describe_storage", "load_flow"]


def describe_storage(flow: Flow, build: bool = True) -> dict[str, Any] | None:
    """The ``storage`` entry of ``flow``'s serialized form.

    ``Module`` storage is described as is; otherwise, with ``build``, the flow is pickled
    (``Pickle``); without it there is no storage (``None``).

    Raises:
        prefect_jupyter.storage.pickling.FlowSerializationError: naming the task (and
            object) that can't be pickled.
    """
    if isinstance(flow.storage, Module):
        return {
            "type": "Module",
            "flow": {"module": flow.storage.module, "attribute": flow.storage.attribute},
            **pickle_versions(),
        }
    if not build:
        return None
    return {"type": "Pickle", "flow": pickle_flow(flow), **pickle_versions()}


def load_flow(serialized_flow: dict[str, Any]) -> Flow:
    """The ``Flow`` a serialized flow's ``storage`` holds.

    Raises:
        FlowLoadError: when the flow was registered without its code, was pickled by an
            incompatible Python or cloudpickle, or needs a module that is not importable here.
    """
    from prefect_jupyter.core.flow import Flow

    name = serialized_flow.get("name")
    storage = serialized_flow.get("storage")
    if not storage:
        raise FlowLoadError(
            f"Flow {name!r} was registered without its code (build=False), so it can't be "
            "loaded. Register it again with flow.register(..., build=True)."
        )
    kind = storage.get("type")
    if kind == "Module":
        flow = _load_module_flow(name, storage["flow"])
    elif kind == "Pickle":
        flow = unpickle_flow(name, storage)
    else:
        raise FlowLoadError(f"Flow {name!r} has unknown storage {kind!r}; expected Pickle or Module.")
    if not isinstance(flow, Flow):
        raise FlowLoadError(f"Flow {name!r}'s storage holds a {type(flow).__name__}, not a Flow.")
    return flow


def _load_module_flow(name: str | None, where: dict[str, Any]) -> Any:
    from prefect_jupyter.core.flow import Flow

    module_name, attribute = where.get("module"), where.get("attribute")
    try:
        module = importlib.import_module(str(module_name))
    except ImportError as exc:
        raise FlowLoadError(
            f"Flow {name!r} lives in the module {module_name!r}, which can't be imported here "
            f"({exc}). Install it where the flow runs."
        ) from exc
    if attribute:
        return getattr(module, attribute)
    flows = [v for v in vars(module).values() if isinstance(v, Flow)]
    matching = [f for f in flows if f.name == name] or flows
    if len(matching) != 1:
        raise FlowLoadError(
            f"The module {module_name!r} has {len(matching)} flows named {name!r}; name the one "
            "to load with Module(module, attribute='...')."
        )
    return matching[0]
