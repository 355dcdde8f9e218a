"""``GCS`` storage (Google Cloud Storage): registers and serializes; loading needs Google's client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage, default_key, unavailable

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["GCS"]


class GCS(Storage):
    """Flows kept in a Google Cloud Storage bucket (Prefect 1's ``GCS`` storage).

    Kept for registration: the arguments, the keys of the flows added and the JSON are Prefect
    1's. Uploading and loading need google-cloud-storage and are not provided here.

    Args:
        bucket: the bucket.
        key: the object key (default ``<flow-name>/<timestamp>``).
        project: the Google Cloud project.
        stored_as_script: the flow is kept as its ``.py`` script.
        local_script_path: the script to upload.
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.
    """

    def __init__(
        self,
        bucket: str,
        key: str | None = None,
        project: str | None = None,
        stored_as_script: bool = False,
        local_script_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.bucket = bucket
        self.key = key
        self.project = project
        self.local_script_path = local_script_path
        super().__init__(stored_as_script=stored_as_script, **kwargs)

    def add_flow(self, flow: Flow) -> str:
        """Record ``flow`` under its key."""
        return self._record(flow, self.key or default_key(flow.name))

    def build(self) -> Storage:
        """Refused: uploading to GCS needs google-cloud-storage."""
        raise unavailable(self, "upload flows", "Google's google-cloud-storage client")

    def get_flow(self, flow_name: str) -> Flow:
        """Refused: downloading from GCS needs google-cloud-storage."""
        raise unavailable(self, "load flows", "Google's google-cloud-storage client")
