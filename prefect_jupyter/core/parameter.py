"""Parameters: root tasks whose values are supplied when the flow runs.

Example:
    >>> with Flow("greet") as flow:
    ...     name = Parameter("name", default="world")
    >>> flow.run(name="Marvin")
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from prefect_jupyter.context import context
from prefect_jupyter.core.task import Task

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow


class _NoDefault:
    def __repr__(self) -> str:
        return "<no default>"

    def __reduce__(self) -> str:
        return "no_default"  # pickle by reference: the marker must stay one object


no_default: Any = _NoDefault()


class Parameter(Task):
    """A value given to the flow run (``flow.run(name=...)``), available to tasks as an input.

    Args:
        name: the parameter's name; unique within a flow (it is also the slug).
        default: the value when none is given; must be JSON-serializable to be registered.
        required: whether a value must be given (default: when there is no ``default``).
        tags: tags for the parameter task.
    """

    def __init__(
        self,
        name: str,
        default: Any = no_default,
        required: bool | None = None,
        tags: Iterable[str] | None = None,
    ) -> None:
        from prefect_jupyter.engine.results import PrefectResult

        if not isinstance(name, str) or not name:
            raise TypeError(f"A Parameter needs a name (a non-empty string), got {name!r}.")
        if required is None:
            required = default is no_default
        self.required = required
        self.default = None if default is no_default else default
        super().__init__(name=name, slug=name, tags=tags, result=PrefectResult(), checkpoint=True)

    def __repr__(self) -> str:
        return f"<Parameter: {self.name}>"

    def __call__(self, flow: Flow | None = None) -> Parameter:  # type: ignore[override]
        """Add this parameter to ``flow`` (or the flow in context)."""
        return self.bind(flow=flow)  # type: ignore[return-value]

    def copy(self, name: str, **task_args: Any) -> Task:  # type: ignore[override]
        """A copy of this parameter under a new ``name``."""
        return super().copy(name=name, slug=name, **task_args)

    def run(self) -> Any:
        from prefect_jupyter.engine import signals

        params = context.get("parameters") or {}
        if self.required and self.name not in params:
            raise signals.FAIL(f'Parameter "{self.name}" was required but not provided.')
        return params.get(self.name, self.default)


class DateTimeParameter(Parameter):
    """A parameter whose value is parsed into a timezone-aware ``datetime``.

    Strings are read as ISO 8601 (``"2024-01-31T10:00:00+01:00"``); naive values are taken as UTC.
    """

    def __init__(
        self,
        name: str,
        default: Any = no_default,
        required: bool = True,
        tags: Iterable[str] | None = None,
    ) -> None:
        from prefect_jupyter.engine.results import PrefectResult
        from prefect_jupyter.engine.serializers import DateTimeSerializer

        super().__init__(name=name, default=default, required=required, tags=tags)
        self.result = PrefectResult(serializer=DateTimeSerializer())

    def run(self) -> Any:
        value = super().run()
        if value is None:
            return None
        if isinstance(value, str):
            from dateutil import parser

            try:
                value = parser.isoparse(value)
            except ValueError as exc:
                raise ValueError(
                    f"Parameter {self.name!r}: {value!r} is not an ISO 8601 date-time "
                    "(e.g. '2024-01-31T10:00:00+00:00')."
                ) from exc
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            value = datetime.datetime(value.year, value.month, value.day)
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value
