"""The one door from ``Flow`` to the layers above the graph.

Prefect 1's ``Flow`` has methods that run, draw, serialize, register and serve it (``run``,
``visualize``, ``serialize``, ``save``, ``register``, ``run_agent``, ...). Their logic lives where
it belongs — the engine's runners, ``viz``, ``serialization``, ``client``, ``agent`` — and ``Flow``
reaches it only through these functions, each importing its layer on first call. So ``core``
imports none of those layers (``import prefect_jupyter`` stays light, and the graph sits below
the runners that run it), and the import-linter contracts in ``pyproject.toml`` name this module
as the single exception to "the graph never imports the runners, client or agent".
"""

from __future__ import annotations

from typing import Any


def run_flow(flow: Any, parameters: Any, **kwargs: Any) -> Any:
    """:func:`prefect_jupyter.engine.flow_run.run_flow` (the runners sit above the graph)."""
    from prefect_jupyter.engine.flow_run import run_flow

    return run_flow(flow, parameters, **kwargs)


def visualize(flow: Any, flow_state: Any, **kwargs: Any) -> Any:
    """:func:`prefect_jupyter.viz.graphviz.visualize`."""
    from prefect_jupyter.viz.graphviz import visualize

    return visualize(flow, flow_state, **kwargs)


def serialize_flow(flow: Any, build_storage: bool) -> dict[str, Any]:
    """:func:`prefect_jupyter.serialization.flow.serialize_flow`."""
    from prefect_jupyter.serialization.flow import serialize_flow

    return serialize_flow(flow, build_storage=build_storage)


def structure_hash(flow: Any) -> str:
    """:func:`prefect_jupyter.serialization.flow.structure_hash`."""
    from prefect_jupyter.serialization.flow import structure_hash

    return structure_hash(flow)


def serialize_task(task: Any) -> dict[str, Any]:
    """:class:`prefect_jupyter.serialization.task.TaskSchema`'s dump of ``task``."""
    from prefect_jupyter.serialization.task import TaskSchema

    return TaskSchema().dump(task)


def serialize_edge(edge: Any) -> dict[str, Any]:
    """:class:`prefect_jupyter.serialization.edge.EdgeSchema`'s dump of ``edge``."""
    from prefect_jupyter.serialization.edge import EdgeSchema

    return EdgeSchema().dump(edge)


def flow_to_bytes(flow: Any) -> bytes:
    """:func:`prefect_jupyter.utilities.storage.flow_to_bytes_pickle`."""
    from prefect_jupyter.utilities.storage import flow_to_bytes_pickle

    return flow_to_bytes_pickle(flow)


def flow_from_bytes(data: bytes) -> Any:
    """:func:`prefect_jupyter.utilities.storage.flow_from_bytes_pickle`."""
    from prefect_jupyter.utilities.storage import flow_from_bytes_pickle

    return flow_from_bytes_pickle(data)


def register_flow(flow: Any, *args: Any, **kwargs: Any) -> str | None:
    """:func:`prefect_jupyter.client.register.register_flow`."""
    from prefect_jupyter.client.register import register_flow

    return register_flow(flow, *args, **kwargs)


def load_registered(flow_id: str, api_server: str | None) -> Any:
    """The registered flow ``flow_id``, with its code, through the API client."""
    from prefect_jupyter.client import Client

    with Client(api_server=api_server) as client:
        return client.get_flow(flow_id)


def start_local_agent(**kwargs: Any) -> None:
    """Start a :class:`prefect_jupyter.agent.LocalAgent` (blocks until Ctrl-C)."""
    from prefect_jupyter.agent import LocalAgent

    LocalAgent(**kwargs).start()
