"""Signals: raising one inside a task puts it into the matching state (as in Prefect 1.4.1)."""

from __future__ import annotations

import pytest

from prefect_jupyter import Flow, context, task
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.state import (
    Failed,
    Looped,
    Paused,
    Retrying,
    Skipped,
    Success,
    TriggerFailed,
    ValidationFailed,
)

SIGNAL_STATES = [
    (signals.SUCCESS, Success),
    (signals.FAIL, Failed),
    (signals.TRIGGERFAIL, TriggerFailed),
    (signals.VALIDATIONFAIL, ValidationFailed),
    (signals.RETRY, Retrying),
    (signals.SKIP, Skipped),
    (signals.PAUSE, Paused),
    (signals.LOOP, Looped),
]


def run_one(fn, **task_kwargs):
    """Run ``fn`` as the only task of a flow; return (flow state, task state)."""
    t = task(fn, **task_kwargs)
    with Flow("signals") as flow:
        result = t()
    flow_state = flow.run()
    return flow_state, flow_state.result[result]


class TestSignalObjects:
    @pytest.mark.parametrize("signal, state_class", SIGNAL_STATES, ids=lambda x: x.__name__)
    def test_each_signal_carries_its_state(self, signal, state_class):
        sig = signal("msg", result=3)
        assert type(sig.state) is state_class
        assert sig.state.message == "msg"
        assert sig.state.result == 3
        assert str(sig) == "msg"

    def test_without_result_the_state_holds_the_signal(self):
        sig = signals.FAIL("x")
        assert sig.state.result is sig

    def test_without_message(self):
        sig = signals.SKIP()
        assert sig.state.message is None

    @pytest.mark.parametrize("signal, _", SIGNAL_STATES, ids=lambda x: x.__name__)
    def test_signals_are_base_exceptions_not_exceptions(self, signal, _):
        assert issubclass(signal, BaseException)
        assert not issubclass(signal, Exception)

    def test_endrun_carries_a_state(self):
        end = signals.ENDRUN(Success("ok", result=1))
        assert end.state == Success(result=1)
        assert not isinstance(end, Exception)

    def test_trigger_and_validation_fail_are_fails(self):
        assert issubclass(signals.TRIGGERFAIL, signals.FAIL)
        assert issubclass(signals.VALIDATIONFAIL, signals.FAIL)


class TestSignalsInTasks:
    def test_fail(self):
        def fn():
            raise signals.FAIL("x")

        flow_state, state = run_one(fn)
        assert type(state) is Failed
        assert state.message == "x"
        assert isinstance(state.result, signals.FAIL)
        assert flow_state.is_failed()

    def test_skip_and_downstream_skips(self):
        @task
        def skipper():
            raise signals.SKIP("nope")

        @task
        def after(x):
            return 1

        with Flow("skip") as flow:
            s = skipper()
            a = after(s)
        flow_state = flow.run()
        assert type(flow_state.result[s]) is Skipped
        assert flow_state.result[s].message == "nope"
        downstream = flow_state.result[a]
        assert type(downstream) is Skipped
        assert downstream.message.startswith("Upstream task was skipped")
        assert flow_state.is_successful()

    def test_skip_does_not_propagate_with_skip_on_upstream_skip_false(self):
        @task
        def skipper():
            raise signals.SKIP("nope")

        @task(skip_on_upstream_skip=False)
        def after(x):
            return ("ran", x)

        with Flow("skip") as flow:
            a = after(skipper())
        state = flow.run().result[a]
        assert type(state) is Success
        assert state.result[0] == "ran"

    def test_success_with_result(self):
        def fn():
            raise signals.SUCCESS("yay", result=5)

        _, state = run_one(fn)
        assert type(state) is Success
        assert state.message == "yay"
        assert state.result == 5

    def test_retry_reruns_the_task(self):
        runs = []

        def fn():
            runs.append(context.task_run_count)
            if context.task_run_count < 2:
                raise signals.RETRY("again")
            return "done"

        _, state = run_one(fn)
        assert runs == [1, 2]
        assert type(state) is Success
        assert state.result == "done"

    def test_pause(self, monkeypatch):
        monkeypatch.setattr("builtins.input", lambda prompt="": "n")

        def fn():
            raise signals.PAUSE("wait")

        flow_state, state = run_one(fn)
        assert type(state) is Paused
        assert state.message == "wait"
        assert flow_state.is_running()

    def test_loop_fibonacci_ends_with_the_last_result(self):
        def fib(n=10):
            loop = context.get("task_loop_result", {"a": 0, "b": 1, "i": 0})
            if loop["i"] >= n:
                return loop["a"]
            raise signals.LOOP(
                message=f"step {loop['i']}",
                result={"a": loop["b"], "b": loop["a"] + loop["b"], "i": loop["i"] + 1},
            )

        flow_state, state = run_one(fib)
        assert type(state) is Success
        assert state.result == 55
        assert flow_state.is_successful()

    def test_loop_count_and_result_in_context(self):
        seen = []

        def fn():
            count = context.get("task_loop_count")
            seen.append((count, context.get("task_loop_result")))
            if (count or 1) < 3:
                raise signals.LOOP(result=f"r{count}")
            return "end"

        _, state = run_one(fn)
        assert seen == [(None, None), (2, "rNone"), (3, "r2")]
        assert state.result == "end"

    def test_loop_states_seen_by_a_handler(self):
        seen = []

        def handler(t, old, new):
            seen.append(type(new).__name__)

        def fn():
            if (context.get("task_loop_count") or 1) < 2:
                raise signals.LOOP(result=1)
            return 2

        run_one(fn, state_handlers=[handler])
        assert seen[:2] == ["Running", "Looped"]
        assert seen[-2:] == ["Running", "Success"]

    def test_endrun_ends_the_task_with_its_state(self):
        def fn():
            raise signals.ENDRUN(Success("ended", result=9))

        _, state = run_one(fn)
        assert type(state) is Success
        assert state.message == "ended"
        assert state.result == 9

    def test_except_exception_does_not_swallow_a_signal(self):
        def fn():
            try:
                raise signals.FAIL("inner")
            except Exception:
                return "swallowed"

        _, state = run_one(fn)
        assert type(state) is Failed
        assert state.message == "inner"

    def test_validationfail(self):
        def fn():
            raise signals.VALIDATIONFAIL("invalid")

        _, state = run_one(fn)
        assert type(state) is ValidationFailed
        assert state.message == "invalid"
