"""Retries inside one flow run, and task timeouts on the main thread and elsewhere."""

from __future__ import annotations

import datetime
import multiprocessing
import os
import threading
import time

import pytest

from prefect_jupyter import Flow, context, task
from prefect_jupyter.engine.state import Failed, Success, TimedOut, TriggerFailed
from prefect_jupyter.engine.timeouts import TaskTimeoutSignal, run_with_timeout
from prefect_jupyter.executors import LocalDaskExecutor

DELAY = datetime.timedelta(seconds=0.01)


def run_single(t):
    with Flow("single") as flow:
        ref = t()
    flow_state = flow.run()
    return flow_state, flow_state.result[ref]


class TestRetries:
    def test_fails_twice_then_succeeds(self):
        counts = []

        @task(max_retries=2, retry_delay=DELAY)
        def flaky():
            counts.append(context.task_run_count)
            if context.task_run_count < 3:
                raise ValueError("flake")
            return "ok"

        flow_state, state = run_single(flaky)
        assert flow_state.is_successful()
        assert type(state) is Success
        assert state.result == "ok"
        assert counts == [1, 2, 3]

    def test_states_seen_by_a_handler(self):
        seen = []

        def handler(t, old, new):
            seen.append((type(new).__name__, new.message))

        @task(max_retries=2, retry_delay=DELAY, state_handlers=[handler])
        def flaky():
            if context.task_run_count < 2:
                raise ValueError("flake")
            return "ok"

        run_single(flaky)
        assert seen == [
            ("Running", "Starting task run."),
            ("Failed", "Error during execution of task: ValueError('flake')"),
            ("Retrying", "Retrying Task (after attempt 1 of 3)"),
            ("Running", "Starting task run."),
            ("Success", "Task run succeeded."),
        ]

    def test_retrying_state_records_the_run_count(self):
        retries = []

        def handler(t, old, new):
            if new.is_retrying():
                retries.append((new.run_count, new.message))

        @task(max_retries=3, retry_delay=DELAY, state_handlers=[handler])
        def always():
            raise ValueError("no")

        run_single(always)
        assert retries == [
            (1, "Retrying Task (after attempt 1 of 4)"),
            (2, "Retrying Task (after attempt 2 of 4)"),
            (3, "Retrying Task (after attempt 3 of 4)"),
        ]

    def test_retries_exhausted_fails(self):
        attempts = []

        @task(max_retries=1, retry_delay=DELAY)
        def always():
            attempts.append(1)
            raise ValueError("always")

        flow_state, state = run_single(always)
        assert type(state) is Failed
        assert state.message == "Error during execution of task: ValueError('always')"
        assert len(attempts) == 2
        assert flow_state.is_failed()

    def test_retry_waits_for_retry_delay(self):
        starts = []

        @task(max_retries=1, retry_delay=datetime.timedelta(seconds=0.2))
        def flaky():
            starts.append(time.monotonic())
            if len(starts) == 1:
                raise ValueError("flake")

        run_single(flaky)
        assert starts[1] - starts[0] >= 0.15

    def test_retry_on_matching_exception(self):
        attempts = []

        @task(max_retries=2, retry_delay=DELAY, retry_on=[KeyError])
        def flaky():
            attempts.append(1)
            if len(attempts) < 2:
                raise KeyError("k")
            return len(attempts)

        _, state = run_single(flaky)
        assert state.result == 2

    def test_retry_on_subclass_matches(self):
        attempts = []

        @task(max_retries=1, retry_delay=DELAY, retry_on=LookupError)
        def flaky():
            attempts.append(1)
            if len(attempts) < 2:
                raise KeyError("k")
            return "ok"

        assert run_single(flaky)[1].result == "ok"

    def test_retry_on_other_exception_does_not_retry(self, caplog):
        attempts = []

        @task(max_retries=2, retry_delay=DELAY, retry_on=KeyError)
        def wrong():
            attempts.append(1)
            raise ValueError("v")

        _, state = run_single(wrong)
        assert type(state) is Failed
        assert len(attempts) == 1
        assert any("Skipping retry" in r.getMessage() for r in caplog.records)

    def test_downstream_runs_after_a_successful_retry(self):
        @task(max_retries=1, retry_delay=DELAY)
        def flaky():
            if context.task_run_count < 2:
                raise ValueError("flake")
            return 1

        @task
        def after(x):
            return x + 1

        with Flow("retry-then-next") as flow:
            a = after(flaky())
        assert flow.run().result[a].result == 2

    def test_downstream_of_exhausted_retries_trigger_fails(self):
        @task(max_retries=1, retry_delay=DELAY)
        def always():
            raise ValueError("no")

        @task
        def after(x):
            return x

        with Flow("exhausted") as flow:
            a = after(always())
        assert type(flow.run().result[a]) is TriggerFailed

    def test_retry_settings_are_validated(self):
        with pytest.raises(ValueError, match="retry_delay"):
            task(lambda: 1, max_retries=1)
        with pytest.raises(ValueError, match="max_retries"):
            task(lambda: 1, retry_delay=DELAY)
        with pytest.raises(ValueError, match="max_retries"):
            task(lambda: 1, retry_on=KeyError)


@task(timeout=1)
def sleepy():
    time.sleep(10)
    return "woke"


