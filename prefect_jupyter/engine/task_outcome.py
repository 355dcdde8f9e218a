"""What calling ``task.run`` gives a task run: a value, a signal, an error or a time-out; and retries.

:class:`OutcomeSteps` is mixed into :class:`~prefect_jupyter.engine.task_runner.TaskRunner`:
``_outcome`` calls the task (within its ``timeout``, its printed lines logged with
``log_stdout``) and turns what happened into the next state — ``Success`` with the value (written
through the task's result when checkpointing), the state of a signal raised, ``TimedOut`` or
``Failed``; ``check_for_retry`` makes a failure with retries left ``Retrying``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect_jupyter.context import context as prefect_context
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.state import Failed, Retrying, State, Success, TimedOut, _now
from prefect_jupyter.engine.timeouts import TaskTimeoutSignal, run_with_timeout

__all__ = ["OutcomeSteps"]


class OutcomeSteps:
    """The steps of ``TaskRunner`` that call the task and judge the outcome (see the module docstring)."""

    task: Any
    result: Any
    logger: Any
    _debug: bool
    handle_state_change: Callable[[State, State], State]
    _checkpoint: Callable[[Any, dict[str, Any]], Any]

    def _outcome(self, inputs: dict[str, Any]) -> State:
        task = self.task
        name = vars(prefect_context).get("task_full_name", task.name)
        new_state: State | None = None
        if self._debug:
            self.logger.debug("Task '%s': Calling task.run() method...", name)
        try:
            if task.log_stdout:
                from prefect_jupyter.utilities.logging import redirect_stdout_to_logger

                with redirect_stdout_to_logger(self.logger):
                    value = self._call_run(inputs)
            else:
                value = self._call_run(inputs)
        except TaskTimeoutSignal as exc:
            if prefect_context.get("raise_on_exception"):
                raise
            return TimedOut("Task timed out during execution.", result=exc)
        except signals.LOOP as exc:
            new_state = exc.state
            value = new_state.result
            new_state.loop_count = prefect_context.get("task_loop_count") or 1
            new_state.message = new_state.message or f"Task is looping ({new_state.loop_count})"
        except signals.SUCCESS as exc:
            # the signal's state, with its result: the value given, else the signal itself
            new_state = exc.state
            value = new_state.result
        except signals.PrefectStateSignal as exc:
            self.logger.info("%s signal raised: %r", type(exc).__name__, exc)
            if prefect_context.get("raise_on_exception"):
                raise
            return exc.state
        except Exception as exc:
            if prefect_context.get("raise_on_exception"):
                raise
            self.logger.error(
                "Task '%s': Exception encountered during task execution!", name, exc_info=True
            )
            return Failed(f"Error during execution of task: {exc!r}", result=exc)

        try:
            result = self._checkpoint(value, inputs)
        except Exception as exc:  # the value could not be stored: the run failed after all
            self.logger.exception("Task '%s': Unexpected error while writing the result: %r", name, exc)
            if prefect_context.get("raise_on_exception"):
                raise
            return Failed(f"Unexpected error while writing the result: {exc!r}", result=exc)
        if new_state is None:
            new_state = Success(message="Task run succeeded.")
        new_state._result = result
        if result is value:
            new_state._result_template = self.result
        return new_state

    def _call_run(self, inputs: dict[str, Any]) -> Any:
        task = self.task
        if task.timeout:
            name = vars(prefect_context).get("task_full_name", task.name)
            return run_with_timeout(task.run, inputs, task.timeout, name=f"Task '{name}'")
        return task.run(**inputs)

    def check_for_retry(self, state: State, inputs: dict[str, Any] | None = None) -> State:
        """A failure with retries left becomes ``Retrying`` (unless ``retry_on`` excludes it)."""
        if not isinstance(state, Failed):
            return state
        task = self.task
        if task.retry_on and state.result is not None and not isinstance(
            state.result, tuple(task.retry_on)
        ):
            self.logger.info(
                "Task '%s': Skipping retry. Exception of type %r is not an instance of the "
                "retry on exception types.",
                prefect_context.get("task_full_name", task.name),
                type(state.result).__name__,
            )
            return state
        run_count = prefect_context.get("task_run_count", 1)
        if run_count > task.max_retries:
            return state
        retry = Retrying(
            message=f"Retrying Task (after attempt {run_count} of {task.max_retries + 1})",
            start_time=_now() + task.retry_delay,
            run_count=run_count,
        )
        loop_count = prefect_context.get("task_loop_count")
        if loop_count is not None:
            # failed inside a loop: the retry resumes at this iteration, with the result so far
            retry.context["_loop_count"] = loop_count
            retry.result = prefect_context.get("task_loop_result")
        return self.handle_state_change(state, retry)
