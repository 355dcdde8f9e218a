"""Running a flow: one pass over its tasks in dependency order.

``FlowRunner.run`` sets up the run's context, moves the flow to ``Running``, submits every task to
the executor (mapped tasks as a parent plus one child per element) and decides the final state
from the reference tasks:

* any reference task failed → ``Failed("Some reference tasks failed.")``
* all reference tasks succeeded → ``Success("All reference tasks succeeded.")``
* otherwise (e.g. a paused task) → ``Success("No reference tasks failed.")``, or ``Running`` while
  terminal tasks are unfinished.

The state each task ends in is the runner's business; the flow runner only wires upstream states
(which may be executor futures) to downstream tasks. A mapped child's upstream is the matching
child of a mapped upstream task, so chained maps run element by element on parallel executors.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from prefect_jupyter.configuration import config
from prefect_jupyter.context import context as prefect_context
from prefect_jupyter.core.edge import Edge
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.flow_mapping import child_upstream_states, flattened, flattened_children
from prefect_jupyter.engine.runner import Runner
from prefect_jupyter.engine.signals import ENDRUN
from prefect_jupyter.engine.state import (
    Cancelled,
    Failed,
    Mapped,
    Pending,
    Running,
    Scheduled,
    State,
    Success,
)
from prefect_jupyter.engine.task_runner import TaskRunner
from prefect_jupyter.utilities import dates
from prefect_jupyter.utilities.ids import new_id

__all__ = ["ENDRUN", "FlowRunner", "FlowRunnerInitializeResult", "run_task"]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class FlowRunnerInitializeResult(NamedTuple):
    """What :meth:`FlowRunner.initialize_run` gives the run: its starting state and contexts."""

    state: State
    task_states: dict
    context: dict[str, Any]
    task_contexts: dict[Any, dict]


def _add_run_dates(context: dict[str, Any], logger: Any) -> None:
    """Put the run's dates into ``context`` as pendulum objects (keys already set are kept)."""
    now = context.get("date")
    if isinstance(now, str):
        # a date sent as text (e.g. from the UI's run form) is parsed, as Prefect 1 does
        import pendulum

        try:
            now = context["date"] = pendulum.parse(now)
        except Exception:  # any unparsable text: warned about below, and "now" is used instead
            pass
    if isinstance(now, datetime.datetime):
        now = dates.to_pendulum(now)
        context["date"] = now
    else:
        if now is not None:
            logger.warning(
                "`date` was set in the context (%r) but could not be parsed into a pendulum "
                "`DateTime` object; the run's `today`, `yesterday` and `tomorrow` use the current "
                "time instead. Pass a datetime or an ISO 8601 string.", now,
            )
        now = dates.now()
    start = context.get("scheduled_start_time")
    context["scheduled_start_time"] = now if start is None else dates.to_pendulum(start)
    for label, days in (("yesterday", -1), ("today", 0), ("tomorrow", 1)):
        day = now.add(days=days)
        context.setdefault(label, day.strftime("%Y-%m-%d"))
        context.setdefault(f"{label}_nodash", day.strftime("%Y%m%d"))
    context.setdefault("date", now)


def run_task(
    task: Any,
    state: State | None,
    upstream_states: dict[Edge, State],
    context: dict[str, Any],
    flow_result: Any = None,
    task_runner_cls: type = TaskRunner,
    task_runner_state_handlers: Iterable[Callable] | None = None,
    is_mapped_parent: bool = False,
    events: Any = None,
    map_index: int | None = None,
) -> State:
    """Run one task (or mapped child) to its final state; what executors are given to call.

    ``context`` is the whole run context; the task runner enters it for the task run. A mapped
    child's ``map_index`` comes separately, so that all children of a task share one context
    dict (executors that ship work elsewhere can send it once per task).
    """
    if map_index is not None:
        context = {**context, "map_index": map_index}
    runner = task_runner_cls(
        task=task,
        state_handlers=task_runner_state_handlers,
        flow_result=flow_result,
        observers=events,
    )
    return runner.run(
        state=state, upstream_states=upstream_states, context=context,
        is_mapped_parent=is_mapped_parent,
    )


