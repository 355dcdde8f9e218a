"""Result types that store task outputs somewhere and read them back.

Each result type implements ``write(value, **context)`` (store the value at the result's
location, formatted with the run context), ``read(location)`` and ``exists(location,
**context)``. ``write`` and ``read`` return new results; the one they are called on is never
changed. Outputs are written only when checkpointing is on.

Example:
    >>> from prefect_jupyter.engine.results import PrefectResult
    >>> PrefectResult().write([1, 2]).location
    '[1, 2]'
"""

from prefect_jupyter.engine.results.azure_result import AzureResult
from prefect_jupyter.engine.results.constant_result import ConstantResult
from prefect_jupyter.engine.results.gcs_result import GCSResult
from prefect_jupyter.engine.results.local_result import LocalResult
from prefect_jupyter.engine.results.prefect_result import PrefectResult
from prefect_jupyter.engine.results.s3_result import S3Result
from prefect_jupyter.engine.results.secret_result import SecretResult

__all__ = [
    "AzureResult",
    "ConstantResult",
    "GCSResult",
    "LocalResult",
    "PrefectResult",
    "S3Result",
    "SecretResult",
]
