"""Registering a flow through a client: what ``Client.register()`` does.

The flow is serialized (and its code pickled) first, so that a flow that can't be registered
fails before anything is sent. Then the project is looked up, and the flow is sent with
``create_flow_from_compressed_string``. The idempotency key defaults to the flow's
``structure_hash``: registering an unchanged flow again gives back the registered flow (same id
and version); a changed flow becomes a new version and the server archives the previous one.

On success it prints, as Prefect 1 did::

    Flow URL: http://127.0.0.1:8080/flow/<id>
     └── ID: <id>
     └── Project: <project>
     └── Labels: [...]

``flow.register()`` (:mod:`prefect_jupyter.client.register`) makes a ``Client`` and calls its
``register``; this module takes the client it is given and imports no ``Client``, so the client
and registering don't import each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect_jupyter.client import queries
from prefect_jupyter.client.errors import ClientError

if TYPE_CHECKING:
    from prefect_jupyter.client.client import Client
    from prefect_jupyter.core.flow import Flow

__all__ = ["register_with_client"]


def register_with_client(
    client: Client,
    flow: Flow,
    project_name: str | None = None,
    build: bool = True,
    set_schedule_active: bool = True,
    version_group_id: str | None = None,
    compressed: bool = True,
    no_url: bool = False,
    idempotency_key: str | None = None,
    labels: list[str] | None = None,
) -> str:
    """Register ``flow`` through ``client`` (``Client.register``); returns the flow's id."""
    from prefect_jupyter.serialization.flow import serialize_flow
    from prefect_jupyter.utilities.graphql import compress

    if project_name is None:
        raise TypeError("'project_name' is a required field when registering a flow.")
    _check_schedule_parameters(flow)
    serialized = serialize_flow(flow, build_storage=build, labels=labels)

    project = client.graphql(queries.PROJECT_BY_NAME, {"name": project_name}).data.project
    if not project:
        raise ValueError(
            f"Project {project_name} not found. Run `prefect-jupyter create project "
            f"'{project_name}'` to create it."
        )
    inputs: dict[str, Any] = {
        "project_id": project[0].id,
        "serialized_flow": compress(serialized) if compressed else serialized,
        "set_schedule_active": set_schedule_active,
        "version_group_id": version_group_id,
        "idempotency_key": idempotency_key or serialized["structure_hash"],
    }
    name = "create_flow_from_compressed_string" if compressed else "create_flow"
    result = client.graphql(
        queries.mutation(name, "id"), {"input": inputs}, retry_on_api_error=False
    )
    flow_id = result.data[name].id
    if not no_url:
        prefix = "└── "
        print(f"Flow URL: {client.get_cloud_url('flow', flow_id)}")
        print(
            f" {prefix}ID: {flow_id}\n"
            f" {prefix}Project: {project_name}\n"
            f" {prefix}Labels: {serialized['labels']}"
        )
    return flow_id


def _check_schedule_parameters(flow: Flow) -> None:
    """A scheduled flow needs a value for each required parameter from every clock."""
    required = {p.name for p in flow.parameters() if p.required}
    if flow.schedule is None or not required:
        return
    if not all(required <= set(c.parameter_defaults) for c in flow.schedule.clocks):
        raise ClientError(
            "Flows with required parameters can not be scheduled automatically. Give the "
            f"parameters {', '.join(sorted(required))} defaults, or give every clock "
            "parameter_defaults for them."
        )
