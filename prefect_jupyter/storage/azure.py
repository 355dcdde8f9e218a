"""``Azure`` storage (Blob Storage): registers and serializes; loading needs Azure's client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage, default_key, unavailable

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["Azure"]


class Azure(Storage):
    """Flows kept in an Azure Blob Storage container (Prefect 1's ``Azure`` storage).

    Kept for registration; uploading and loading need azure-storage-blob and are not provided.
    The connection string is read from a secret and never serialized.

    Args:
        container: the container.
        connection_string_secret: the secret holding the connection string.
        blob_name: the blob name (default ``<flow-name>/<timestamp>``).
        overwrite: replace an existing blob when building.
        stored_as_script: the flow is kept as its ``.py`` script.
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.
    """

    def __init__(
        self,
        container: str,
        connection_string_secret: str | None = None,
        blob_name: str | None = None,
        overwrite: bool = False,
        stored_as_script: bool = False,
        **kwargs: Any,
    ) -> None:
        self.container = container
        self.connection_string_secret = connection_string_secret
        self.blob_name = blob_name
        self.overwrite = overwrite
        super().__init__(stored_as_script=stored_as_script, **kwargs)

    def add_flow(self, flow: Flow) -> str:
        """Record ``flow`` under its blob name."""
        return self._record(flow, self.blob_name or default_key(flow.name))

    def build(self) -> Storage:
        """Refused: uploading to Azure needs azure-storage-blob."""
        raise unavailable(self, "upload flows", "Azure's azure-storage-blob client")

    def get_flow(self, flow_name: str) -> Flow:
        """Refused: downloading from Azure needs azure-storage-blob."""
        raise unavailable(self, "load flows", "Azure's azure-storage-blob client")
