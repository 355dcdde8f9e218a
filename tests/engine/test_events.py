"""The state-event stream: observers see every transition of a flow run, in order."""

from __future__ import annotations

import datetime
import logging
import time

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.engine import events
from prefect_jupyter.engine.events import EventStream, StateEvent, observe


@task
def one():
    return 1


@task
def inc(x):
    return x + 1


@task
def boom():
    raise ValueError("boom")


def summary(seen: list[StateEvent]) -> list[tuple]:
    return [
        (e.task_name, e.map_index, type(e.old_state).__name__, type(e.new_state).__name__)
        for e in seen
    ]


class TestFlowRunObservers:
    def test_one_event_per_transition_in_order(self):
        with Flow("events") as flow:
            inc(one())
        seen: list[StateEvent] = []
        flow.run(observers=[seen.append])
        assert summary(seen) == [
            (None, None, "Scheduled", "Running"),
            ("one", None, "Pending", "Running"),
            ("one", None, "Running", "Success"),
            ("inc", None, "Pending", "Running"),
            ("inc", None, "Running", "Success"),
            (None, None, "Running", "Success"),
        ]

    def test_mapped_children_carry_their_map_index(self):
        with Flow("mapped") as flow:
            inc.map([1, 2])
        seen: list[StateEvent] = []
        flow.run(observers=[seen.append])
        assert summary(seen) == [
            (None, None, "Scheduled", "Running"),
            ("inc", None, "Pending", "Mapped"),
            ("inc", 0, "Pending", "Running"),
            ("inc", 0, "Running", "Success"),
            ("inc", 1, "Pending", "Running"),
            ("inc", 1, "Running", "Success"),
            (None, None, "Running", "Success"),
        ]

    def test_failed_run(self):
        with Flow("fails") as flow:
            inc(boom())
        seen: list[StateEvent] = []
        flow.run(observers=[seen.append])
        assert ("inc", None, "Pending", "TriggerFailed") in summary(seen)
        assert summary(seen)[-1] == (None, None, "Running", "Failed")

    def test_events_carry_states_run_id_and_time(self):
        with Flow("ids") as flow:
            one()
        seen: list[StateEvent] = []
        before = time.time()
        state = flow.run(observers=[seen.append], flow_run_id="run-1")
        after = time.time()
        assert {e.flow_run_id for e in seen} == {"run-1"}
        assert all(before <= e.timestamp <= after for e in seen)
        assert [e.timestamp for e in seen] == sorted(e.timestamp for e in seen)
        assert seen[-1].new_state is state

    def test_flow_events_and_task_events(self):
        with Flow("kinds") as flow:
            o = one()
        seen: list[StateEvent] = []
        flow.run(observers=[seen.append])
        assert seen[0].is_flow_event and seen[0].task is None
        assert not seen[1].is_flow_event
        assert seen[1].task is o

    def test_several_observers_each_see_everything(self):
        with Flow("two") as flow:
            one()
        first: list = []
        second: list = []
        flow.run(observers=[first.append, second.append])
        assert len(first) == len(second) == 4

    def test_retries_show_each_attempt(self):
        attempts = []

        @task(max_retries=1, retry_delay=datetime.timedelta(seconds=0.01))
        def flaky():
            attempts.append(1)
            if len(attempts) < 2:
                raise ValueError("flake")
            return "ok"

        with Flow("retry") as flow:
            flaky()
        seen: list[StateEvent] = []
        flow.run(observers=[seen.append])
        task_states = [new for name, _, _, new in summary(seen) if name == "flaky"]
        assert task_states == ["Running", "Failed", "Retrying", "Running", "Success"]


class TestObserveBlock:
    def test_observe_sees_runs_started_inside_the_block(self):
        with Flow("block") as flow:
            one()
        seen: list[StateEvent] = []
        with observe(seen.append) as registered:
            assert registered in events.global_observers()
            flow.run()
        assert len(seen) == 4
        assert seen.append not in events.global_observers()
        flow.run()
        assert len(seen) == 4

    def test_observe_and_run_observers_combine(self):
        with Flow("both") as flow:
            one()
        a: list = []
        b: list = []
        with observe(a.append):
            flow.run(observers=[b.append])
        assert len(a) == len(b) == 4

    def test_observer_removed_even_when_the_block_raises(self):
        seen: list = []
        with pytest.raises(RuntimeError), observe(seen.append):
            raise RuntimeError("inside")
        assert seen.append not in events.global_observers()

    def test_add_and_remove_observer(self):
        with Flow("add") as flow:
            one()
        seen: list = []
        events.add_observer(seen.append)
        try:
            flow.run()
        finally:
            events.remove_observer(seen.append)
        assert len(seen) == 4
        events.remove_observer(seen.append)  # removing twice is fine


class TestRobustness:
    def test_a_raising_observer_does_not_fail_the_run(self, caplog):
        def broken(event):
            raise RuntimeError("display broke")

        with Flow("robust") as flow:
            o = one()
        seen: list = []
        state = flow.run(observers=[broken, seen.append])
        assert state.is_successful()
        assert state.result[o].result == 1
        assert len(seen) == 4
        failures = [r for r in caplog.records if "failed; ignoring it" in r.getMessage()]
        assert failures and failures[0].levelno == logging.ERROR

    def test_with_no_observers_no_event_is_built(self, monkeypatch):
        def forbidden(*args, **kwargs):
            raise AssertionError("a StateEvent was built without observers")

        monkeypatch.setattr(events, "StateEvent", forbidden)
        with Flow("quiet") as flow:
            inc.map([1, 2])
        assert flow.run().is_successful()

    def test_empty_stream_is_falsy_and_publish_is_a_noop(self):
        stream = EventStream()
        assert not stream
        stream.publish(None, None, "old", "new")

    def test_stream_with_an_observer_delivers(self):
        seen: list = []
        stream = EventStream([seen.append])
        assert stream
        stream.publish(None, 2, "old", "new")
        assert len(seen) == 1
        assert (seen[0].map_index, seen[0].old_state, seen[0].new_state) == (2, "old", "new")

    def test_events_are_immutable(self):
        event = StateEvent("id", None, None, "a", "b", 0.0)
        with pytest.raises(AttributeError):
            event.new_state = "c"  # type: ignore[misc]


def test_run_hooks_add_an_observer_for_each_run_and_can_step_aside() -> None:
    from prefect_jupyter import Flow, task
    from prefect_jupyter.engine import events

    @task
    def one():
        return 1

    with Flow("hooked") as flow:
        one()
    seen: list = []
    asked: list = []

    def hook(f, observers):
        asked.append((f, observers))
        return None if observers else seen.append

    events.add_run_hook(hook)
    try:
        flow.run()
        assert asked[-1] == (flow, ())
        assert any(e.task_name == "one" for e in seen)
        seen.clear()
        mine: list = []
        flow.run(observers=[mine.append])
        assert seen == [] and mine  # the hook stepped aside
    finally:
        events.remove_run_hook(hook)
    flow.run()
    assert len(asked) == 2


def test_a_failing_run_hook_does_not_stop_the_run() -> None:
    from prefect_jupyter import Flow, task
    from prefect_jupyter.engine import events

    @task
    def one():
        return 1

    with Flow("hooked") as flow:
        one()

    def broken(f, observers):
        raise RuntimeError("hook bug")

    events.add_run_hook(broken)
    try:
        assert flow.run().is_successful()
    finally:
        events.remove_run_hook(broken)