class TestTimeouts:
    def test_timed_out_in_the_main_thread(self):
        t0 = time.monotonic()
        flow_state, state = run_single(sleepy)
        elapsed = time.monotonic() - t0
        assert type(state) is TimedOut
        assert state.message == "Task timed out during execution."
        assert flow_state.is_failed()
        # not before the timeout; TimedOut on the main thread means the alarm cut the sleep short
        assert elapsed >= 0.9

    def test_timed_out_when_flow_run_is_called_from_another_thread(self):
        out = {}

        def target():
            out["t0"] = time.monotonic()
            out["result"] = run_single(sleepy)
            out["t1"] = time.monotonic()

        worker = threading.Thread(target=target)
        worker.start()
        worker.join(10)
        _, state = out["result"]
        assert type(state) is TimedOut
        assert state.message == "Task timed out during execution."
        assert out["t1"] - out["t0"] < 8.0  # well before the task's own 10 s were up

    def test_fast_task_with_timeout_succeeds(self):
        @task(timeout=1)
        def quick(x):
            return x * 2

        with Flow("quick") as flow:
            q = quick(4)
        assert flow.run().result[q].result == 8

    def test_fast_task_with_timeout_in_a_thread_sees_context(self):
        @task(timeout=2)
        def quick():
            return context.task_name

        out = {}
        worker = threading.Thread(target=lambda: out.update(r=run_single(quick)))
        worker.start()
        worker.join(10)
        assert out["r"][1].result == "quick"

    def test_error_inside_a_task_with_timeout(self):
        @task(timeout=1)
        def bad():
            raise ValueError("inside")

        _, state = run_single(bad)
        assert type(state) is Failed
        assert state.message == "Error during execution of task: ValueError('inside')"

    def test_timeout_as_timedelta_is_whole_seconds(self):
        @task(timeout=datetime.timedelta(minutes=1))
        def slow():
            return 1

        assert slow.timeout == 60
        assert run_single(slow)[1].result == 1

    def test_timeout_must_be_whole_seconds(self):
        with pytest.raises(TypeError, match="integer"):
            task(lambda: 1, timeout=0.5)


@task(timeout=3)
def record_pid_then_sleep(path):
    with open(path, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(60)
    return "woke"


class TestTimeoutsOffTheMainThread:
    """Prefect 1's policy: a task on a thread runs in a child process that is stopped on time."""

    def test_a_task_on_an_executor_thread_is_stopped_when_time_is_up(self, tmp_path):
        path = str(tmp_path / "pid.txt")
        with Flow("stopped") as flow:
            ref = record_pid_then_sleep(path)
        state = flow.run(executor=LocalDaskExecutor(scheduler="threads")).result[ref]
        assert type(state) is TimedOut
        assert str(state.result) == "Execution timed out after 3 seconds."
        pid = int(open(path).read())
        assert pid != os.getpid()  # it ran in a child process
        with pytest.raises(ProcessLookupError):  # which is gone when the run returns
            os.kill(pid, 0)

    def test_results_errors_and_context_come_back_from_the_child(self):
        @task(timeout=30)
        def named(x):
            return (context.task_name, x + 1)

        @task(timeout=30)
        def bad():
            raise ValueError("inside")

        with Flow("child") as flow:
            good, failed = named(1), bad()
        states = flow.run(executor=LocalDaskExecutor(scheduler="threads")).result
        assert states[good].result == ("named", 2)
        assert type(states[failed]) is Failed
        assert states[failed].message == "Error during execution of task: ValueError('inside')"

    def test_a_child_that_answered_finishes_its_exit_work(self, tmp_path):
        # e.g. a child uploading its log lines at exit: it is not cut short once it answered
        marker = tmp_path / "exited.txt"

        @task(timeout=30)
        def leaves_work_for_exit(path):
            import atexit

            atexit.register(lambda: open(path, "w").write("done"))
            return "answered"

        with Flow("exit") as flow:
            ref = leaves_work_for_exit(str(marker))
        state = flow.run(executor=LocalDaskExecutor(scheduler="threads")).result[ref]
        assert state.result == "answered"
        assert marker.read_text() == "done"

    def test_an_input_that_cannot_be_pickled_gets_a_soft_limit_and_a_warning(self):
        @task
        def make_lock():
            return threading.Lock()

        @task(timeout=30)
        def hold(lock):
            with lock:
                return "held"

        with Flow("soft") as flow:
            held = hold(make_lock())
        with pytest.warns(UserWarning, match="cannot be pickled for a child process.*soft limit"):
            state = flow.run(executor=LocalDaskExecutor(scheduler="threads")).result[held]
        assert state.result == "held"

    def test_in_a_daemonic_process_the_limit_is_soft_and_says_so(self, monkeypatch):
        monkeypatch.setattr(multiprocessing.current_process(), "daemon", True)
        release = threading.Event()
        out = {}

        def target():
            try:
                run_with_timeout(release.wait, {"timeout": 60}, 1, name="Task 'waits'")
            except TaskTimeoutSignal as exc:
                out["error"] = exc

        with pytest.warns(UserWarning, match="daemonic subprocess, so its timeout is a soft limit"):
            worker = threading.Thread(target=target)
            worker.start()
            worker.join(60)
        release.set()  # the abandoned helper thread ends too
        assert str(out["error"]) == (
            "Execution timed out after 1 seconds but was executed in a daemonic subprocess and "
            "will continue to run in the background."
        )


def test_task_run_count_increments_across_retries():
    counts = []

    @task(max_retries=3, retry_delay=DELAY)
    def flaky():
        counts.append(context.task_run_count)
        if context.task_run_count < 4:
            raise ValueError("again")

    run_single(flaky)
    assert counts == [1, 2, 3, 4]
