"""AWS tasks: S3 download, upload and listing (extra ``aws``: boto3).

Authentication: the ``AWS_CREDENTIALS`` secret (``{"ACCESS_KEY": ..., "SECRET_ACCESS_KEY":
...}``), the ``credentials`` run argument, or boto3's own chain. Pass
``boto_kwargs={"endpoint_url": ...}`` to talk to an S3-compatible server (MinIO, moto, ...).
"""

from prefect_jupyter.utilities.extras import require

require("boto3", feature="prefect_jupyter.tasks.aws", extra="aws")

from prefect_jupyter.tasks.aws.s3 import S3Download, S3List, S3Upload  # noqa: E402

__all__ = ["S3Download", "S3List", "S3Upload"]
