"""The engine's behaviours on every executor: the same flow gives the same states everywhere.

Each test in the shared classes runs on ``LocalExecutor`` and on each Dask executor (synchronous,
threads, processes, a real distributed cluster) through ``flow.run(executor=executor)`` and makes
the same assertions; what ``LocalExecutor`` gives is what the others must give.

Tasks live at module level so that worker processes can unpickle them by reference; a few tests
build tasks in a closure on purpose, to show cloudpickle carries those too. Tasks read the context
as ``prefect_jupyter.context``: like Prefect 1's, the context object itself refuses to be pickled,
so a task function that names an imported ``context`` can't travel to a worker process. Where a test must see
what happened inside a worker process, tasks write to files under ``tmp_path``.
"""

from __future__ import annotations

import datetime
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import prefect_jupyter
from prefect_jupyter import (
    Flow,
    Parameter,
    case,
    flatten,
    ifelse,
    merge,
    resource_manager,
    task,
    triggers,
    unmapped,
)
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.events import StateEvent, observe
from prefect_jupyter.engine.results import LocalResult
from prefect_jupyter.engine.state import (
    Cached,
    Failed,
    Looped,
    Mapped,
    Paused,
    Retrying,
    Running,
    Skipped,
    Success,
    TimedOut,
    TriggerFailed,
)
from prefect_jupyter.utilities.configuration import set_temporary_config
from prefect_jupyter.utilities.debug import raise_on_exception

SKIP_MESSAGE = (
    "Upstream task was skipped; if this was not the intended behavior, consider changing "
    "`skip_on_upstream_skip=False` for this task."
)


# -- helpers shared with worker processes (files work across processes) ----------------------------
def note(directory: str, label: str) -> None:
    """Append ``label`` as one line to ``directory``/runs.txt (safe from several processes)."""
    with open(os.path.join(directory, "runs.txt"), "a") as f:
        f.write(label + "\n")


def notes(directory: str | Path) -> list[str]:
    path = Path(directory) / "runs.txt"
    return path.read_text().splitlines() if path.exists() else []


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.suffix == ".pkl")


# -- tasks ---------------------------------------------------------------------------------------------
@task
def one() -> int:
    return 1


@task
def inc(x: int) -> int:
    return x + 1


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def nested() -> list[list[int]]:
    return [[1], [2, 3]]


@task
def pair(x: int) -> list[int]:
    return [x, x * 10]


@task
def div(x: int) -> float:
    return 1 / x


@task
def boom() -> None:
    raise ValueError("boom")


@task(max_retries=2, retry_delay=datetime.timedelta(seconds=0.05))
def flaky() -> int:
    if prefect_jupyter.context.task_run_count < 3:
        raise RuntimeError(f"attempt {prefect_jupyter.context.task_run_count}")
    return prefect_jupyter.context.task_run_count


@task(timeout=1)
def sleepy(woke: str) -> str:
    time.sleep(30)  # far past the timeout: only a run that waited for it would see the file
    Path(woke).touch()
    return "woke up"


@task(cache_for=datetime.timedelta(minutes=10))
def cached_work(directory: str) -> str:
    note(directory, "cached_work")
    return "expensive"


@task
def countdown(n: int) -> str:
    left = prefect_jupyter.context.get("task_loop_result", n)
    if left > 0:
        raise signals.LOOP(message=f"{left} to go", result=left - 1)
    return "lift-off"


@task
def skipper() -> None:
    raise signals.SKIP("not today")


@task
def failer() -> None:
    raise signals.FAIL("bad input")


@task(trigger=triggers.any_failed)
def on_failure() -> str:
    return "handled"


@task(trigger=triggers.all_finished)
def finisher() -> str:
    return "finished"


@task(trigger=triggers.manual_only)
def approve() -> str:
    return "approved"


@task
def is_even(x: int) -> bool:
    return x % 2 == 0


@task
def say(word: str) -> str:
    return word


@task
def where_am_i(directory: str) -> int:
    note(directory, f"ran in {os.getpid()}")
    return os.getpid()


