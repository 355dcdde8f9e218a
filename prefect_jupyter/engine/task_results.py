"""Where a task run's value comes from and goes: its target, the ``cache_for`` cache, checkpoints.

:class:`ResultSteps` is mixed into :class:`~prefect_jupyter.engine.task_runner.TaskRunner`:

* ``check_target``: an existing result at the task's ``target`` makes the run ``Cached``;
* ``check_task_is_cached``: a valid cached state (given, or kept by earlier runs in this
  process, see :mod:`.caching`) is reused;
* ``cache_result``: with ``cache_for``, a success becomes ``Cached`` and is kept;
* ``_checkpoint``: with checkpointing on, a value is written through the task's ``Result``.

:func:`input_values` turns inputs given as ``Result`` objects (as Prefect 1 passed them) into
values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect_jupyter.context import context as prefect_context
from prefect_jupyter.engine.state import Cached, Pending, State, _now, _result_class

__all__ = ["ResultSteps", "input_values"]


def input_values(inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs as plain values (Prefect 1 passed ``Result`` objects here; both are accepted)."""
    if not inputs:
        return inputs
    Result = _result_class()  # noqa: N806  (a class)
    for v in inputs.values():
        if isinstance(v, Result):
            return {k: v.value if isinstance(v, Result) else v for k, v in inputs.items()}
    return inputs


class ResultSteps:
    """The result steps of ``TaskRunner`` (see the module docstring)."""

    task: Any
    result: Any
    logger: Any
    handle_state_change: Callable[[State, State], State]

    def check_target(self, state: State, inputs: dict[str, Any]) -> State:
        """An existing result at the task's ``target`` makes the task ``Cached`` without running."""
        target = self.task.target
        if state.is_cached() or not target:
            return state
        kwargs = self._formatting_kwargs(input_values(inputs))
        from prefect_jupyter.engine.result.base import render_location

        template = target(**kwargs) if callable(target) else target
        if self.result.exists(template, **kwargs):
            location = render_location(template, **kwargs)
            cached = Cached(
                result=self.result.read(location),
                cached_parameters=kwargs.get("parameters"),
                cached_result_expiration=None,
                message=f"Result found at task target {location}",
            )
            return self.handle_state_change(state, cached)
        return state

    def check_task_is_cached(self, state: State, inputs: dict[str, Any]) -> State:
        """Reuse a valid cached state (given, or from earlier runs in this process)."""
        parameters = vars(prefect_context).get("parameters")
        if isinstance(state, Cached):
            if self.task.cache_validator(state, inputs, parameters):
                return state
            state = self.handle_state_change(state, Pending("Cache was invalid; ready to run."))
        if self.task.cache_for is not None:
            from prefect_jupyter.engine.caching import cached_states

            for candidate in cached_states(self.task.cache_key or self.task.name):
                if self.task.cache_validator(candidate, inputs, parameters) and self._loaded(candidate):
                    return self.handle_state_change(state, candidate)
            # as Prefect 1 says, also on a first run when there was no cache yet
            self.logger.warning(
                "Task '%s': Can't use cache because it is now invalid",
                prefect_context.get("task_full_name", self.task.name),
            )
        return state

    def _loaded(self, candidate: State) -> bool:
        """Whether a valid cached state's value is here, read from where it was written when it
        is not (a state from the server, `backend.server_caches`): through the task's own
        ``Result``, else the state's. A value that cannot be read is not reused."""
        result = candidate._result
        if getattr(result, "value", None) is not None or getattr(result, "location", None) is None:
            return True
        for reader in (self.result, None):
            try:
                candidate.load_result(reader)
                return True
            except Exception as exc:  # gone, or a type that can't read it: try the next
                problem = exc
        self.logger.warning(
            "Task '%s': a cached result at %r could not be read (%r); it is not reused.",
            prefect_context.get("task_full_name", self.task.name), result.location, problem,
        )
        return False

    def cache_result(self, state: State, inputs: dict[str, Any]) -> State:
        """With ``cache_for``, a success becomes ``Cached`` and is kept for later runs."""
        if self.task.cache_for is not None and state.is_successful() and not state.is_skipped():
            from prefect_jupyter.engine.cache_validators import hash_inputs
            from prefect_jupyter.engine.result.base import Result

            cached = Cached(
                result=state._result,
                cached_inputs={k: Result(value=v) for k, v in inputs.items()},
                hashed_inputs=hash_inputs(inputs),
                cached_parameters=prefect_context.get("parameters"),
                cached_result_expiration=_now() + self.task.cache_for,
                message=state.message,
            )
            # flow.run keeps it for later runs (context.caches), as Prefect 1 does; a FlowRunner
            # run on its own does not
            state = self.handle_state_change(state, cached)
        return state

    def _checkpoint(self, value: Any, inputs: dict[str, Any]) -> Any:
        """Write ``value`` through the task's result when checkpointing is on; else the value."""
        if (
            vars(prefect_context).get("checkpointing") is True
            and self.task.checkpoint is not False
            and value is not None
        ):
            from prefect_jupyter.engine.result.base import Result, ResultNotImplementedError

            if type(self.result).write is Result.write:
                return value  # a result without storage keeps the value in memory
            try:
                return self.result.write(value, **self._formatting_kwargs(inputs))
            except ResultNotImplementedError:
                return value
        return value

    def _formatting_kwargs(self, inputs: dict[str, Any]) -> dict[str, Any]:
        kwargs = {**(prefect_context.get("parameters") or {}), **prefect_context, **inputs}
        kwargs.pop("self", None)
        return kwargs
