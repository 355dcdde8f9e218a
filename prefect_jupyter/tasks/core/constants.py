"""``Constant``: a task that returns a fixed value."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.core.task import Task


class Constant(Task):
    """A task returning ``value``.

    Constants passed as task arguments are usually not added to the flow as tasks; the flow keeps
    them in ``flow.constants`` instead. This class is what they become when they must be tasks
    (e.g. when mapped over).

    Args:
        value: the value to return.
        name: display name (default: the value's repr, or ``Constant[type]`` when long).
        **kwargs: passed on to ``Task``.
    """

    flow_role = "constant"

    def __init__(self, value: Any, name: str | None = None, **kwargs: Any) -> None:
        self.value = value
        if name is None:
            name = repr(value)
            if len(name) > 8:
                name = f"Constant[{type(value).__name__}]"
        super().__init__(name=name, **kwargs)

    def run(self) -> Any:
        return self.value

    def state_for_flow_run(self, state: Any) -> Any:
        """A constant needs no run: with no state yet, it has succeeded with its value."""
        if state is None:
            from prefect_jupyter.engine.state import Success

            return Success(result=self.value)
        return state
