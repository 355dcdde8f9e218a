"""The warning the deprecated executor classes give when they are made."""

from __future__ import annotations

import warnings
from typing import Any


class Moved:
    """Mixin: warn (``UserWarning``, as Prefect 1) that the class moved to ``prefect_jupyter.executors``."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # the executor this deprecated class stands for (also for a user's subclass of it)
        name = next(c.__name__ for c in cls.__mro__ if c.__module__.startswith("prefect_jupyter.executors"))
        warnings.warn(
            f"prefect_jupyter.engine.executors.{name} has been moved to "
            f"`prefect_jupyter.executors.{name}`, please update your imports",
            stacklevel=2,
        )
        return super().__new__(cls)