@resource_manager
class Scratch:
    """A resource that notes its setup and cleanup in a file."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def setup(self) -> str:
        note(self.directory, "setup")
        return self.directory

    def cleanup(self, resource: str) -> None:
        note(resource, "cleanup")


@task
def use_scratch(directory: str) -> str:
    note(directory, "used")
    return "used"


def record_transitions(task_: Any, old_state: Any, new_state: Any) -> Any:
    """A task state handler that notes each transition (in whatever process runs the task)."""
    index = prefect_jupyter.context.get("map_index")
    where = task_.name if index is None else f"{task_.name}[{index}]"
    note(
        prefect_jupyter.context.parameters["directory"],
        f"{where}: {type(old_state).__name__} -> {type(new_state).__name__}",
    )
    return new_state


def shout(task_: Any, old_state: Any, new_state: Any) -> Any:
    """A task state handler that changes the final state's message."""
    if isinstance(new_state, Success):
        new_state.message = "DONE!"
    return new_state


@task(state_handlers=[record_transitions, shout])
def handled(x: int) -> int:
    return x * 2


# -- the shared suite -----------------------------------------------------------------------------------
class TestPlainFlows:
    def test_a_chain_passes_results_along(self, executor):
        with Flow("chain") as flow:
            a = one()
            b = inc(a)
            c = inc(b)
        state = flow.run(executor=executor)
        assert type(state) is Success
        assert state.message == "All reference tasks succeeded."
        assert [state.result[t].result for t in (a, b, c)] == [1, 2, 3]
        assert all(state.result[t].message == "Task run succeeded." for t in (a, b, c))

    def test_fan_out_and_reduce(self, executor):
        with Flow("fan") as flow:
            start = one()
            branches = [add(start, n) for n in range(5)]
            result = total(branches)
        state = flow.run(executor=executor)
        assert state.is_successful()
        assert [state.result[b].result for b in branches] == [1, 2, 3, 4, 5]
        assert state.result[result].result == 15

    def test_parameters(self, executor):
        with Flow("params") as flow:
            x = Parameter("x")
            y = Parameter("y", default=10)
            result = add(x, y)
        state = flow.run(executor=executor, x=5)
        assert state.result[result].result == 15
        assert state.result[x].result == 5
        state = flow.run(executor=executor, parameters={"x": 1, "y": 2})
        assert state.result[result].result == 3

    def test_tasks_built_in_a_closure_travel_too(self, executor):
        offset = 100

        @task
        def shift(x: int) -> int:
            return x + offset

        with Flow("closure") as flow:
            result = shift.map([1, 2])
        state = flow.run(executor=executor)
        assert [c.result for c in state.result[result].map_states] == [101, 102]

    def test_a_failure_fails_the_flow_and_its_downstream(self, executor):
        with Flow("fail") as flow:
            bad = boom()
            after = inc(bad)
        state = flow.run(executor=executor)
        assert type(state) is Failed
        assert state.message == "Some reference tasks failed."
        assert type(state.result[bad]) is Failed
        assert state.result[bad].message == "Error during execution of task: ValueError('boom')"
        assert isinstance(state.result[bad].result, ValueError)
        assert type(state.result[after]) is TriggerFailed
        assert state.result[after].message == (
            'Trigger was "all_successful" but some of the upstream tasks failed.'
        )

    def test_raise_on_exception_lets_the_error_through(self, executor):
        with Flow("raises") as flow:
            inc(boom())
        with raise_on_exception(), pytest.raises(ValueError, match="boom"):
            flow.run(executor=executor)


class TestRetriesAndTimeouts:
    def test_retries_with_a_delay_end_in_success(self, executor):
        with Flow("retries") as flow:
            result = flaky()
        seen: list[StateEvent] = []
        state = flow.run(executor=executor, observers=[seen.append])
        assert state.is_successful()
        assert state.result[result].result == 3
        retries = [e.new_state for e in seen if isinstance(e.new_state, Retrying)]
        assert [r.message for r in retries] == [
            "Retrying Task (after attempt 1 of 3)",
            "Retrying Task (after attempt 2 of 3)",
        ]

    def test_a_task_over_its_timeout_is_timed_out(self, executor, tmp_path):
        # threads can't be killed: on a thread the task goes on in the background, but its run
        # still ends TimedOut when its second is up, without waiting for the task to end
        woke = tmp_path / "woke"
        with Flow("timeout") as flow:
            result = sleepy(str(woke))
        state = flow.run(executor=executor)
        assert not woke.exists()
        assert type(state.result[result]) is TimedOut
        assert state.result[result].message == "Task timed out during execution."
        assert type(state) is Failed


