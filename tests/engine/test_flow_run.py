"""flow.run(): parameter checks, pause prompts on stdin, schedules and caches across runs."""

from __future__ import annotations

import datetime
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest

from prefect_jupyter import Flow, Parameter, Task, context, task, triggers
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.state import Paused, Pending, Running, Success, TriggerFailed

calls: list = []


@pytest.fixture(autouse=True)
def reset_calls():
    calls.clear()


@task
def one():
    return 1


@task(trigger=triggers.manual_only)
def gated(x):
    calls.append(x)
    return x + 1


@pytest.fixture
def gated_flow():
    with Flow("gated") as flow:
        g = gated(one())
    return flow, g


class TestParameters:
    @pytest.fixture
    def flow(self):
        @task
        def ident(x):
            return x

        with Flow("params") as flow:
            ident(Parameter("x"))
            ident(Parameter("y", default=2))
        return flow

    def test_missing_required_parameter(self, flow):
        with pytest.raises(
            ValueError, match="Flow.run did not receive the following required parameters: x"
        ):
            flow.run()

    def test_unexpected_parameter(self, flow):
        with pytest.raises(
            ValueError, match="Flow.run received the following unexpected parameters: z"
        ):
            flow.run(parameters={"x": 1, "z": 3})

    def test_parameters_by_keyword_or_dict(self, flow):
        assert flow.run(x=1).is_successful()
        assert flow.run(parameters={"x": 1}).is_successful()

    def test_parameter_values_reach_tasks(self):
        @task
        def double(x):
            return 2 * x

        with Flow("double") as flow:
            d = double(Parameter("x", default=4))
        assert flow.run().result[d].result == 8
        assert flow.run(x=5).result[d].result == 10


class TestPausePrompt:
    def test_answering_y_resumes_the_task(self, gated_flow, monkeypatch):
        flow, g = gated_flow
        prompts = []

        def answer(prompt=""):
            prompts.append(prompt)
            return "y"

        monkeypatch.setattr("builtins.input", answer)
        state = flow.run()
        assert type(state) is Success
        assert state.result[g].result == 2
        assert calls == [1]
        assert prompts == ["<Task: gated> is currently Paused; enter 'y' to resume:\n"]

    def test_answering_n_leaves_the_flow_running(self, gated_flow, monkeypatch):
        flow, g = gated_flow
        monkeypatch.setattr("builtins.input", lambda prompt="": "n")
        state = flow.run()
        assert type(state) is Running
        assert type(state.result[g]) is Paused
        assert state.result[g].message == 'Trigger function is "manual_only"'
        assert calls == []

    def test_answer_is_case_and_space_insensitive(self, gated_flow, monkeypatch):
        flow, g = gated_flow
        monkeypatch.setattr("builtins.input", lambda prompt="": "  Y \n")
        assert flow.run().result[g].result == 2

    def test_closed_stdin_raises_eoferror_as_prefect1(self, gated_flow, monkeypatch):
        flow, g = gated_flow

        def eof(prompt=""):
            raise EOFError

        monkeypatch.setattr("builtins.input", eof)
        with pytest.raises(EOFError, match="standard input is closed.*task_states=.*Resume"):
            flow.run()
        assert calls == []

    def test_closed_stdin_in_a_real_process(self, tmp_path):
        script = tmp_path / "gated.py"
        script.write_text(
            "from prefect_jupyter import Flow, task, triggers\n"
            "@task(trigger=triggers.manual_only)\n"
            "def gated():\n    return 1\n"
            "with Flow('gated') as flow:\n    gated()\n"
            "flow.run()\n"
        )
        done = subprocess.run(
            [sys.executable, str(script)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=120,
        )
        assert done.returncode == 1
        assert "EOFError" in done.stderr and "is Paused and waits for approval" in done.stderr

    def test_pause_signal_in_a_task_then_resume(self, monkeypatch):
        @task
        def ask():
            if not context.get("resume"):
                raise signals.PAUSE("approve me")
            return "approved"

        with Flow("pause") as flow:
            a = ask()
        monkeypatch.setattr("builtins.input", lambda prompt="": "y")
        state = flow.run()
        assert state.is_successful()
        assert state.result[a].result == "approved"

    def test_downstream_of_a_paused_task_waits(self, monkeypatch):
        @task
        def after(x):
            return x * 10

        with Flow("downstream") as flow:
            g = gated(one())
            a = after(g)
        monkeypatch.setattr("builtins.input", lambda prompt="": "n")
        state = flow.run()
        assert state.is_running()
        assert type(state.result[a]) is Pending
        monkeypatch.setattr("builtins.input", lambda prompt="": "y")
        assert flow.run().result[a].result == 20


class TestRunResult:
    def test_every_task_is_in_the_result(self):
        a, b = Task(name="a"), Task(name="b")
        flow = Flow("two", tasks=[a, b])
        state = flow.run()
        assert set(state.result) == {a, b}

    def test_a_finished_starting_state_reports_tasks_as_not_run(self):
        t = Task(name="t")
        flow = Flow("done", tasks=[t])
        state = flow.run(state=Success("already"))
        assert state.message == "already"
        assert type(state.result[t]) is Pending
        assert state.result[t].message == "Task not run."

    def test_trigger_failed_downstream_of_a_failure(self):
        @task
        def boom():
            raise ValueError("boom")

        @task
        def after(x):
            return x

        with Flow("f") as flow:
            a = after(boom())
        assert type(flow.run().result[a]) is TriggerFailed

    def test_flow_run_from_a_non_main_thread(self):
        @task
        def where():
            return threading.current_thread().name

        with Flow("threaded") as flow:
            w = where()
        out = {}
        worker = threading.Thread(target=lambda: out.update(state=flow.run()), name="worker")
        worker.start()
        worker.join(10)
        assert out["state"].is_successful()
        assert out["state"].result[w].result == "worker"


class FakeSchedule:
    """A stand-in schedule yielding the given start times once each."""

    def __init__(self, times: list[datetime.datetime]) -> None:
        self.times = list(times)

    def next(self, n: int, return_events: bool = False) -> list:
        if not self.times:
            return []
        return [SimpleNamespace(start_time=self.times.pop(0), parameter_defaults={})]


class TestSchedule:
    def test_runs_once_per_scheduled_time(self):
        now = datetime.datetime.now(datetime.UTC)

        @task
        def record():
            calls.append(context.scheduled_start_time)

        with Flow("scheduled", schedule=FakeSchedule([now, now])) as flow:
            record()
        state = flow.run(run_on_schedule=True)
        assert state.is_successful()
        assert calls == [now, now]

    def test_run_on_schedule_false_runs_once(self):
        now = datetime.datetime.now(datetime.UTC)

        @task
        def record():
            calls.append(1)

        with Flow("scheduled", schedule=FakeSchedule([now, now])) as flow:
            record()
        flow.run(run_on_schedule=False)
        assert calls == [1]

    def test_no_more_scheduled_runs(self):
        flow = Flow("empty-schedule", schedule=FakeSchedule([]), tasks=[Task()])
        with pytest.raises(ValueError, match="Flow has no more scheduled runs."):
            flow.run(run_on_schedule=True)


def test_caches_are_kept_in_context_between_runs():
    @task(cache_for=datetime.timedelta(minutes=5))
    def slow():
        calls.append("ran")
        return 1

    with Flow("cached") as flow:
        slow()
    flow.run()
    flow.run()
    assert calls == ["ran"]
    assert "slow" in context.caches
