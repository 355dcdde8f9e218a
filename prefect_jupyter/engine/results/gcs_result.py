"""``GCSResult``: task outputs stored as blobs in Google Cloud Storage (extra ``gcp``)."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.engine.result.base import Result, render_location
from prefect_jupyter.utilities.extras import require

__all__ = ["GCSResult"]


class GCSResult(Result):
    """A result stored as a blob in a Google Cloud Storage bucket.

    Uses ``google-cloud-storage`` with Application Default Credentials; the client is made on
    first use. Without the library, using the result raises an ImportError naming the ``gcp``
    extra.

    Args:
        bucket: the bucket.
        **kwargs: `Result` arguments.
    """

    def __init__(self, bucket: str | None = None, **kwargs: Any) -> None:
        self.bucket = bucket
        super().__init__(**kwargs)

    @property
    def gcs_bucket(self) -> Any:
        """The ``google.cloud.storage`` bucket (made on first use)."""
        if getattr(self, "_gcs_bucket", None) is None:
            storage = require("google.cloud.storage", feature="GCSResult", extra="gcp")
            self._gcs_bucket = storage.Client().bucket(self.bucket)
        return self._gcs_bucket

    @gcs_bucket.setter
    def gcs_bucket(self, value: Any) -> None:
        self._gcs_bucket = value

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_gcs_bucket", None)
        return state

    def write(self, value_: Any, **kwargs: Any) -> Result:
        """Serialize ``value_`` and upload it to the formatted location."""
        new = self.format(**kwargs)
        self.gcs_bucket.blob(new.location).upload_from_string(self.serializer.serialize(value_))
        new.value = value_
        return new

    def read(self, location: str) -> Result:
        """Download and deserialize the blob at ``location``."""
        payload = self.gcs_bucket.blob(location).download_as_bytes()
        new = self.copy()
        new.location = location
        new.value = self.serializer.deserialize(payload)
        return new

    def exists(self, location: str, **kwargs: Any) -> bool:
        """Whether a blob exists at ``location`` formatted with ``kwargs``."""
        return bool(self.gcs_bucket.blob(render_location(location, **kwargs)).exists())

    def _identity(self) -> dict[str, Any]:
        return {**super()._identity(), "bucket": self.bucket}
