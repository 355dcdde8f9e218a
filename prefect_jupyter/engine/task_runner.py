"""Running one task: from its upstream states to its final state.

``TaskRunner.run`` reads as a list of steps, each taking the current state and returning the next
one (or raising ``ENDRUN`` with the state the run ends in). Each change of state goes through
:meth:`TaskRunner.handle_state_change`, the one place where state handlers run and observers of
the state-event stream hear about it.

A failed task with retries left ends the run ``Retrying`` (start time: now + ``retry_delay``); as
in Prefect 1 the run that comes next (``flow.run``'s next pass, or the backend's) starts from that
state, with ``task_run_count`` one higher. A ``LOOP`` signal runs the task again inside this call,
with ``task_loop_count`` and ``task_loop_result`` in context: a loop here, not recursion.

The steps live by concern: this module has the run itself and the checks before the task is
called; :mod:`.task_results` the target, cache and checkpoint steps; :mod:`.task_outcome`
calling the task, judging its outcome and retries; :mod:`.task_mapping` a mapped parent's size
and a reduce's view of mapped upstream tasks. ``TaskRunner`` gets their steps as mixins, so each
is a method of the runner, as in Prefect 1 (and a subclass can override any of them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from logging import DEBUG, INFO
from typing import Any, NamedTuple

from prefect_jupyter.context import ContextOverlay
from prefect_jupyter.context import context as prefect_context
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.runner import Runner
from prefect_jupyter.engine.signals import ENDRUN
from prefect_jupyter.engine.state import (
    Cached,
    Cancelled,
    Failed,
    Finished,
    Looped,
    Paused,
    Pending,
    Resume,
    Retrying,
    Running,
    Scheduled,
    Skipped,
    State,
    TriggerFailed,
    _now,
    _result_class,
)
from prefect_jupyter.engine.task_mapping import MappingSteps, all_upstream
from prefect_jupyter.engine.task_outcome import OutcomeSteps
from prefect_jupyter.engine.task_results import ResultSteps, input_values
from prefect_jupyter.utilities.logging import log_line

__all__ = ["ENDRUN", "TaskRunner", "TaskRunnerInitializeResult"]

_SKIP_MESSAGE = (
    "Upstream task was skipped; if this was not the intended behavior, consider changing "
    "`skip_on_upstream_skip=False` for this task."
)


class TaskRunnerInitializeResult(NamedTuple):
    """What :meth:`TaskRunner.initialize_run` gives the run: its starting state and context."""

    state: State
    context: dict[str, Any]


class TaskRunner(ResultSteps, OutcomeSteps, MappingSteps, Runner):
    """Runs a task once its upstream states are known.

    Args:
        task: the task to run.
        state_handlers: extra handlers ``(runner, old_state, new_state) -> state``.
        flow_result: the flow's default ``Result``, used when the task has none.
        observers: callables receiving each :class:`~prefect_jupyter.engine.events.StateEvent`.
    """

    def __init__(
        self,
        task: Any,
        state_handlers: Iterable[Callable] | None = None,
        flow_result: Any = None,
        observers: Any = None,
    ) -> None:
        super().__init__(state_handlers=state_handlers, observers=observers)
        self.task = task
        self._debug = self.logger.isEnabledFor(DEBUG)
        result = task.result
        if result is None:
            # the flow runner passes one default Result for the whole pass
            result = flow_result or _result_class()()
        self.result = result
        if task.target:
            # a checkpointed result is written where the target says (as in Prefect 1), so that
            # the next run finds it there
            self.result = self.result.copy()
            self.result.location = task.target

    # -- hooks for Runner --------------------------------------------------------------------------
    def call_runner_target_handlers(self, old_state: State, new_state: State) -> State:
        logger = self.logger
        if self._debug:  # this runs on every state change
            logger.debug(
                "Task '%s': Handling state change from %s to %s",
                prefect_context.get("task_full_name", self.task.name),
                type(old_state).__name__, type(new_state).__name__,
            )
        for handler in self.task.state_handlers:
            new_state = handler(self.task, old_state, new_state) or new_state
        return new_state

    def _event_target(self) -> tuple[Any, Any]:
        return self.task, vars(prefect_context).get("map_index")

    # -- the run ------------------------------------------------------------------------------------
    def run(
        self,
        state: State | None = None,
        upstream_states: dict | None = None,
        context: dict | None = None,
        is_mapped_parent: bool = False,
    ) -> State:
        """Run the task and return its final state.

        Args:
            state: the state to start from (default ``Pending()``).
            upstream_states: edge -> state for every edge into this task.
            context: extra context for this run (``map_index``, ``parameters``, ...).
            is_mapped_parent: compute the ``Mapped`` parent state instead of running.
        """
        upstream_states = upstream_states or {}
        # whether DEBUG lines are wanted: asked once per run, not on every state change
        self._debug = self.logger.isEnabledFor(DEBUG)
        state, ctx = self.initialize_run(state, dict(context or {}))
        # ctx is this run's own dict already: overlay it as it is, without another copy
        with ContextOverlay(prefect_context, ctx):
            name = ctx["task_full_name"]
            log_line(self.logger, INFO, "Task '%s': Starting task run...", name)
            try:
                state = self.check_task_is_ready(state)
                state = self.check_task_reached_start_time(state)
                state = self.check_upstream_finished(state, upstream_states)
                state = self.check_upstream_skipped(state, upstream_states)
                inputs = self.get_task_inputs(state, upstream_states)
                if is_mapped_parent:
                    state = self.check_task_ready_to_map(state, upstream_states)
                self.set_task_run_name(inputs)
                if self.task.target:
                    state = self.check_target(state, inputs)
                else:
                    state = self.check_task_is_cached(state, inputs)
                state = self.check_task_trigger(state, upstream_states)
                state = self.run_until_settled(state, inputs)
            except signals.ENDRUN as exc:
                state = exc.state
            except KeyboardInterrupt:
                self.handle_state_change(state, Cancelled("Task run was interrupted (KeyboardInterrupt)."))
                raise
            except signals.PrefectStateSignal as exc:  # a signal is a state, even when debugging
                state = exc.state
            except Exception as exc:
                msg = f"Task '{name}': Unexpected error while running task: {exc!r}"
                self.logger.exception(msg)
                if prefect_context.get("raise_on_exception"):
                    raise
                state = Failed(message=msg, result=exc)
            log_line(
                self.logger, INFO, "Task '%s': Finished task run for task with final state: '%s'",
                name, type(state).__name__,
            )
        return state

    def initialize_run(  # type: ignore[override]
        self, state: State | None, context: dict[str, Any]
    ) -> TaskRunnerInitializeResult:
        """The starting state, and the task run's context (``context`` completed in place).

        Sets ``task_name``, ``task_full_name`` (``name[i]`` for a mapped child), ``task_tags``,
        ``task_slug``, ``task_run_count`` (from a ``Retrying`` state's count), ``resume`` for
        a ``Resume`` state or a ``Paused`` one whose time has come, ``checkpointing`` and
        ``logger`` (the task's; a mapped child's is ``<task logger>[i]``).
        """
        state, context = super().initialize_run(state, context)
        task = self.task
        map_index = context.setdefault("map_index", None)
        if isinstance(state, Retrying) and state.run_count:
            # resuming a retry (e.g. a restarted run): the attempts made so far still count
            context["task_run_count"] = state.run_count + 1
        else:
            context["task_run_count"] = state.context.get("task_run_count", 1)
        if "_loop_count" in state.context:
            # a retry of a loop's iteration goes on from that iteration (see check_for_retry)
            context["task_loop_count"] = state.context.pop("_loop_count")
            context["task_loop_result"] = state.result
        if isinstance(state, Resume) or (
            isinstance(state, Paused) and state.start_time and state.start_time <= _now()
        ):
            context["resume"] = True
        context["task_name"] = task.name
        context["task_full_name"] = task.name if map_index is None else f"{task.name}[{map_index}]"
        context["task_tags"] = task.tags
        if "task_slug" not in context:
            context["task_slug"] = getattr(task, "slug", None) or task.name
        if "checkpointing" not in context:
            settings = (context.get("config") or prefect_context.get("config") or {}).get("flows") or {}
            context["checkpointing"] = settings.get("checkpointing", False)
        if map_index is None:
            context["logger"] = task.logger
        else:
            from prefect_jupyter.utilities.logging import mapped_child_logger

            context["logger"] = mapped_child_logger(task.logger, map_index)
        return TaskRunnerInitializeResult(state, context)

    # -- the steps ----------------------------------------------------------------------------------
    def check_task_is_ready(self, state: State) -> State:
        """Only a ``Pending``, ``Mapped`` or ``Cached`` state may go on."""
        if isinstance(state, (Pending, Cached)):
            return state
        name = prefect_context.get("task_full_name", self.task.name)
        if state.is_mapped():
            self.logger.debug(
                "Task '%s': task is already mapped, but run will proceed so children are generated.", name
            )
            return state
        if state.is_running():
            self.logger.debug("Task '%s': task is already running.", name)
        elif state.is_finished():
            self.logger.debug("Task '%s': Task is already finished.", name)
        else:
            self.logger.debug("Task '%s': Task is not ready to run or state was unrecognized (%s).", name, state)
        raise signals.ENDRUN(state)

    def check_task_reached_start_time(self, state: State) -> State:
        """A ``Scheduled`` state (including ``Retrying``) whose start time has not come, or that
        has none (a ``Paused`` task waiting for approval), ends the run as it is.

        ``flow.run`` runs the flow again when the earliest such time comes; retries that happen
        within this run wait in :meth:`run_until_settled` instead.
        """
        if isinstance(state, Scheduled):
            name = prefect_context.get("task_full_name", self.task.name)
            if state.start_time is None:
                self.logger.debug("Task '%s' is scheduled without a known start_time; ending run.", name)
                raise signals.ENDRUN(state)
            if state.start_time > _now():
                self.logger.debug("Task '%s': start_time has not been reached; ending run.", name)
                raise signals.ENDRUN(state)
        return state

    def check_upstream_finished(self, state: State, upstream_states: dict) -> State:
        """End the run (unchanged) unless every upstream state is finished."""
        for upstream in all_upstream(upstream_states):
            if not isinstance(upstream, Finished):
                self.logger.debug(
                    "Task '%s': Not all upstream states are finished; ending run.",
                    prefect_context.get("task_full_name", self.task.name),
                )
                raise signals.ENDRUN(state)
        return state

    def check_upstream_skipped(self, state: State, upstream_states: dict) -> State:
        """Skip when an upstream task skipped (unless ``skip_on_upstream_skip=False``)."""
        if not self.task.skip_on_upstream_skip:
            return state
        for upstream in all_upstream(upstream_states):
            if not isinstance(upstream, Skipped):
                continue
            self.logger.debug(
                "Task '%s': Upstream states were skipped; ending run.",
                prefect_context.get("task_full_name", self.task.name),
            )
            raise signals.ENDRUN(self.handle_state_change(state, Skipped(message=_SKIP_MESSAGE)))
        return state

    def get_task_inputs(self, state: State, upstream_states: dict) -> dict[str, Any]:
        """The task's keyword inputs (values) from keyed upstream edges."""
        inputs = {}
        for edge, upstream in upstream_states.items():
            if edge.key is not None:
                inputs[edge.key] = upstream.result
        return inputs


    def set_task_run_name(self, task_inputs: dict[str, Any]) -> None:
        """Fill ``task_run_name`` (a template or a function) into context."""
        template = self.task.task_run_name
        if not template:
            return
        inputs = input_values(task_inputs)
        kwargs = {**(prefect_context.get("parameters") or {}), **prefect_context, **inputs}
        name = template(**kwargs) if callable(template) else template.format(**kwargs)
        prefect_context["task_run_name"] = name




    def check_task_trigger(self, state: State, upstream_states: dict) -> State:
        """Run the trigger; a false result or a signal ends the run."""
        if isinstance(state, Cached):
            return state
        try:
            if not self.task.trigger(upstream_states):
                raise signals.TRIGGERFAIL(message="Trigger failed")
        except signals.PrefectStateSignal as exc:
            self.logger.debug(
                "Task '%s': %s signal raised during execution.",
                prefect_context.get("task_full_name", self.task.name), type(exc).__name__,
            )
            if prefect_context.get("raise_on_exception"):
                raise
            raise signals.ENDRUN(self.handle_state_change(state, exc.state)) from None
        except Exception as exc:
            self.logger.exception(
                "Task '%s': Unexpected error while evaluating task trigger: %r",
                prefect_context.get("task_full_name", self.task.name), exc,
            )
            if prefect_context.get("raise_on_exception"):
                raise
            failed = TriggerFailed(f"Unexpected error while checking task trigger: {exc!r}", result=exc)
            raise signals.ENDRUN(self.handle_state_change(state, failed)) from None
        return state

    def run_until_settled(self, state: State, inputs: dict[str, Any]) -> State:
        """Run the task, then again for each ``LOOP``, until it has a state to return.

        A ``Retrying`` state is returned as it is (as in Prefect 1): whoever runs the flow runs
        the task again once its ``start_time`` has come.
        """
        while True:
            if isinstance(state, Cached):
                return state
            state = self.set_task_to_running(state, inputs)
            state = self.get_task_run_state(state, inputs)
            state = self.cache_result(state, inputs)
            state = self.check_for_retry(state, inputs)
            if isinstance(state, Looped):
                prefect_context["task_loop_result"] = state.result
                prefect_context["task_loop_count"] = (state.loop_count or 1) + 1
                # each iteration is a new attempt: retries count afresh (as in Prefect 1)
                prefect_context["task_run_count"] = 1
                # the next iteration starts from Pending, as a new run would: handlers see
                # Looped → Running (as in Prefect 1), not an extra Looped → Pending
                state = Pending(message=f"Looping task (on loop index {state.loop_count})")
                continue
            return state

    def set_task_to_running(self, state: State, inputs: dict[str, Any]) -> State:
        """Pending → ``Running("Starting task run.")``; any other state ends the run as it is."""
        if not isinstance(state, Pending):
            self.logger.debug(
                "Task '%s': Can't set state to Running because it isn't Pending; ending run.",
                prefect_context.get("task_full_name", self.task.name),
            )
            raise signals.ENDRUN(state)
        return self.handle_state_change(state, Running(message="Starting task run."))

    def get_task_run_state(self, state: State, inputs: dict[str, Any]) -> State:
        """Call ``task.run`` from a ``Running`` state; the outcome (value, signal or error)
        becomes the new state.

        Args:
            state: the current state; anything but ``Running`` ends the run unchanged.
            inputs: the ``run`` arguments (values, or ``Result`` objects holding them).
        """
        if not isinstance(state, Running):
            self.logger.debug(
                "Task '%s': Can't run task because it's not in a Running state; ending run.",
                prefect_context.get("task_full_name", self.task.name),
            )
            raise signals.ENDRUN(state)
        return self.handle_state_change(state, self._outcome(input_values(inputs)))





