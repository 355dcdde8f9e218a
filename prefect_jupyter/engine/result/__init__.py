"""The `Result` base class the engine wraps every task output in, and the `NoResult` marker.

Results that persist their values (`LocalResult`, `PrefectResult`, ...) live in
`prefect_jupyter.engine.results`.
"""

from prefect_jupyter.engine.result.base import (
    LocationError,
    NoResult,
    NoResultType,
    Result,
    ResultNotImplementedError,
)

__all__ = ["LocationError", "NoResult", "NoResultType", "Result", "ResultNotImplementedError"]