class TestCaching:
    def test_cache_for_makes_the_second_run_cached(self, executor, tmp_path):
        # on processes and clusters the cache lives in the process running the flow
        with Flow("cache") as flow:
            result = cached_work(str(tmp_path))
        first = flow.run(executor=executor)
        second = flow.run(executor=executor)
        assert type(first.result[result]) is Cached
        assert type(second.result[result]) is Cached
        assert second.result[result].result == "expensive"
        assert notes(tmp_path) == ["cached_work"]

    def test_results_are_checkpointed_to_files(self, executor, tmp_path):
        @task(result=LocalResult(dir=tmp_path, location="{task_name}-{map_index}.pkl"))
        def square(x: int) -> int:
            return x * x

        @task(result=LocalResult(dir=tmp_path, location="{task_name}.pkl"))
        def answer() -> int:
            return 42

        with Flow("checkpoints") as flow:
            squares = square.map([1, 2, 3])
            single = answer()
        with set_temporary_config({"flows.checkpointing": True}):
            state = flow.run(executor=executor)
        assert state.is_successful()
        assert files_in(tmp_path) == ["answer.pkl", "square-0.pkl", "square-1.pkl", "square-2.pkl"]
        assert state.result[single]._result.location == str(tmp_path / "answer.pkl")
        assert [c.result for c in state.result[squares].map_states] == [1, 4, 9]

    def test_a_target_makes_the_second_run_cached(self, executor, tmp_path):
        with Flow("target") as flow:
            result = where_am_i(
                str(tmp_path),
                task_args={
                    "target": "{task_name}.pkl",
                    "checkpoint": True,
                    "result": LocalResult(dir=tmp_path),
                },
            )
        with set_temporary_config({"flows.checkpointing": True}):
            first = flow.run(executor=executor)
            second = flow.run(executor=executor)
        assert type(first.result[result]) is Success
        assert type(second.result[result]) is Cached
        assert second.result[result].message == "Result found at task target where_am_i.pkl"
        assert second.result[result].result == first.result[result].result
        assert len(notes(tmp_path)) == 1


class TestMapping:
    def test_map(self, executor):
        with Flow("map") as flow:
            result = inc.map([1, 2, 3])
        state = flow.run(executor=executor)
        parent = state.result[result]
        assert type(parent) is Mapped
        assert parent.message == "Ready to proceed with mapping."
        assert [(type(c), c.result) for c in parent.map_states] == [
            (Success, 2),
            (Success, 3),
            (Success, 4),
        ]

    def test_chained_maps_and_a_reduce(self, executor):
        with Flow("chained") as flow:
            first = inc.map([1, 2, 3])
            second = inc.map(first)
            result = total(second)
        state = flow.run(executor=executor)
        assert [c.result for c in state.result[first].map_states] == [2, 3, 4]
        assert [c.result for c in state.result[second].map_states] == [3, 4, 5]
        assert state.result[result].result == 12

    def test_unmapped(self, executor):
        with Flow("unmapped") as flow:
            result = add.map([1, 2, 3], y=unmapped(10))
        state = flow.run(executor=executor)
        assert [c.result for c in state.result[result].map_states] == [11, 12, 13]

    def test_flatten(self, executor):
        with Flow("flatten") as flow:
            from_list = inc.map(flatten(nested()))
            from_map = inc.map(flatten(pair.map([1, 2])))
        state = flow.run(executor=executor)
        assert [c.result for c in state.result[from_list].map_states] == [2, 3, 4]
        assert [c.result for c in state.result[from_map].map_states] == [2, 11, 3, 21]

    def test_an_empty_map(self, executor):
        with Flow("empty") as flow:
            mapped = inc.map([])
            result = total(mapped)
        state = flow.run(executor=executor)
        assert state.is_successful()
        assert type(state.result[mapped]) is Mapped
        assert state.result[mapped].map_states == []
        assert state.result[result].result == 0

    def test_a_failing_child(self, executor):
        with Flow("failing child") as flow:
            ratios = div.map([1, 0, 2])
            after = inc.map(ratios)
        state = flow.run(executor=executor)
        assert type(state) is Failed
        children = state.result[ratios].map_states
        assert [type(c) for c in children] == [Success, Failed, Success]
        assert (
            children[1].message
            == "Error during execution of task: ZeroDivisionError('division by zero')"
        )
        downstream = state.result[after].map_states
        assert [type(c) for c in downstream] == [Success, TriggerFailed, Success]
        assert [downstream[0].result, downstream[2].result] == [2.0, 1.5]


