"""Registering a flow: ``flow.register()`` (Prefect 1's entry point), which makes a ``Client``.

How a flow is registered (serialized first, the project looked up, sent with
``create_flow_from_compressed_string``, the URL printed) is ``Client.register``, in
:mod:`prefect_jupyter.client.registration`; ``register_with_client`` is named here too.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from prefect_jupyter.client.registration import register_with_client
from prefect_jupyter.context import context

if TYPE_CHECKING:
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