@dataclasses.dataclass
class _Pass:
    """What one pass over the flow's tasks accumulates."""

    task_states: dict[Any, Any]
    mapped_children: dict[Any, list[Any]] = dataclasses.field(default_factory=dict)
    submit: _Submitter | None = None  # how this pass hands a task run to the executor
    last_states: dict[tuple[Any, int | None], State] = dataclasses.field(default_factory=dict)

    def note(self, event: Any) -> None:
        """Observer: keep each task run's latest state (to know what an interrupt cuts short)."""
        self.last_states[(event.task, event.map_index)] = event.new_state


class FlowRunner(Runner):
    """Runs a flow once.

    Args:
        flow: the flow to run.
        task_runner_cls: the class that runs each task (default ``TaskRunner``).
        state_handlers: extra handlers ``(runner, old_state, new_state) -> state``.
        observers: callables receiving every ``StateEvent`` of this run.

    Example:
        >>> state = FlowRunner(flow).run(parameters={"name": "world"}, return_tasks=flow.tasks)
    """

    def __init__(
        self,
        flow: Any,
        task_runner_cls: type | None = None,
        state_handlers: Iterable[Callable] | None = None,
        observers: Any = None,
    ) -> None:
        super().__init__(state_handlers=state_handlers, observers=observers)
        self.flow = flow
        if task_runner_cls is None:
            from prefect_jupyter.engine import get_default_task_runner_class

            task_runner_cls = get_default_task_runner_class()
        self.task_runner_cls = task_runner_cls

    def call_runner_target_handlers(self, old_state: State, new_state: State) -> State:
        self.logger.debug(
            "Flow '%s': Handling state change from %s to %s",
            self.flow.name, type(old_state).__name__, type(new_state).__name__,
        )
        for handler in self.flow.state_handlers:
            new_state = handler(self.flow, old_state, new_state) or new_state
        return new_state

    # -- entry point -------------------------------------------------------------------------------
    def run(
        self,
        state: State | None = None,
        task_states: dict | None = None,
        return_tasks: Iterable[Any] | None = None,
        parameters: dict[str, Any] | None = None,
        task_runner_state_handlers: Iterable[Callable] | None = None,
        executor: Any = None,
        context: dict[str, Any] | None = None,
        task_contexts: dict[Any, dict] | None = None,
    ) -> State:
        """Run the flow and return its final state (its ``result`` maps return tasks to states).

        Args:
            state: the flow run's starting state (default ``Pending()``; a ``Scheduled`` state
                waits for its ``start_time``: before it, the run ends at once, unchanged).
            task_states: known task states (finished ones are not run again).
            return_tasks: tasks whose states go into the final state's result.
            parameters: parameter values.
            task_runner_state_handlers: handlers given to every task runner.
            executor: where tasks run (default: the flow's, else the configured default).
            context: extra context for the run.
            task_contexts: extra context per task.
        """
        from prefect_jupyter.engine import get_default_executor_class

        self.logger.info("Beginning Flow run for '%s'", self.flow.name)
        task_states = dict(task_states or {})
        task_contexts = {task: dict(values) for task, values in (task_contexts or {}).items()}
        # the surrounding context, then the given one (so `with context(date=...)` is seen)
        run_context = {**vars(prefect_context), **(context or {})}
        executor = executor or self.flow.executor or get_default_executor_class()()
        self.logger.debug("Using executor type %s", type(executor).__name__)
        try:
            state, task_states, run_context, task_contexts = self.initialize_run(
                state, task_states, run_context, task_contexts, dict(parameters or {})
            )
            with prefect_context(run_context):
                state = self.check_flow_is_pending_or_running(state)
                state = self.check_flow_reached_start_time(state)
                state = self.set_flow_to_running(state)
                state = self.get_flow_run_state(
                    state, task_states, task_contexts, return_tasks, task_runner_state_handlers, executor
                )
        except signals.ENDRUN as exc:
            state = exc.state
        except Exception as exc:
            self.logger.exception("Unexpected error while running flow: %r", exc)
            if run_context.get("raise_on_exception") or prefect_context.get("raise_on_exception"):
                raise
            failed = Failed(f"Unexpected error while running flow: {exc!r}", result=exc)
            state = self.handle_state_change(state or Pending(), failed)
        return state

    def initialize_run(  # type: ignore[override]
        self,
        state: State | None,
        task_states: dict,
        context: dict[str, Any],
        task_contexts: dict[Any, dict],
        parameters: dict[str, Any],
    ) -> FlowRunnerInitializeResult:
        """Complete the run's context (parameters, dates, ids) and each task's context.

        ``context["parameters"]`` becomes the surrounding run's parameters, then those given in
        ``context``, then the defaults of optional parameters, then ``parameters``. Dates are
        pendulum ``DateTime`` objects, as in Prefect 1: ``date`` (now, unless given; an ISO
        string is parsed), ``scheduled_start_time`` (``date`` unless given), and the strings
        ``today``, ``yesterday``, ``tomorrow`` and their ``_nodash`` forms.
        """
        merged = dict(prefect_context.get("parameters") or {})
        merged.update(context.get("parameters") or {})
        for param in self.flow.parameters():
            if not param.required:
                merged.setdefault(param.name, param.default)
        merged.update(parameters)
        context["parameters"] = merged
        context["flow_name"] = self.flow.name
        _add_run_dates(context, self.logger)
        for key, make in (("flow_id", lambda: self.flow.name), ("flow_run_id", new_id), ("flow_run_name", new_id)):
            if key not in context:
                context[key] = make()
        context.setdefault("running_with_backend", bool(prefect_context.get("running_with_backend")))
        context.setdefault("checkpointing", bool(config.flows.checkpointing))
        slugs = self.flow.slugs
        for task in self.flow.tasks:
            task_contexts.setdefault(task, {}).update(task_name=task.name, task_slug=slugs[task])
        state, context = super().initialize_run(state, context)
        return FlowRunnerInitializeResult(state, task_states, context, task_contexts)

    # -- steps ---------------------------------------------------------------------------------------
    def check_flow_is_pending_or_running(self, state: State) -> State:
        """A finished flow run ends at once; anything else but pending/running is not ready."""
        if state.is_finished():
            self.logger.info("Flow run has already finished.")
            raise signals.ENDRUN(state)
        if not (state.is_pending() or state.is_running()):
            self.logger.info("Flow is not ready to run.")
            raise signals.ENDRUN(state)
        return state

    def check_flow_reached_start_time(self, state: State) -> State:
        """A ``Scheduled`` run whose ``start_time`` is still ahead ends at once, unchanged."""
        if isinstance(state, Scheduled) and state.start_time and state.start_time > _now():
            self.logger.debug("Flow '%s': start_time has not been reached; ending run.", self.flow.name)
            raise signals.ENDRUN(state)
        return state

    def set_flow_to_running(self, state: State) -> State:
        """Pending (or Scheduled) → ``Running("Running flow.")``; Running stays as it is."""
        if state.is_pending():
            return self.handle_state_change(state, Running(message="Running flow."))
        if state.is_running():
            return state
        raise signals.ENDRUN(state)

    def get_flow_run_state(
        self,
        state: State,
        task_states: dict,
        task_contexts: dict,
        return_tasks: Iterable[Any] | None,
        task_runner_state_handlers: Iterable[Callable] | None,
        executor: Any,
    ) -> State:
        """Submit every task in order, wait for the results and move to the flow's final state.

        Raises:
            ValueError: if ``return_tasks`` names tasks that are not in the flow.
        """
        if not state.is_running():
            self.logger.info("Flow is not in a Running state.")
            raise signals.ENDRUN(state)
        return_tasks = set(return_tasks or ())
        unknown = return_tasks - self.flow.tasks
        if unknown:
            raise ValueError(
                f"Some tasks in return_tasks were not found in the flow: {sorted(map(repr, unknown))}. "
                f"Pass tasks of flow {self.flow.name!r}."
            )
        run = _Pass(task_states)
        flow = self.flow
        tasks_by_slug = {slug: t for t, slug in flow.slugs.items()}
        observers = getattr(self.events, "observers", None)
        if observers:
            self.events.observers = (*observers, run.note)
        try:
            with executor.start(), executor.forward_events(self.events, tasks_by_slug) as events:
                run.submit = _Submitter(
                    executor, flow.result, self.task_runner_cls, task_runner_state_handlers, events
                )
                for task in flow.sorted_tasks():
                    self._submit_task(task, run, executor, task_contexts)
                final_tasks = flow.terminal_tasks() | flow.reference_tasks() | return_tasks
                # one wait for everything, so independent work runs side by side and chained
                # maps run element by element
                final_states, children = executor.wait((
                    {t: _state_or_not_evaluated(run.task_states, t) for t in final_tasks},
                    {t: run.mapped_children[t] for t in final_tasks if t in run.mapped_children},
                ))
                expanded = dict(final_states)
                for t, s in final_states.items():
                    if s.is_mapped():
                        if t in children:
                            s.map_states = children[t]
                        expanded[t] = s.map_states
        except KeyboardInterrupt:
            # the executor has cancelled what was pending; tell observers how things ended
            self._cancel_unfinished(run, state)
            raise
        finally:
            if observers:
                self.events.observers = observers
        key_states = _flat_states(expanded, flow.reference_tasks())
        terminal_states = _flat_states(expanded, flow.terminal_tasks())
        return_states = {t: final_states[t] for t in return_tasks}
        final = self.determine_final_state(state, key_states, return_states, terminal_states)
        return self.handle_state_change(state, final)

    def _cancel_unfinished(self, run: _Pass, state: State) -> None:
        """After an interrupt: every submitted, unfinished task run (and the flow) is Cancelled."""
        message = "Task run was cancelled: the flow run was interrupted (KeyboardInterrupt)."
        for task, task_state in run.task_states.items():
            runs = [(None, task_state), *enumerate(run.mapped_children.get(task, []))]
            for index, future in runs:
                # futures don't say whether they finished; the events seen so far do
                last = run.last_states.get((task, index), Pending())
                if not ((isinstance(future, State) and future.is_finished()) or last.is_finished()):
                    self.events.publish(task, index, last, Cancelled(message))
        self.logger.warning("Flow run was interrupted (KeyboardInterrupt); running tasks were cancelled.")
        self.handle_state_change(state, Cancelled("Flow run was interrupted (KeyboardInterrupt)."))

    def determine_final_state(
        self, state: State, key_states: list, return_states: dict, terminal_states: list
    ) -> State:
        """The flow's state from its reference (key) and terminal task states.

        The flow's ``terminal_state_handler(flow, state, key_states)``, when set, sees the state
        decided here and may return another (or ``None`` to keep it).
        """
        # one pass over each list with plain loops: a fan-out has thousands of terminal tasks
        unfinished = failed = False
        for s in terminal_states:
            if not s.is_finished():
                unfinished = True
                break
        all_successful = True
        for s in key_states:
            if s.is_failed():
                failed = True
                break
            if not s.is_successful():
                all_successful = False
        if unfinished:
            self.logger.info("Flow run RUNNING: terminal tasks are incomplete.")
            state.result = return_states
        elif failed:
            self.logger.info("Flow run FAILED: some reference tasks failed.")
            state = Failed(message="Some reference tasks failed.", result=return_states)
        elif all_successful:
            self.logger.info("Flow run SUCCESS: all reference tasks succeeded")
            state = Success(message="All reference tasks succeeded.", result=return_states)
        else:
            self.logger.info("Flow run SUCCESS: no reference tasks failed")
            state = Success(message="No reference tasks failed.", result=return_states)
        handler = getattr(self.flow, "terminal_state_handler", None)
        if handler is not None:
            new_state = handler(self.flow, state, set(key_states))
            if new_state is not None:
                return new_state
        return state

    # -- one task ------------------------------------------------------------------------------------
    def _submit_task(self, task: Any, run: _Pass, executor: Any, task_contexts: dict) -> None:
        known = run.task_states.get(task)
        # the task's own rules first: a Constant succeeds without running, a resource runs again
        task_state = task.state_for_flow_run(known)
        if known is None and task_state is not None:
            run.task_states[task] = task_state
        if (
            isinstance(task_state, State)
            and task_state.is_finished()
            and not task_state.is_cached()
            and not task_state.is_mapped()
        ):
            return

        upstream_states = self._upstream_states(task, run, executor)
        # vars() of the thread-local context is its plain dict: a fast shallow copy
        ctx = {**vars(prefect_context), **task_contexts.get(task, {})}
        submit = run.submit
        assert submit is not None
        for edge in upstream_states:
            if edge.mapped:
                break
        else:  # nothing mapped into it: one run of the task
            run.task_states[task] = submit(task, ctx, task_state, upstream_states)
            return

        upstream_states = executor.wait(upstream_states)
        parent = executor.wait(submit(task, ctx, task_state, upstream_states, is_mapped_parent=True))
        run.task_states[task] = parent
        if not isinstance(parent, Mapped):
            return
        children = []
        each_child = child_upstream_states(parent, upstream_states, run.mapped_children)
        for index, child_upstream in enumerate(each_child):
            if isinstance(task_state, Mapped):
                current = task_state.map_states[index] if index < len(task_state.map_states) else None
            else:
                current = task_state
            children.append(submit(task, ctx, current, child_upstream, map_index=index))
        run.mapped_children[task] = children

    def _upstream_states(self, task: Any, run: _Pass, executor: Any) -> dict:
        upstream: dict[Edge, Any] = {}
        for edge in self.flow.edges_to(task):
            s = run.task_states.get(edge.upstream_task)
            if s is None:
                s = Pending(message="Task state not available.")
            elif not (edge.flattened or isinstance(s, Mapped)):  # the usual edge: its state as it is
                upstream[edge] = s
                continue
            if edge.flattened and not isinstance(s, Mapped):
                s = executor.wait(s)
                s = flattened(s)
            if not edge.mapped and isinstance(s, Mapped):
                # a reduce over a mapped task needs every child
                children = run.mapped_children.get(edge.upstream_task)
                if children is not None:
                    s.map_states = executor.wait(children)
                if edge.flattened:
                    s = flattened(Success(result=[c.result for c in s.map_states]))
            if edge.mapped and edge.flattened and isinstance(s, Mapped):
                # mapping over flatten(a mapped task): one child per element of each child's result
                children = executor.wait(run.mapped_children.get(edge.upstream_task) or s.map_states)
                s = Mapped(s.message, map_states=flattened_children(children, self.logger))
            upstream[edge] = s
        for key, value in (self.flow.constants.get(task) or {}).items():
            upstream[_constant_edge(self.flow, task, key, value)] = Success(
                "Auto-generated constant value", result=value
            )
        return upstream