class TestControlFlow:
    @pytest.mark.parametrize(("x", "chosen"), [(4, "even"), (3, "odd")])
    def test_case_and_merge(self, executor, x, chosen):
        with Flow("case") as flow:
            cond = is_even(Parameter("x"))
            with case(cond, True):
                even = say("even")
            with case(cond, False):
                odd = say("odd")
            result = merge(even, odd)
        state = flow.run(executor=executor, x=x)
        assert state.is_successful()
        assert state.result[result].result == chosen
        skipped = odd if chosen == "even" else even
        assert type(state.result[skipped]) is Skipped

    def test_ifelse(self, executor):
        with Flow("ifelse") as flow:
            yes, no = say("yes"), say("no")
            ifelse(is_even(2), yes, no)
        state = flow.run(executor=executor)
        assert state.result[yes].result == "yes"
        assert type(state.result[no]) is Skipped
        assert state.result[no].message == SKIP_MESSAGE


class TestTriggersAndSignals:
    def test_any_failed_and_all_finished(self, executor):
        with Flow("triggers") as flow:
            bad = failer()
            rescue = on_failure(upstream_tasks=[bad])
            cleanup = finisher(upstream_tasks=[bad])
            fine = finisher(upstream_tasks=[one()])
            unused = on_failure(upstream_tasks=[one()])
        state = flow.run(executor=executor)
        assert state.result[rescue].result == "handled"
        assert state.result[cleanup].result == "finished"
        assert state.result[fine].result == "finished"
        assert type(state.result[unused]) is TriggerFailed
        assert (
            state.result[unused].message
            == 'Trigger was "any_failed" but none of the upstream tasks failed.'
        )

    def test_manual_only_pauses(self, executor, monkeypatch):
        monkeypatch.setattr("builtins.input", lambda prompt="": "n")
        with Flow("manual") as flow:
            gate = approve()
            after = inc(gate)
        state = flow.run(executor=executor)
        assert type(state.result[gate]) is Paused
        assert state.result[gate].message == 'Trigger function is "manual_only"'
        assert not state.result[after].is_finished()
        assert not state.is_finished()

    def test_skip_fail_and_loop_signals(self, executor):
        with Flow("signals") as flow:
            skipped = skipper()
            after_skip = inc(skipped)
            failed = failer()
            looped = countdown(3)
        seen: list[StateEvent] = []
        state = flow.run(executor=executor, observers=[seen.append])
        assert type(state.result[skipped]) is Skipped
        assert state.result[skipped].message == "not today"
        assert type(state.result[after_skip]) is Skipped
        assert state.result[after_skip].message == SKIP_MESSAGE
        assert type(state.result[failed]) is Failed
        assert state.result[failed].message == "bad input"
        assert type(state.result[looped]) is Success
        assert state.result[looped].result == "lift-off"
        loops = [e.new_state.message for e in seen if isinstance(e.new_state, Looped)]
        assert loops == ["3 to go", "2 to go", "1 to go"]


class TestResourcesAndHandlers:
    def test_resource_manager_sets_up_and_cleans_up(self, executor, tmp_path):
        with Flow("resource") as flow:
            with Scratch(str(tmp_path)) as directory:
                used = use_scratch(directory)
        state = flow.run(executor=executor)
        assert state.is_successful()
        assert state.result[used].result == "used"
        assert notes(tmp_path) == ["setup", "used", "cleanup"]

    def test_task_state_handlers_run_with_the_task(self, executor, tmp_path):
        flow_changes: list[str] = []

        def on_flow(flow: Any, old: Any, new: Any) -> Any:
            flow_changes.append(f"{type(old).__name__} -> {type(new).__name__}")
            return new

        with Flow("handlers", state_handlers=[on_flow]) as flow:
            directory = Parameter("directory")
            single = handled(2, task_args={"name": "single"})
            children = handled.map([1, 2])
            flow.add_task(directory)
        state = flow.run(executor=executor, directory=str(tmp_path))
        assert state.result[single].result == 4
        assert state.result[single].message == "DONE!"
        assert [c.message for c in state.result[children].map_states] == ["DONE!", "DONE!"]
        assert flow_changes == ["Scheduled -> Running", "Running -> Success"]  # flow.run starts Scheduled
        lines = notes(tmp_path)
        for who in ("single", "handled[0]", "handled[1]"):
            mine = [line.split(": ")[1] for line in lines if line.split(": ")[0] == who]
            assert mine == ["Pending -> Running", "Running -> Success"], who
        assert "handled: Pending -> Mapped" in lines


