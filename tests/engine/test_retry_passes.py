"""Retries as in Prefect 1: a task run ends `Retrying`, and the next pass of the flow runs it again.

`TaskRunner.run` returns `Retrying`; `FlowRunner.run` is one pass (the flow stays `Running`);
`flow.run()` and the backend (`engine.flow_run.run_passes`) run passes until no task waits.
"""

from __future__ import annotations

import datetime
import logging

from prefect_jupyter import Flow, Task, context, task
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.flow_run import next_attempt, run_passes
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.engine.state import Mapped, Pending, Retrying, Success
from prefect_jupyter.engine.task_runner import TaskRunner

NO_DELAY = datetime.timedelta(0)


def flaky_until(attempt: int, calls: list):
    @task(max_retries=3, retry_delay=NO_DELAY)
    def flaky(x=None):
        calls.append((context.get("map_index"), context.task_run_count, context.get("task_run_id")))
        if context.task_run_count < attempt:
            raise ValueError("flake")
        return "ok" if x is None else x * 10

    return flaky


def test_a_task_run_ends_retrying_and_the_next_run_counts_the_attempt():
    calls: list = []
    runner = TaskRunner(flaky_until(2, calls))
    first = runner.run()
    assert isinstance(first, Retrying) and first.run_count == 1
    second = TaskRunner(runner.task).run(state=first)
    assert second.is_successful() and second.result == "ok"
    assert [count for _, count, _ in calls] == [1, 2]


def test_a_task_that_always_raises_retry_returns_instead_of_looping_forever():
    class Again(Task):
        def run(self):
            raise signals.RETRY("later")

    state = TaskRunner(Again()).run()
    assert state.is_retrying()


def test_one_flow_runner_pass_leaves_the_flow_running_with_the_task_retrying():
    calls: list = []
    with Flow("pass") as flow:
        f = flaky_until(2, calls)()
    state = FlowRunner(flow).run(return_tasks=[f])
    assert state.is_running()
    assert state.result[f].is_retrying()
    assert next_attempt(state.result) == state.result[f].start_time


def test_flow_run_runs_passes_until_retries_are_done_keeping_the_task_run_id(caplog):
    caplog.set_level(logging.INFO)
    calls: list = []
    with Flow("passes") as flow:
        f = flaky_until(3, calls)()
    state = flow.run()
    assert state.is_successful() and state.result[f].result == "ok"
    assert [count for _, count, _ in calls] == [1, 2, 3]
    assert len({run_id for _, _, run_id in calls}) == 1  # one task run, attempted three times
    starts = [r.getMessage() for r in caplog.records if "Starting task run" in r.getMessage()]
    assert starts == ["Task 'flaky': Starting task run..."] * 3


def test_a_mapped_child_retries_alone_and_its_parent_is_not_mapped_again():
    calls: list = []
    flaky = flaky_until(2, calls)
    events = []
    with Flow("map") as flow:
        m = flaky.map([1, 2, 3])
    state = flow.run(observers=[events.append])
    assert state.is_successful()
    assert state.result[m].result == [10, 20, 30]
    # every child failed once and was retried on the next pass
    assert sorted(index for index, count, _ in calls if count == 2) == [0, 1, 2]
    parent = [e for e in events if e.task is m and e.map_index is None]
    assert [type(e.new_state) for e in parent].count(Mapped) == 1


def test_run_passes_finishes_retries_for_a_runner_given_from_outside():
    calls: list = []
    with Flow("backend-like") as flow:
        f = flaky_until(2, calls)()
    state = run_passes(FlowRunner(flow), Pending(), return_tasks=flow.tasks)
    assert state.is_successful()
    assert state.result[f].result == "ok"


def test_loop_iterations_show_looped_then_running_to_handlers():
    seen = []

    def handler(t, old, new):
        seen.append(type(new).__name__)

    @task(state_handlers=[handler])
    def looping():
        if context.get("task_loop_count", 1) < 3:
            raise signals.LOOP(result=context.get("task_loop_result", 0) + 1)
        return context.task_loop_result + 1

    state = TaskRunner(looping).run()
    assert state.is_successful() and state.result == 3
    assert seen == ["Running", "Looped", "Running", "Looped", "Running", "Success"]


def test_a_given_mapped_parent_state_keeps_its_children():
    children = [Success(result=1), Success(result=2)]
    with Flow("rerun") as flow:
        m = flaky_until(1, []).map([5, 6])
    state = FlowRunner(flow).run(task_states={m: Mapped(map_states=children)}, return_tasks=[m])
    assert state.is_successful()
    assert state.result[m].map_states == children


def test_a_failed_loop_iteration_is_retried_from_that_iteration():
    seen = []

    @task(max_retries=1, retry_delay=NO_DELAY)
    def looper(x):
        loop, attempt = context.get("task_loop_count", 1), context.task_run_count
        seen.append((loop, attempt))
        if loop == 2 and attempt == 1:
            raise ValueError("iteration 2 fails once")
        if loop < 4:
            raise signals.LOOP(result=context.get("task_loop_result", 0) + x)
        return context.task_loop_result + x

    with Flow("loop-retry") as flow:
        r = looper(1)
    state = flow.run()
    assert state.is_successful() and state.result[r].result == 4
    # the retry resumes iteration 2 with the result so far; later iterations count attempts afresh
    assert seen == [(1, 1), (2, 1), (2, 2), (3, 1), (4, 1)]
