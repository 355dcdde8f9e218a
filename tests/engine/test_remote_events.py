"""State events from worker processes: forwarded as messages, turned back into events.

A ``ForwardingStream`` stands in for the run's event stream where task runs happen elsewhere; a
``Receiver`` in the observing process rebuilds ``StateEvent`` objects with the flow's own tasks.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import pickle
from typing import Any

import pytest

from prefect_jupyter import Task, context
from prefect_jupyter.engine.events import EventStream, StateEvent
from prefect_jupyter.engine.remote_events import ForwardingStream, QueueSink, Receiver
from prefect_jupyter.engine.state import (
    Cached,
    Failed,
    Mapped,
    Pending,
    Retrying,
    Running,
    Success,
)
from prefect_jupyter.engine.task_runner import TaskRunner


class Add(Task):
    def run(self, x: int = 1, y: int = 2) -> int:
        return x + y


class Broken(Task):
    def run(self) -> None:
        raise ValueError("broken")


def publish_from_a_worker(queue: Any) -> None:
    """Run in a child process: one task run publishing through a queue sink."""
    stream = ForwardingStream(QueueSink(queue))
    with context(flow_run_id="run-42", task_slug="add-1"):
        TaskRunner(Add(name="add"), observers=stream).run(
            context={"map_index": 3, "task_slug": "add-1"}
        )
    queue.put(None)


class RaisingSink:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, message: dict) -> None:
        self.calls += 1
        raise ConnectionError("the other end is gone")


@pytest.fixture(scope="module")
def manager() -> Any:
    with multiprocessing.Manager() as m:
        yield m


class TestMessages:
    def test_a_transition_becomes_a_json_ready_message(self):
        sent: list[dict] = []
        stream = ForwardingStream(sent.append)
        with context(flow_run_id="run-1", task_slug="inc-1"):
            stream.publish(
                object(),
                2,
                Running("Starting task run."),
                Failed("it broke", result=ValueError("x")),
            )
        [message] = sent
        assert json.loads(json.dumps(message)) == message
        assert message["flow_run_id"] == "run-1"
        assert message["task_slug"] == "inc-1"
        assert message["map_index"] == 2
        assert message["old_state"]["type"] == "Running"
        assert message["old_state"]["message"] == "Starting task run."
        assert message["new_state"]["type"] == "Failed"
        assert message["new_state"]["message"] == "it broke"
        assert isinstance(message["timestamp"], float)

    @pytest.mark.parametrize(
        "state",
        [
            Retrying("again", run_count=2),
            Mapped("Ready to proceed with mapping.", n_map_states=3),
            Cached("from cache", result=5),
            Success("done", result={"not": "sent"}),
        ],
        ids=lambda s: type(s).__name__,
    )
    def test_state_fields_survive_but_values_stay_behind(self, state):
        sent: list[dict] = []
        ForwardingStream(sent.append).publish(None, None, Pending(), state)
        seen: list[StateEvent] = []
        Receiver(EventStream([seen.append]), {})(json.loads(json.dumps(sent[0])))
        received = seen[0].new_state
        assert type(received) is type(state)
        assert received.message == state.message
        assert not received.result  # results come back through the executor's futures
        for field in ("run_count", "n_map_states"):
            if hasattr(state, field):
                assert getattr(received, field) == getattr(state, field)

    def test_a_forwarding_stream_is_truthy_and_picklable(self, manager):
        stream = ForwardingStream(QueueSink(manager.Queue()))
        assert stream
        copy = pickle.loads(pickle.dumps(stream))
        copy.publish(None, None, Pending(), Running())
        assert copy.sink.queue.get(timeout=5)["new_state"]["type"] == "Running"


class TestReceiver:
    def test_events_get_the_flows_own_task_objects(self):
        task = Add(name="add")
        sent: list[dict] = []
        with context(flow_run_id="run-7", task_slug="add-1"):
            ForwardingStream(sent.append).publish(task, 0, Pending(), Running("Starting task run."))
        seen: list[StateEvent] = []
        same_task_here = Add(name="add")
        Receiver(EventStream([seen.append]), {"add-1": same_task_here})(sent[0])
        [event] = seen
        assert event.task is same_task_here
        assert event.task_name == "add"
        assert event.map_index == 0
        assert event.flow_run_id == "run-7"
        assert type(event.old_state) is Pending
        assert type(event.new_state) is Running
        assert event.new_state.message == "Starting task run."
        assert event.timestamp == sent[0]["timestamp"]

    def test_a_flow_event_has_no_task(self):
        sent: list[dict] = []
        with context(flow_run_id="run-8"):
            ForwardingStream(sent.append).publish(
                None, None, Running(), Success("All reference tasks succeeded.")
            )
        seen: list[StateEvent] = []
        Receiver(EventStream([seen.append]), {})(sent[0])
        assert seen[0].is_flow_event
        assert seen[0].new_state.message == "All reference tasks succeeded."


class TestAcrossProcesses:
    def test_a_task_run_in_another_process_reaches_the_observers(self, manager):
        queue = manager.Queue()
        worker = multiprocessing.get_context("spawn").Process(
            target=publish_from_a_worker, args=(queue,)
        )
        worker.start()
        task_here = Add(name="add")
        seen: list[StateEvent] = []
        receiver = Receiver(EventStream([seen.append]), {"add-1": task_here})
        while (message := queue.get(timeout=30)) is not None:
            receiver(message)
        worker.join(timeout=30)
        assert worker.exitcode == 0
        assert [(e.task, e.map_index, type(e.old_state), type(e.new_state)) for e in seen] == [
            (task_here, 3, Pending, Running),
            (task_here, 3, Running, Success),
        ]
        assert {e.flow_run_id for e in seen} == {"run-42"}
        assert seen[-1].new_state.message == "Task run succeeded."


class TestSinkFailures:
    def test_a_raising_sink_never_fails_the_task_run(self, caplog):
        sink = RaisingSink()
        with caplog.at_level(logging.DEBUG, logger="prefect_jupyter"):
            state = TaskRunner(Add(), observers=ForwardingStream(sink)).run()
        assert type(state) is Success
        assert state.result == 3
        assert sink.calls == 2  # Scheduled -> Running, Running -> Success
        assert "Could not forward a state event" in caplog.text

    def test_a_raising_sink_leaves_a_failure_as_it_was(self):
        state = TaskRunner(Broken(), observers=ForwardingStream(RaisingSink())).run()
        assert type(state) is Failed
        assert state.message == "Error during execution of task: ValueError('broken')"
