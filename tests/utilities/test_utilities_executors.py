"""prefect_jupyter.utilities.executors: heartbeats around a runner method, task timeouts."""

import threading

import pytest

from prefect_jupyter import Task
from prefect_jupyter.engine.runner import Runner
from prefect_jupyter.engine.timeouts import TaskTimeoutSignal
from prefect_jupyter.utilities.configuration import set_temporary_config
from prefect_jupyter.utilities.executors import run_task_with_timeout, run_with_heartbeat


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
