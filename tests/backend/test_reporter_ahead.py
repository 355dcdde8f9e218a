"""Two reports in flight: the next report goes while the one before it is stored.

A report is sent ahead only when no task run has writes in both (``reporter._independent``) and
the server has stored a report already (the first goes alone: an older server without reports is
asked once), so it may be stored before the one before it, or without it. These tests hold the
first of a pair (reports 2 and 3) until the second is answered (the server stores the second
first), then make either fail — a refusal (nothing stored) or a lost answer (stored, but the
reporter can't know) — and check that every state and log record is stored exactly once, in
each task run's order.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from test_reporter import double, make_reporter, many
from test_reporter_reports import ReportingServer

from prefect_jupyter import Flow
from prefect_jupyter.backend import reporter as reporter_module
from prefect_jupyter.backend.logs import shipping_logs
from prefect_jupyter.client.errors import ServerUnavailable, WriteRejected
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.executors import LocalExecutor

N = 300


class PairingServer(ReportingServer):
    """Holds report ``hold`` (in order of arrival) until report ``hold + 1`` is answered, and
    fails reports by arrival number: ``"refuse"`` (nothing stored) or ``"lose"`` (stored,
    then the connection drops)."""

    def __init__(self, hold: int = 2, fail: dict[int, str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hold = hold
        self.fail = fail or {}
        self.cond = threading.Condition()
        self.arrived = 0
        self.answered: set[int] = set()
        self.overlapped = False

    def write_run_report(self, flow_run_id: str, states: list[dict[str, Any]],
                         logs: list[dict[str, Any]],
                         new_task_runs: list[dict[str, Any]] | None = None) -> bool:
        with self.cond:
            self.arrived += 1
            number = self.arrived
        try:
            if number == self.hold:
                with self.cond:
                    self.overlapped = self.cond.wait_for(lambda: number + 1 in self.answered,
                                                         timeout=10)
            if self.fail.get(number) == "refuse":
                raise WriteRejected("refused for the test")
            stored = super().write_run_report(flow_run_id, states, logs, new_task_runs)
            if self.fail.get(number) == "lose":
                raise ServerUnavailable("connection reset")
            return stored
        finally:
            with self.cond:
                self.answered.add(number)
                self.cond.notify_all()


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(reporter_module, "MAX_BATCH", 100)


def _run_then_report(server: PairingServer, children: bool) -> tuple[Any, Any, str]:
    """Run a map of N with everything queued before the reporter's thread starts, so that
    the batches are the same every time; then report it all."""
    with Flow("pairs") as flow:
        double.map(many(N))
    slug = flow.slugs[flow.get_tasks(name="double")[0]]
    reporter = make_reporter(server, flow, flush_interval=0.01)
    with shipping_logs(reporter):
        state = FlowRunner(flow, observers=[reporter]).run(
            executor=LocalExecutor(), task_contexts=reporter.task_contexts())
    reporter.start()
    assert reporter.close(timeout=60)
    return state, reporter, slug


def _assert_all_stored_once(server: PairingServer, slug: str) -> None:
    wrong = {i: server.states_of(slug, i) for i in range(N)
             if server.states_of(slug, i) != ["Running", "Success"]}
    assert not wrong, wrong
    messages = [log["message"] for log in server.logs if log["message"].startswith("doubling")]
    assert sorted(messages) == sorted(f"doubling {i}" for i in range(N))
    ids = [log["id"] for log in server.logs if "id" in log]
    assert len(ids) == len(set(ids))
    assert [s["type"] for s in server.flow_run["states"]] == ["Success"]


@pytest.mark.parametrize("children", [False, True])
def test_the_next_report_is_sent_while_one_is_in_flight(small_batches, children):
    server = PairingServer(children=children)
    state, reporter, slug = _run_then_report(server, children)
    assert state.is_successful()
    assert server.overlapped  # report 3 was answered while report 2 was still in flight
    _assert_all_stored_once(server, slug)
    methods = [method for method, _ in server.requests]
    assert "set_task_run_states" not in methods and "write_run_logs" not in methods
    assert server.children_created == (N if children else 0)
    assert not reporter.refusals


@pytest.mark.parametrize("children", [False, True])
@pytest.mark.parametrize("first, second", [
    ("refuse", None), ("lose", None), (None, "refuse"), (None, "lose"),
    ("refuse", "lose"), ("lose", "refuse"), ("lose", "lose"), ("refuse", "refuse"),
])
def test_either_of_two_reports_in_flight_may_fail_and_nothing_is_lost_or_stored_twice(
        small_batches, children, first, second):
    fail = {number: mode for number, mode in ((2, first), (3, second)) if mode}
    server = PairingServer(fail=fail, children=children)
    state, reporter, slug = _run_then_report(server, children)
    assert state.is_successful()
    assert server.overlapped
    _assert_all_stored_once(server, slug)
    assert not reporter.refusals
    if children:  # each child created once, by a report or found the old way
        keys = [run_["key"] for run_ in server.runs.values() if run_["key"][0] == slug]
        assert len(keys) == len(set(keys)) == N + 1
