"""The reporter's reports: task states and log records sent together (``write_run_report``).

Real flows through the engine, against the in-memory server of ``test_reporter.py`` extended
with the report call (all or nothing, as the server's one transaction).
"""

from __future__ import annotations

from typing import Any

import pytest
from test_reporter import FakeServer, add, double, make_reporter, many, numbers, run

from prefect_jupyter import Flow
from prefect_jupyter.backend import reporter as reporter_module
from prefect_jupyter.client.errors import WriteRejected


class ReportingServer(FakeServer):
    """:class:`FakeServer` that also takes states and logs in one report (and, with
    ``children``, mapped children created by the reports that name them)."""

    def __init__(self, supported: bool = True, refuse: int = 0,
                 refuse_report: int | None = None, lose_report: int | None = None,
                 children: bool = False) -> None:
        super().__init__()
        self.supported = supported
        self.refuse = refuse  # how many reports to refuse before taking them
        self.refuse_report = refuse_report  # the number of a report to refuse (1 is the first)
        self.lose_report = lose_report  # the number of a report whose answer is lost
        self.children = children
        self.reports = 0
        self.children_created = 0

    def reports_create_children(self) -> bool:
        return self.children

    def stored_log_ids(self, log_ids: list[str]) -> set[str]:
        self._check_up()
        stored = {log.get("id") for log in self.logs}
        return {i for i in log_ids if i in stored}

    def write_run_report(self, flow_run_id: str, states: list[dict[str, Any]],
                         logs: list[dict[str, Any]],
                         new_task_runs: list[dict[str, Any]] | None = None) -> bool:
        self._check_up()
        if not self.supported:
            self.requests.append(("write_run_report unsupported", 0))
            return False
        assert new_task_runs is None or self.children, "children sent to a server without them"
        self.writes_open.wait()
        with self.lock:
            self.reports += 1
            if self.refuse or self.reports == self.refuse_report:
                self.refuse = max(0, self.refuse - 1)
                raise WriteRejected("refused for the test")
            if self.reports == self.lose_report:
                self.lose_next_response = True
            self.requests.append(("write_run_report", len(states) + len(logs)))
            new = self._new_children(new_task_runs or [])  # raises before anything is stored
            self._apply_states(states, new)  # raises before anything is stored: all or nothing
            self.runs.update(new)
            self.children_created += len(new)
            self.logs.extend(logs)
        self._after_write()
        return True

    def _new_children(self, children: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The children to create, as the server decides (one of another id: refused)."""
        taken = {run["key"]: run_id for run_id, run in self.runs.items()}
        new = {}
        for child in children:
            key = (child["task_id"], child["map_index"])
            there = taken.get(key)
            if there == child["id"]:
                continue  # the same report again
            if there is not None:
                raise WriteRejected(f"mapped child {key} exists already as {there}")
            new[child["id"]] = {"key": key, "version": 1, "states": []}
        return new

    def _apply_states(self, states: list[dict[str, Any]],
                      new: dict[str, dict[str, Any]] | None = None) -> None:
        runs = {**self.runs, **(new or {})}
        versions = {i: r["version"] for i, r in runs.items()}
        for item in states:
            if versions[item["task_run_id"]] != item["version"]:
                raise WriteRejected(f"stale version {item['version']}")
            versions[item["task_run_id"]] += 1
        for item in states:
            run_ = runs[item["task_run_id"]]
            run_["version"] += 1
            run_["states"].append(item["state"])


def _methods(server: FakeServer) -> list[str]:
    return [method for method, _ in server.requests]


def _map_flow() -> Flow:
    with Flow("maps") as flow:
        double.map(numbers())
    return flow


def test_states_and_logs_travel_together_in_order():
    flow = _map_flow()
    server = ReportingServer()
    state = run(flow, make_reporter(server, flow, flush_interval=0.3))
    assert state.is_successful()
    slug = flow.slugs[flow.get_tasks(name="double")[0]]
    assert all(server.states_of(slug, i) == ["Running", "Success"] for i in range(3))
    assert sorted(log["message"] for log in server.logs if log["message"].startswith("doubling")) \
        == ["doubling 1", "doubling 2", "doubling 3"]
    methods = _methods(server)
    assert "write_run_report" in methods
    assert "set_task_run_states" not in methods and "write_run_logs" not in methods
    # the final flow state goes after the last report
    assert methods[-1] == "set_flow_run_states"


def test_a_refused_report_is_sent_apart_and_nothing_is_lost():
    flow = _map_flow()
    server = ReportingServer(refuse=1)
    reporter = make_reporter(server, flow)
    state = run(flow, reporter)
    assert state.is_successful()
    slug = flow.slugs[flow.get_tasks(name="double")[0]]
    assert all(server.states_of(slug, i) == ["Running", "Success"] for i in range(3))
    assert len([log for log in server.logs if log["message"].startswith("doubling")]) == 3
    methods = _methods(server)
    assert "set_task_run_states" in methods and "write_run_logs" in methods  # the refused one
    assert not reporter.refusals


def test_a_report_stored_before_the_connection_dropped_is_not_stored_twice():
    with Flow("lost answer") as flow:
        add(1, 2)
    server = ReportingServer()
    server.lose_next_response = True
    run(flow, make_reporter(server, flow))
    slug = list(flow.slugs.values())[0]
    assert server.states_of(slug) == ["Running", "Success"]
    messages = [log["message"] for log in server.logs]
    assert len(messages) == len(set(messages)), messages
    assert [s["type"] for s in server.flow_run["states"]] == ["Success"]


def test_a_server_without_reports_is_asked_once_then_sent_apart():
    flow = _map_flow()
    server = ReportingServer(supported=False)
    state = run(flow, make_reporter(server, flow, flush_interval=0.02))
    assert state.is_successful()
    slug = flow.slugs[flow.get_tasks(name="double")[0]]
    assert all(server.states_of(slug, i) == ["Running", "Success"] for i in range(3))
    assert _methods(server).count("write_run_report unsupported") == 1
    assert "set_task_run_states" in _methods(server)


@pytest.fixture
def small_batches(monkeypatch):
    """Reports of at most 100 states and 100 records: a map of 500 takes a dozen of them."""
    monkeypatch.setattr(reporter_module, "MAX_BATCH", 100)


def _big_map() -> tuple[Flow, str]:
    with Flow("big map") as flow:
        double.map(many(500))
    return flow, flow.slugs[flow.get_tasks(name="double")[0]]


def _assert_all_stored_once(server: ReportingServer, slug: str) -> None:
    wrong = {i: server.states_of(slug, i) for i in range(500)
             if server.states_of(slug, i) != ["Running", "Success"]}
    assert not wrong, wrong
    messages = [log["message"] for log in server.logs if log["message"].startswith("doubling")]
    assert sorted(messages) == sorted(f"doubling {i}" for i in range(500))
    assert [s["type"] for s in server.flow_run["states"]] == ["Success"]


@pytest.mark.parametrize("children", [False, True])
def test_reports_made_while_the_one_before_is_in_flight_follow_its_versions(small_batches,
                                                                           children):
    flow, slug = _big_map()
    server = ReportingServer(children=children)
    state = run(flow, make_reporter(server, flow, flush_interval=0.01))
    assert state.is_successful()
    _assert_all_stored_once(server, slug)
    methods = _methods(server)
    assert methods.count("write_run_report") >= 10
    # no report was refused for a stale version: none was sent apart
    assert "set_task_run_states" not in methods and "write_run_logs" not in methods
    # with children, each child is created by the first report naming it, none by a request
    assert ("task_runs" not in methods) == children
    assert server.children_created == (500 if children else 0)


@pytest.mark.parametrize("children", [False, True])
@pytest.mark.parametrize("report", [2, 5])
def test_a_refused_report_drops_the_one_made_after_it_and_nothing_is_lost(small_batches, report,
                                                                          children):
    flow, slug = _big_map()
    server = ReportingServer(refuse_report=report, children=children)
    reporter = make_reporter(server, flow, flush_interval=0.01)
    assert run(flow, reporter).is_successful()
    _assert_all_stored_once(server, slug)
    methods = _methods(server)
    assert "set_task_run_states" in methods or "write_run_logs" in methods  # the refused one
    assert not reporter.refusals


@pytest.mark.parametrize("children", [False, True])
@pytest.mark.parametrize("report", [2, 5])
def test_a_lost_answer_while_the_next_report_was_ready_stores_nothing_twice(small_batches, report,
                                                                            children):
    flow, slug = _big_map()
    server = ReportingServer(lose_report=report, children=children)
    reporter = make_reporter(server, flow, flush_interval=0.01)
    assert run(flow, reporter).is_successful()
    _assert_all_stored_once(server, slug)
    assert not reporter.refusals


def test_children_that_exist_already_are_found_the_old_way_and_stored_once(small_batches):
    """A restarted run's children exist on the server under their own ids: the first report
    creating them is refused, and the run finds them instead (nothing lost, nothing twice)."""
    flow, slug = _big_map()
    server = ReportingServer(children=True)
    existing = {i: server.add_task_run(slug, i).id for i in range(500)}
    reporter = make_reporter(server, flow, flush_interval=0.01)
    assert run(flow, reporter).is_successful()
    _assert_all_stored_once(server, slug)
    assert server.children_created == 0
    assert {run_["key"][1]: run_id for run_id, run_ in server.runs.items()
            if run_["key"][0] == slug and run_["key"][1] >= 0} == existing
    assert "task_runs" in _methods(server)
    assert not reporter.refusals


def test_a_report_creating_children_whose_answer_was_lost_creates_them_once():
    flow = _map_flow()
    server = ReportingServer(children=True, lose_report=1)
    reporter = make_reporter(server, flow)
    assert run(flow, reporter).is_successful()
    slug = flow.slugs[flow.get_tasks(name="double")[0]]
    assert all(server.states_of(slug, i) == ["Running", "Success"] for i in range(3))
    assert server.children_created == 3
    assert not reporter.refusals


def test_a_report_of_log_records_alone_whose_answer_was_lost_is_stored_once():
    # no task state in it, so no version to tell: the records' ids do
    with Flow("logs only") as flow:
        add(1, 2)
    server = ReportingServer()
    reporter = make_reporter(server, flow)
    server.lose_next_response = True
    with reporter:
        for number in range(5):
            reporter.add_log(None, {"name": "prefect_jupyter.test", "level": "INFO",
                                    "message": f"line {number}", "timestamp": None})
    assert [log["message"] for log in server.logs] == [f"line {n}" for n in range(5)]
    assert len({log["id"] for log in server.logs}) == 5
    assert _methods(server).count("write_run_report") == 1  # not sent again