def _flat_states(expanded: dict, tasks: Iterable[Any]) -> list:
    """The states of ``tasks``, a mapped task's children in its place (``expanded`` holds a
    mapped task's list of children)."""
    flat: list = []
    for task in tasks:
        found = expanded[task]
        if isinstance(found, (list, tuple)):
            flat.extend(found)
        else:
            flat.append(found)
    return flat


def _state_or_not_evaluated(task_states: dict, task: Any) -> Any:
    state = task_states.get(task)
    return Pending("Task not evaluated by FlowRunner.") if state is None else state


def _constant_edge(flow: Any, task: Any, key: str, value: Any) -> Edge:
    """The edge carrying a folded constant into ``task`` (made once per flow, task and value)."""
    cache = flow.__dict__.setdefault("_constant_edges", {})
    known = cache.get((task, key))
    if known is not None and known[0] is value:
        return known[1]
    # an edge from a plain value: Edge makes it the Constant task it was folded from
    edge = Edge(value, task, key=key)
    cache[(task, key)] = (value, edge)
    return edge


class _Submitter:
    """Hands ``run_task`` for a task (or one of its mapped children) to the executor.

    The flow's ``result`` (or, when it has none, one ``Result()`` for the whole pass), the task
    runner class, its handlers and the event stream are the same for every task run of a pass.
    With the ``LocalExecutor``, whose ``submit(fn, ...)`` is ``fn(...)``, the call is made here
    directly (a subclass or instance that replaces ``submit`` is always called).
    """

    def __init__(self, executor: Any, flow_result: Any, runner_cls: type, handlers: Any, events: Any) -> None:
        from prefect_jupyter.engine.state_result import _result_class
        from prefect_jupyter.executors.local import LocalExecutor

        self.executor = executor
        self.flow_result = flow_result if flow_result is not None else _result_class()()
        self.runner_cls, self.handlers, self.events = runner_cls, handlers, events
        self.inline = getattr(executor.submit, "__func__", None) is LocalExecutor.submit

    def __call__(
        self, task: Any, ctx: dict, state: Any, upstream_states: dict, is_mapped_parent: bool = False,
        map_index: int | None = None,
    ) -> Any:
        if self.inline:
            return run_task(
                task, state, upstream_states, ctx, self.flow_result, self.runner_cls, self.handlers,
                is_mapped_parent, self.events, map_index,
            )
        return self.executor.submit(
            run_task,
            extra_context={"task_name": task.name, "map_index": map_index},
            task=task,
            state=state,
            upstream_states=upstream_states,
            context=ctx,
            map_index=map_index,
            flow_result=self.flow_result,
            task_runner_cls=self.runner_cls,
            task_runner_state_handlers=self.handlers,
            is_mapped_parent=is_mapped_parent,
            events=self.events,
        )
