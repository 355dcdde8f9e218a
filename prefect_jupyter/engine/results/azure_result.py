"""``AzureResult``: task outputs stored as blobs in Azure Blob Storage (extra ``azure``)."""

from __future__ import annotations

import os
from typing import Any

from prefect_jupyter.engine.result.base import Result, render_location
from prefect_jupyter.utilities.extras import require

__all__ = ["AzureResult"]


class AzureResult(Result):
    """A result stored as a blob in an Azure Blob Storage container.

    Args:
        container: the container.
        connection_string: the storage account's connection string; defaults to the
            ``AZURE_STORAGE_CONNECTION_STRING`` environment variable.
        connection_string_secret: the name of a local secret (``context.secrets``) holding the
            connection string, read on first use when ``connection_string`` is not set.
        **kwargs: `Result` arguments.
    """

    def __init__(
        self,
        container: str,
        connection_string: str | None = None,
        connection_string_secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.container = container
        self.connection_string = connection_string or os.getenv("AZURE_STORAGE_CONNECTION_STRING")
        self.connection_string_secret = connection_string_secret
        super().__init__(**kwargs)

    @property
    def service(self) -> Any:
        """The ``BlobServiceClient`` (made on first use)."""
        if getattr(self, "_service", None) is None:
            blob = require("azure.storage.blob", feature="AzureResult", extra="azure")
            self._service = blob.BlobServiceClient.from_connection_string(self._connection_string())
        return self._service

    @service.setter
    def service(self, value: Any) -> None:
        self._service = value

    def _connection_string(self) -> str:
        if self.connection_string:
            return self.connection_string
        if self.connection_string_secret:
            # read at run time from the local secrets (the engine does not call the API), and
            # never stored on the result
            from prefect_jupyter.context import context

            secrets = context.get("secrets") or {}
            if self.connection_string_secret not in secrets:
                raise ValueError(
                    f'AzureResult: Local Secret "{self.connection_string_secret}" was not found; '
                    "set it in [context.secrets] or PREFECT_JUPYTER__CONTEXT__SECRETS__"
                    f"{self.connection_string_secret}."
                )
            return str(secrets[self.connection_string_secret])
        raise ValueError(
            "AzureResult needs a connection string: pass connection_string=..., "
            "connection_string_secret=..., or set AZURE_STORAGE_CONNECTION_STRING."
        )

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_service", None)
        return state

    def _blob(self, location: str) -> Any:
        return self.service.get_blob_client(container=self.container, blob=location)

    def write(self, value_: Any, **kwargs: Any) -> Result:
        """Serialize ``value_`` and upload it to the formatted location."""
        new = self.format(**kwargs)
        self._blob(str(new.location)).upload_blob(self.serializer.serialize(value_), overwrite=True)
        new.value = value_
        return new

    def read(self, location: str) -> Result:
        """Download and deserialize the blob at ``location``."""
        payload = self._blob(location).download_blob().readall()
        new = self.copy()
        new.location = location
        new.value = self.serializer.deserialize(payload)
        return new

    def exists(self, location: str, **kwargs: Any) -> bool:
        """Whether a blob exists at ``location`` formatted with ``kwargs``."""
        return bool(self._blob(render_location(location, **kwargs)).exists())

    def _identity(self) -> dict[str, Any]:
        return {**super()._identity(), "container": self.container}
