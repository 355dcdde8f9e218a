"""Registering a flow: ``flow.register()`` and ``Client.register()``.

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
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from prefect_jupyter.client import queries
from prefect_jupyter.client.errors import ClientError
from prefect_jupyter.context import context

if TYPE_CHECKING:
    from prefect_jupyter.client.client import Client
    from prefect_jupyter.core.flow import Flow

__all__ = ["register_flow", "register_with_client"]

# Prefect 1's default storage took these; our code travels with the registration, so they
# have nothing to configure
_IGNORED_STORAGE_OPTIONS = {"add_default_labels"}


def register_flow(
    flow: Flow,
    project_name: str | None = None,
    build: bool = True,
    labels: list[str] | None = None,
    set_schedule_active: bool = True,
    version_group_id: str | None = None,
    no_url: bool = False,
    idempotency_key: str | None = None,
    **kwargs: Any,
) -> str | None:
    """Register ``flow`` with the server in ``config.cloud.graphql`` (what ``flow.register`` does).

    Args:
        flow: the flow.
        project_name: the project to register it in (create it with
            ``prefect-jupyter create project NAME``).
        build: ship the flow's code with it (pickled); ``False`` registers only its metadata.
        labels: labels for the flow: only agents with all of them run it.
        set_schedule_active: start scheduling runs when the flow has a schedule.
        version_group_id: the version group to add the flow to (default: the group of the
            flow's name in the project).
        no_url: don't print the flow's URL and details.
        idempotency_key: registering again with the key of the group's current version gives
            back that version instead of a new one (default: the flow's ``structure_hash``).
        **kwargs: Prefect 1's storage options; ``add_default_labels`` is accepted and has no
            effect (no host label is added: the code travels with the flow).

    Returns:
        The flow's id; ``None`` when called while the CLI loads a flow file.

    Raises:
        TypeError: for a missing project name or unknown keyword arguments.
        ValueError: if the project does not exist (with the command that creates it).
        prefect_jupyter.serialization.FlowSerializationError: if a task refers to an object
            that can't be pickled (naming the task).
    """
    unknown = sorted(set(kwargs) - _IGNORED_STORAGE_OPTIONS)
    if unknown:
        raise TypeError(
            f"flow.register() got unexpected arguments: {', '.join(unknown)}. prefect_jupyter "
            "stores the flow's code with its registration, so Prefect 1's storage options don't "
            "apply."
        )
    if context.get("loading_flow", False):
        warnings.warn(
            "Attempting to call `flow.register` during execution of flow file will lead "
            "to unexpected results.",
            stacklevel=3,
        )
        return None
    from prefect_jupyter.client.client import Client

    with Client() as client:
        return client.register(
            flow, project_name=project_name, build=build, set_schedule_active=set_schedule_active,
            version_group_id=version_group_id, no_url=no_url, idempotency_key=idempotency_key,
            labels=labels,
        )


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
