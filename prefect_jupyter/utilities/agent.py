"""Helpers for agents that read a flow run from the API (Prefect 1's ``prefect.utilities.agent``).

``flow_run`` is a ``GraphQLResult`` of a flow run with its ``run_config`` and ``flow { storage
core_version }`` (serialized, as the API returns them).
"""

from __future__ import annotations

from typing import Any

__all__ = ["get_flow_image", "get_flow_run_command"]

# the command that executes one flow run of the server (what the local agent starts)
FLOW_RUN_COMMAND = "prefect-jupyter execute flow-run"


def get_flow_image(flow_run: Any, default: str | None = None) -> str:
    """The image a flow run runs in: its run config's ``image``, else its ``Docker`` storage's
    image, else ``default``, else Prefect 1's image of the flow's ``core_version``
    (``prefecthq/prefect:<version>``, ``latest`` when unknown), as Prefect 1's agents chose."""
    run_config = _get(flow_run, "run_config") or {}
    if _get(run_config, "image"):
        return _get(run_config, "image")
    flow = _get(flow_run, "flow") or {}
    storage = _get(flow, "storage") or {}
    if _get(storage, "type") == "Docker":
        name = "/".join(p for p in (_get(storage, "registry_url"), _get(storage, "image_name")) if p)
        return f"{name}:{_get(storage, 'image_tag')}"
    if default is not None:
        return default
    version = (_get(flow, "core_version") or "").split("+")[0] or "latest"
    return f"prefecthq/prefect:{version}"


def get_flow_run_command(flow_run: Any) -> str:
    """The command that executes ``flow_run`` in a fresh process: ``prefect-jupyter execute
    flow-run`` (the run's id goes in ``PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID``, or Prefect 1's
    ``PREFECT__CONTEXT__FLOW_RUN_ID``).

    Prefect 1 answered ``prefect execute flow-run`` (``prefect execute cloud-flow`` for flows
    registered by Prefect before 0.13); this package has the one command.
    """
    return FLOW_RUN_COMMAND


def _get(data: Any, key: str) -> Any:
    if data is None:
        return None
    if isinstance(data, dict):
        return data.get(key)
    return getattr(data, key, None)
