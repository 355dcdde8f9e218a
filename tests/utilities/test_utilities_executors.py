"""prefect_jupyter.utilities.executors: heartbeats, time limits, tail recursion."""

import threading
import time

import pytest

import prefect_jupyter
from prefect_jupyter import Task
from prefect_jupyter.engine.runner import Runner
from prefect_jupyter.engine.signals import FAIL
from prefect_jupyter.engine.timeouts import TaskTimeoutSignal
from prefect_jupyter.utilities import executors
from prefect_jupyter.utilities.configuration import set_temporary_config
from prefect_jupyter.utilities.executors import (
    HeartbeatThread,
    RecursiveCall,
    run_task_with_timeout,
    run_with_heartbeat,
    run_with_multiprocess_timeout,
    run_with_thread_timeout,
    tail_recursive,
)


class Beating(Runner):
    def __init__(self, beats_before_release=3, answer=True):
        super().__init__()
        self.beats = 0
        self.answer = answer
        self.enough = threading.Event()
        self.wanted = beats_before_release

    def _heartbeat(self):
        self.beats += 1
        if self.beats >= self.wanted:
            self.enough.set()
        return self.answer

    @run_with_heartbeat
    def run(self):
        assert self.enough.wait(30), "the heartbeat never came back"
        return "done"


def test_heartbeats_repeat_while_the_method_runs():
    runner = Beating(beats_before_release=3)
    with set_temporary_config({"cloud.heartbeat_interval": 0.01}):
        assert runner.run() == "done"
    assert runner.beats >= 3


def test_a_runner_without_heartbeats_beats_once():
    runner = Beating(beats_before_release=1, answer=False)
    with set_temporary_config({"cloud.heartbeat_interval": 0.01}):
        assert runner.run() == "done"
    assert runner.beats == 1


def test_a_failing_heartbeat_does_not_fail_the_run(caplog):
    class Broken(Beating):
        def _heartbeat(self):
            self.enough.set()
            raise ConnectionError("server away")

    with set_temporary_config({"cloud.heartbeat_interval": 0}):
        assert Broken().run() == "done"
    assert "Heartbeat failed: ConnectionError('server away')" in caplog.text


def test_run_task_with_timeout():
    class Slow(Task):
        def run(self, seconds):
            threading.Event().wait(seconds)
            return seconds

    assert run_task_with_timeout(Slow(), args=(0,)) == 0
    with pytest.raises(TaskTimeoutSignal):
        run_task_with_timeout(Slow(timeout=1), kwargs={"seconds": 30})


# -- time limits on any function ----------------------------------------------------------------
@pytest.mark.parametrize("handler", [run_with_thread_timeout, run_with_multiprocess_timeout])
def test_timeout_handlers_pass_arguments_context_and_results(handler):
    def answer(x, y=None):
        return x, y, prefect_jupyter.context.get("marker")

    with prefect_jupyter.context(marker="here"):
        assert handler(answer, args=[1], kwargs={"y": 2}, timeout=30) == (1, 2, "here")


@pytest.mark.parametrize("handler", [run_with_thread_timeout, run_with_multiprocess_timeout])
def test_timeout_handlers_raise_what_the_function_raised(handler):
    def fails():
        raise FAIL("no good")

    with pytest.raises(FAIL, match="no good"):
        handler(fails, timeout=30)
    with pytest.raises(TypeError):
        handler(lambda x: x, timeout=30)


@pytest.mark.parametrize("handler", [run_with_thread_timeout, run_with_multiprocess_timeout])
def test_timeout_handlers_stop_waiting_at_the_limit(handler):
    with pytest.raises(TaskTimeoutSignal):
        handler(time.sleep, args=[600], timeout=0.5)


def test_an_unpicklable_result_from_a_child_process_is_named():
    with pytest.raises(RuntimeError, match="Failed to pickle result of type 'lock'"):
        run_with_multiprocess_timeout(threading.Lock, timeout=30)


def test_without_a_timeout_the_function_runs_here():
    here = threading.get_ident()
    assert run_with_multiprocess_timeout(threading.get_ident) == here


# -- tail recursion -----------------------------------------------------------------------------
def test_tail_recursive_goes_beyond_the_recursion_limit():
    @tail_recursive
    def count(n=0):
        if n > 5000:
            return n
        raise RecursiveCall(count, n + 1)

    assert count() == 5001


def test_a_recursive_call_to_an_undecorated_function_is_a_recursion_error():
    def plain(n):
        raise RecursiveCall(plain, n)

    @tail_recursive
    def outer():
        return plain(1)

    with pytest.raises(RecursionError, match="tail_recursive"):
        outer()


# -- heartbeat thread ---------------------------------------------------------------------------
class CountingClient:
    beats: list = []

    def update_flow_run_heartbeat(self, flow_run_id):
        self.beats.append(flow_run_id)
        if flow_run_id == "broken":
            raise ValueError("server said no")


class Shipped:
    sink = None

    def __init__(self):
        self.logs = []

    def enqueue(self, log):
        self.logs.append(log)


def test_heartbeat_thread_beats_at_once_and_stops_on_its_event(monkeypatch):
    shipped = Shipped()
    monkeypatch.setattr("prefect_jupyter.utilities.logging.LOG_MANAGER", shipped)
    monkeypatch.setattr(executors, "Client", CountingClient)
    monkeypatch.setattr(CountingClient, "beats", [])
    stop = threading.Event()
    thread = HeartbeatThread(stop, "broken")
    assert thread.daemon
    thread.start()
    while not CountingClient.beats:
        threading.Event().wait(0.01)
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    assert CountingClient.beats[0] == "broken"
    (log,) = [log for log in shipped.logs if log["level"] == "ERROR"][:1]
    assert log["flow_run_id"] == "broken"
    assert "Failed to send heartbeat with exception: ValueError('server said no')" in log["message"]


def test_client_is_read_from_the_package_root():
    assert executors.Client is prefect_jupyter.Client