# -- beyond LocalExecutor: parallel work, live events, errors ------------------------------------------
@task
def wait_for(path: str) -> bool:
    """Wait (up to 60 s) until the file `path` exists; whether it came."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.01)
    return False


@task
def meet(where: str, name: str, others: int) -> bool:
    """Leave a mark in `where`, then wait until `others` other task runs have left theirs.

    Task runs that run at the same time all see each other; run one after another, the first
    waits in vain (60 s) and answers False. Unlike comparing start and end times, this does not
    depend on how soon a busy machine starts the workers.
    """
    folder = Path(where)
    (folder / name).touch()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(1 for _ in folder.iterdir()) > others:
            return True
        time.sleep(0.01)
    return False


class TestParallelism:
    # The task runs wait for each other (`meet`): only task runs that really run side by side
    # all finish with True, however long the workers take to start.
    def test_mapped_children_run_side_by_side(self, parallel_executor, tmp_path):
        with Flow("parallel") as flow:
            result = meet.map(unmapped(str(tmp_path)), ["a", "b"], unmapped(1))
        state = flow.run(executor=parallel_executor)
        assert [c.result for c in state.result[result].map_states] == [True, True]

    def test_a_map_runs_beside_an_independent_task(self, parallel_executor, tmp_path):
        with Flow("side by side") as flow:
            single = meet(str(tmp_path), "single", 1)
            children = meet.map(unmapped(str(tmp_path)), ["child"], unmapped(1))
        state = flow.run(executor=parallel_executor)
        assert state.result[single].result is True
        assert state.result[children].map_states[0].result is True

    def test_processes_run_tasks_outside_the_flow_process(self, remote_executor, tmp_path):
        with Flow("where") as flow:
            result = where_am_i(str(tmp_path))
        state = flow.run(executor=remote_executor)
        assert state.result[result].result != os.getpid()


def event_summary(seen: list[StateEvent]) -> set[tuple]:
    return {(e.task_name, e.map_index, type(e.new_state).__name__) for e in seen}


class TestLiveEvents:
    def test_every_task_and_child_reports_running_and_success(self, executor):
        with Flow("events") as flow:
            start = one()
            children = inc.map([1, 2, 3])
            inc(start)
        seen: list[StateEvent] = []
        state = flow.run(executor=executor, observers=[seen.append])
        assert state.is_successful()
        summary = event_summary(seen)
        for name, index in [("one", None), ("inc", 0), ("inc", 1), ("inc", 2)]:
            assert (name, index, "Running") in summary
            assert (name, index, "Success") in summary
        assert ("inc", None, "Mapped") in summary
        assert seen[0].is_flow_event and type(seen[0].new_state) is Running
        assert seen[-1].is_flow_event and type(seen[-1].new_state) is Success
        # the events carry the flow's own task objects
        assert {e.task for e in seen if e.task is not None} <= flow.tasks
        assert {e.task for e in seen if e.map_index is not None} == {children}
        assert len({e.flow_run_id for e in seen}) == 1

    def test_events_arrive_while_the_run_goes_on(self, executor, tmp_path):
        mark = tmp_path / "running-seen"
        with Flow("live") as flow:
            waiter = wait_for(str(mark))

        def on_event(event: StateEvent) -> None:
            if event.task_name == "wait_for" and type(event.new_state) is Running:
                mark.touch()  # the task run, still running, sees this

        with observe(on_event):
            state = flow.run(executor=executor)
        assert state.result[waiter].result is True, "the Running event only came after the task ended"


class TestInputsThatCannotTravel:
    def test_an_unpicklable_input_names_the_task(self, remote_executor):
        with Flow("lock") as flow:
            say(threading.Lock())
        state = flow.run(executor=remote_executor)
        assert type(state) is Failed
        assert "'say'" in state.message
        assert "pickle" in state.message
        assert "Traceback" not in state.message

    def test_with_raise_on_exception_the_error_names_the_task(self, remote_executor):
        with Flow("lock") as flow:
            say(threading.Lock())
        with raise_on_exception(), pytest.raises(TypeError, match="'say'"):
            flow.run(executor=remote_executor)


def test_a_task_that_reads_the_imported_context_runs_on_every_executor(executor) -> None:
    """`from prefect_jupyter import context` inside a task body works in worker processes too."""
    from prefect_jupyter import Flow, context, task

    @task
    def where(x):
        return context.get("map_index"), context.get("task_name")

    with Flow("context in workers") as flow:
        out = where.map([1, 2])
    state = flow.run(executor=executor)
    assert state.is_successful(), state.result[out]
    assert state.result[out].result == [(0, "where"), (1, "where")]
