"""``flow.run()``: check the parameters, then run the flow here — once, or on its schedule.

A pass of the flow runner can leave tasks unfinished (a ``Paused`` task waiting for approval,
a ``Retrying`` task or one scheduled for later, mapped children included); like Prefect 1,
``flow.run`` then asks for approval on standard input, waits for the earliest start time
(:func:`next_attempt`) and runs the flow again with the states so far until every task has
finished. :func:`run_passes` does the same without prompts, for the backend. Cached states with
a future expiration are kept in ``context.caches`` for later runs.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from prefect_jupyter.configuration import config
from prefect_jupyter.context import context
from prefect_jupyter.engine.state import Cached, Mapped, Paused, Pending, Resume, Scheduled, State
from prefect_jupyter.utilities.ids import new_id


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def check_parameters(flow: Any, parameters: dict[str, Any]) -> None:
    """Raise before anything runs if a parameter is unknown or a required one is missing."""
    known = {p.name for p in flow.parameters()}
    unknown = [p for p in parameters if p not in known]
    if unknown:
        hint = f" The flow's parameters are: {', '.join(sorted(known))}." if known else " The flow has no parameters."
        raise ValueError(
            f"Flow.run received the following unexpected parameters: {', '.join(unknown)}.{hint}"
        )
    missing = sorted(p.name for p in flow.parameters() if p.required and p.name not in parameters)
    if missing:
        example = ", ".join(f"{m}=..." for m in missing)
        raise ValueError(
            "Flow.run did not receive the following required parameters: "
            f"{', '.join(missing)}. Pass them as flow.run({example})."
        )


def run_flow(
    flow: Any,
    parameters: dict[str, Any] | None = None,
    run_on_schedule: bool | None = None,
    runner_cls: type | None = None,
    **kwargs: Any,
) -> State:
    """Run ``flow`` (see :meth:`Flow.run`) and return its final state."""

    if "return_tasks" in kwargs:
        raise ValueError(
            "The `return_tasks` keyword cannot be provided to `flow.run()`; all task states are "
            "always returned. If you want to receive a subset of task states, use a FlowRunner "
            "directly."
        )
    parameters = dict(parameters or {})
    names = {p.name for p in flow.parameters()}
    for key in [k for k in kwargs if k in names]:
        parameters[key] = kwargs.pop(key)
    check_parameters(flow, parameters)
    if runner_cls is None:
        from prefect_jupyter.engine import get_default_flow_runner_class

        runner_cls = get_default_flow_runner_class()
    if run_on_schedule is None:
        run_on_schedule = bool(config.flows.run_on_schedule)
    context.setdefault("caches", {})

    run_context = dict(kwargs.pop("context", None) or {})
    run_context.setdefault("flow_run_id", kwargs.pop("flow_run_id", new_id()))
    run_context.setdefault("flow_run_name", kwargs.pop("flow_run_name", new_id()))
    flow_state: State = kwargs.pop("state", None) or Scheduled(start_time=_now())
    task_states = dict(kwargs.pop("task_states", None) or {})
    from prefect_jupyter.engine.events import observers_for_run

    observers = observers_for_run(flow, kwargs.pop("observers", None))
    base_parameters = parameters

    next_time = _now()
    if run_on_schedule and flow.schedule is not None:
        next_time, parameters = _next_scheduled(flow, base_parameters)
        if next_time is None:
            raise ValueError("Flow has no more scheduled runs.")
    while True:
        run_context.update(scheduled_start_time=next_time, flow_id=flow.name)
        _sleep_until(flow, next_time, "Waiting for next scheduled run at %s")
        flow_state = _run_until_finished(
            flow, runner_cls, flow_state, task_states, parameters, run_context, observers, kwargs
        )
        _keep_fresh_caches(flow, flow_state)
        if not (run_on_schedule and flow.schedule is not None):
            break
        next_time, parameters = _next_scheduled(flow, base_parameters)
        if next_time is None:
            break
        flow_state, task_states = Scheduled(start_time=next_time), {}
        run_context["flow_run_id"] = new_id()
        run_context["flow_run_name"] = new_id()

    if not isinstance(flow_state.result, dict):
        if isinstance(flow_state.result, Exception):
            return flow_state
        flow_state.result = {}
    results = flow_state.result
    for task in flow.tasks:
        if task not in results:
            results[task] = Pending(message="Task not run.")
    return flow_state


def _next_scheduled(flow: Any, base_parameters: dict) -> tuple[Any, dict]:
    try:
        event = flow.schedule.next(1, return_events=True)[0]
    except IndexError:
        return None, base_parameters
    params = dict(base_parameters)
    params.update(getattr(event, "parameter_defaults", None) or {})
    return event.start_time, params


def _sleep_until(flow: Any, when: datetime.datetime, message: str) -> None:
    delay = (when - _now()).total_seconds()
    if delay > 0:
        from prefect_jupyter.utilities.logging import get_logger

        get_logger("Flow").info(message, when)
        time.sleep(delay)


def _run_until_finished(
    flow: Any, runner_cls: type, flow_state: State, task_states: dict, parameters: dict,
    run_context: dict, observers: Any, runner_kwargs: dict,
) -> State:
    # a Scheduled state goes to the runner as it is: handlers see Scheduled -> Running. Each
    # task run keeps its id over the passes (a retry is the same task run, attempted again)
    task_contexts = {
        t: {"task_run_id": new_id(), "task_id": flow.slugs.get(t), "task_slug": flow.slugs.get(t)}
        for t in flow.tasks
    }
    while True:
        runner = runner_cls(flow=flow, observers=observers)
        flow_state = runner.run(
            state=flow_state,
            task_states=task_states,
            return_tasks=flow.tasks,
            parameters=parameters,
            context=run_context,
            task_contexts=task_contexts,
            **runner_kwargs,
        )
        if flow_state.is_finished() or flow_state.is_scheduled() or not isinstance(flow_state.result, dict):
            return flow_state
        task_states = dict(flow_state.result)
        if not _ask_to_resume(task_states):
            return flow_state
        _sleep_until(flow, _earliest_start(task_states), "Waiting for next available Task run at %s")


def _ask_to_resume(task_states: dict) -> bool:
    """Ask on standard input to resume each paused task; whether anything can go on.

    Raises:
        EOFError: when standard input is closed (as Prefect 1's ``flow.run`` does), with a
            message saying how to resume without it.
    """
    can_continue = False
    for task, state in list(task_states.items()):
        if isinstance(state, Paused):
            try:
                answer = input(f"{task} is currently Paused; enter 'y' to resume:\n")
            except EOFError as exc:
                raise EOFError(
                    f"{task} is Paused and waits for approval, but standard input is closed, so "
                    "flow.run() cannot ask for it. Run where you can answer the prompt, or run "
                    "the flow with FlowRunner(flow).run(...) and pass "
                    "task_states={task: Resume()} to approve it."
                ) from exc
            if answer.strip().lower() == "y":
                task_states[task] = Resume("Approval given to resume.")
                can_continue = True
    return can_continue or next_attempt(task_states) is not None


def _waiting_runs(task_states: dict) -> list[State]:
    """Task runs (mapped children included) waiting for a time: ``Scheduled``, ``Retrying``."""
    found: list[State] = []
    for state in task_states.values():
        if not isinstance(state, State):
            continue
        for s in (state, *(getattr(state, "map_states", None) or ())):
            if isinstance(s, Scheduled) and not isinstance(s, Paused) and s.start_time is not None:
                found.append(s)
    return found


def next_attempt(task_states: dict) -> datetime.datetime | None:
    """When the next pass of the flow runner has work: the earliest start time of a task run
    (a mapped child included) that is ``Scheduled`` or ``Retrying``; ``None`` when none waits.

    A pass of ``FlowRunner`` ends with such task runs unfinished (as in Prefect 1);
    ``flow.run`` and the backend run the flow again from its states at that time.
    """
    return min((s.start_time for s in _waiting_runs(task_states)), default=None)


def run_passes(runner: Any, state: State, task_states: dict | None = None, **run_kwargs: Any) -> State:
    """Run the flow with ``runner`` pass after pass until no task run waits for a retry.

    Each pass starts from the states the one before left; between passes this sleeps until
    :func:`next_attempt`. What ``flow.run`` does for retries, without its prompts for paused
    tasks (a paused task ends the passes): the backend runs a server's flow run this way.

    Args:
        runner: a ``FlowRunner``; ``run_kwargs`` go to its ``run`` (``return_tasks`` should
            name every task that can retry, so that its state is seen).
        state: the flow run's starting state.
        task_states: known task states.
    """
    while True:
        state = runner.run(state=state, task_states=task_states, **run_kwargs)
        waiting = isinstance(state.result, dict) and state.is_running()
        when = next_attempt(state.result) if waiting else None
        if when is None:
            return state
        _sleep_until(runner.flow, when, "Waiting for next available Task run at %s")
        task_states = dict(state.result)


def _earliest_start(task_states: dict) -> datetime.datetime:
    return next_attempt(task_states) or _now()


def _keep_fresh_caches(flow: Any, flow_state: State) -> None:
    """Add this run's cached states to ``context.caches`` and drop expired ones.

    Task runs on other threads or processes cache into a copy of the context, so the states
    the run returns are what this process keeps for later runs.
    """
    caches = context.setdefault("caches", {})
    now = _now()
    results = flow_state.result if isinstance(flow_state.result, dict) else {}
    for task in flow.tasks:
        task_state = results.get(task)
        if isinstance(task_state, Mapped):
            found: tuple = (*task_state.map_states, task_state)
        elif isinstance(task_state, Cached):
            found = (task_state,)
        elif not caches:  # nothing cached, nothing to keep or expire (most flows)
            continue
        else:
            found = ()
        key = task.cache_key or task.name
        for s in found:  # isinstance, not is_cached(): a map has many children
            if isinstance(s, Cached) and s.cached_result_expiration is not None:
                kept = caches.setdefault(key, [])
                expires = s.cached_result_expiration
                if not any(k is s or k.cached_result_expiration == expires for k in kept):
                    kept.append(s)
        if key in caches:
            caches[key] = [
                s for s in caches[key]
                if s.cached_result_expiration is None or s.cached_result_expiration > now
            ]
