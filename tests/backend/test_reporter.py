"""The run reporter: an observer that sends a run's states, logs and heartbeats in batches.

These tests run real flows through the engine with the reporter as observer, against an
in-process fake of the server's write API that keeps versions the way the server does (a write
must carry the current version; each accepted write adds one; a batch is all or nothing).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import Any

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.backend.logs import shipping_logs
from prefect_jupyter.backend.reporter import RunReporter, TaskRunRef
from prefect_jupyter.client.errors import ServerUnavailable, WriteRejected
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.executors import LocalExecutor


class FakeServer:
    """The write API of the server, in memory."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids = itertools.count()
        self.runs: dict[str, dict[str, Any]] = {}  # id -> {key, version, states}
        self.flow_run = {"state": "Running", "version": 3, "states": []}
        self.logs: list[dict[str, Any]] = []
        self.requests: list[tuple[str, int]] = []  # (method, number of items)
        self.heartbeats: list[str] = []
        self.down_until = 0.0  # monotonic time before which every call fails
        self.lose_next_response = False  # store the next write, then fail as if disconnected
        self.write_delay = 0.0
        self.writes_open = threading.Event()  # cleared: task-run writes wait until it is set
        self.writes_open.set()

    # helpers for tests
    def add_task_run(self, task_id: str, map_index: int = -1) -> TaskRunRef:
        run_id = f"tr-{next(self.ids)}"
        self.runs[run_id] = {"key": (task_id, map_index), "version": 1, "states": []}
        return TaskRunRef(run_id, 1)

    def states_of(self, task_id: str, map_index: int = -1) -> list[str]:
        for run in self.runs.values():
            if run["key"] == (task_id, map_index):
                return [s["type"] for s in run["states"]]
        return []

    def _check_up(self) -> None:
        if time.monotonic() < self.down_until:
            raise ServerUnavailable("connection refused")

    def _after_write(self) -> None:
        if self.lose_next_response:
            self.lose_next_response = False
            raise ServerUnavailable("connection reset")

    # the ReportAPI
    def task_runs(self, flow_run_id: str, keys: list[tuple[str, int]]) -> list[TaskRunRef]:
        self._check_up()
        self.requests.append(("task_runs", len(keys)))
        refs = []
        for key in keys:
            found = [TaskRunRef(i, r["version"]) for i, r in self.runs.items() if r["key"] == key]
            refs.append(found[0] if found else self.add_task_run(*key))
        return refs

    def task_run_versions(self, task_run_ids: list[str]) -> dict[str, int]:
        self._check_up()
        return {i: self.runs[i]["version"] for i in task_run_ids}

    def flow_run_state(self, flow_run_id: str) -> tuple[str, int]:
        self._check_up()
        return self.flow_run["state"], self.flow_run["version"]

    def set_task_run_states(self, states: list[dict[str, Any]]) -> None:
        self._check_up()
        time.sleep(self.write_delay)
        self.writes_open.wait()
        with self.lock:
            self.requests.append(("set_task_run_states", len(states)))
            versions = {i: r["version"] for i, r in self.runs.items()}
            for item in states:  # all or nothing
                if versions[item["task_run_id"]] != item["version"]:
                    raise WriteRejected(f"stale version {item['version']}")
                versions[item["task_run_id"]] += 1
            for item in states:
                run = self.runs[item["task_run_id"]]
                run["version"] += 1
                run["states"].append(item["state"])
        self._after_write()

    def set_flow_run_states(self, states: list[dict[str, Any]]) -> None:
        self._check_up()
        self.requests.append(("set_flow_run_states", len(states)))
        for item in states:
            if item["version"] != self.flow_run["version"]:
                raise WriteRejected("stale version")
            self.flow_run["version"] += 1
            self.flow_run["state"] = item["state"]["type"]
            self.flow_run["states"].append(item["state"])
        self._after_write()

    def write_run_logs(self, logs: list[dict[str, Any]]) -> None:
        self._check_up()
        self.requests.append(("write_run_logs", len(logs)))
        self.logs.extend(logs)

    def flow_run_heartbeat(self, flow_run_id: str) -> None:
        self._check_up()
        self.heartbeats.append(flow_run_id)

    def task_run_heartbeat(self, task_run_id: str) -> None:
        self._check_up()
        self.heartbeats.append(task_run_id)


def make_reporter(server: FakeServer, flow: Flow, **kwargs: Any) -> RunReporter:
    """A reporter for a flow whose task ids are its slugs and whose task runs exist already."""
    task_runs = {(slug, -1): server.add_task_run(slug) for slug in flow.slugs.values()}
    kwargs.setdefault("flush_interval", 0.05)
    kwargs.setdefault("heartbeat_interval", 0)
    kwargs.setdefault("retry_budget", 5)
    kwargs.setdefault("max_backoff", 0.05)
    return RunReporter(
        server, "fr-1", flow, task_runs, {s: s for s in flow.slugs.values()},
        flow_run_version=server.flow_run["version"], **kwargs,
    )


def run(flow: Flow, reporter: RunReporter, **kwargs: Any) -> Any:
    with reporter, shipping_logs(reporter):
        return FlowRunner(flow, observers=[reporter]).run(
            executor=LocalExecutor(), task_contexts=reporter.task_contexts(), **kwargs
        )


@task
def add(x, y):
    return x + y


@task
def boom():
    raise ValueError("no luck")


@task
def numbers():
    return [1, 2, 3]


@task
def double(x):
    logging.getLogger("prefect_jupyter.double").info("doubling %s", x)
    return 2 * x


@task
def nap():
    time.sleep(0.3)


def test_every_state_reaches_the_server_in_order_and_the_flow_state_last():
    with Flow("adds") as flow:
        a = add(1, 2)
        add(a, 3)
    server = FakeServer()
    state = run(flow, make_reporter(server, flow))
    assert state.is_successful()
    for slug in flow.slugs.values():
        assert server.states_of(slug) == ["Running", "Success"]
        run_ = [r for r in server.runs.values() if r["key"] == (slug, -1)][0]
        assert run_["version"] == 3  # 1 + two accepted writes
    # the engine's own Running is not written again (the executor set it); the final state is
    assert [s["type"] for s in server.flow_run["states"]] == ["Success"]
    assert server.flow_run["states"][0]["message"] == "All reference tasks succeeded."
    assert server.requests[-1][0] in ("set_flow_run_states", "write_run_logs")
    last_task_write = max(i for i, r in enumerate(server.requests) if r[0] == "set_task_run_states")
    flow_write = [i for i, r in enumerate(server.requests) if r[0] == "set_flow_run_states"][0]
    assert flow_write > last_task_write


def test_failed_task_state_carries_its_message():
    with Flow("fails") as flow:
        boom()
    server = FakeServer()
    state = run(flow, make_reporter(server, flow))
    assert state.is_failed()
    run_ = list(server.runs.values())[0]
    assert [s["type"] for s in run_["states"]] == ["Running", "Failed"]
    assert "no luck" in run_["states"][-1]["message"]
    assert server.flow_run["states"][-1]["message"] == "Some reference tasks failed."


def test_states_are_batched_not_sent_one_request_each():
    with Flow("many") as flow:
        for i in range(30):
            add(i, 1)
    server = FakeServer()
    run(flow, make_reporter(server, flow, flush_interval=0.3))
    writes = [n for method, n in server.requests if method == "set_task_run_states"]
    assert sum(writes) == 60
    assert len(writes) <= 3, writes


def test_engine_never_waits_for_the_server():
    with Flow("slow server") as flow:
        for i in range(10):
            add(i, 1)
    server = FakeServer()
    server.writes_open.clear()  # the server takes no task-run write until the run has ended
    reporter = make_reporter(server, flow)
    with reporter:
        state = FlowRunner(flow, observers=[reporter]).run(executor=LocalExecutor())
        # the run ended while every write was still held up at the server
        assert state.is_successful()
        assert not [r for r in server.requests if r[0] == "set_task_run_states"]
        server.writes_open.set()
    assert all(server.states_of(s) == ["Running", "Success"] for s in flow.slugs.values())


def test_mapped_children_get_their_task_runs_in_one_request():
    with Flow("maps") as flow:
        double.map(numbers())
    server = FakeServer()
    state = run(flow, make_reporter(server, flow))
    assert state.is_successful()
    slug = flow.slugs[flow.get_tasks(name="double")[0]]
    assert server.states_of(slug) == ["Mapped"]
    for i in range(3):
        assert server.states_of(slug, i) == ["Running", "Success"]
    created = [n for method, n in server.requests if method == "task_runs"]
    assert created == [3]


@task
def many(n):
    return list(range(n))


def test_all_children_of_a_mapped_task_are_created_once_its_mapped_state_says_how_many(
    monkeypatch,
):
    from prefect_jupyter.backend import sending

    monkeypatch.setattr(sending, "MAX_CHILDREN", 500)
    with Flow("big map") as flow:
        double.map(many(1_200))
    server = FakeServer()
    # one round for the whole run: the children's states span three batches of states
    state = run(flow, make_reporter(server, flow, flush_interval=30))
    assert state.is_successful()
    slug = flow.slugs[flow.get_tasks(name="double")[0]]
    assert all(server.states_of(slug, i) == ["Running", "Success"] for i in (0, 599, 1_199))
    created = [n for method, n in server.requests if method == "task_runs"]
    assert created == [500, 500, 200]


def test_logs_are_shipped_with_their_task_run():
    with Flow("maps") as flow:
        double.map(numbers())
    server = FakeServer()
    run(flow, make_reporter(server, flow))
    slug = flow.slugs[flow.get_tasks(name="double")[0]]
    child_ids = {r["key"][1]: i for i, r in server.runs.items() if r["key"][0] == slug}
    doubling = [log for log in server.logs if log["message"].startswith("doubling")]
    assert sorted(log["message"] for log in doubling) == ["doubling 1", "doubling 2", "doubling 3"]
    for log in doubling:
        index = int(log["message"].split()[-1]) - 1
        assert log["task_run_id"] == child_ids[index]
        assert log["flow_run_id"] == "fr-1"
        assert log["level"] == "INFO" and log["name"] == "prefect_jupyter.double"
    flow_logs = [log for log in server.logs if "Beginning Flow run" in log["message"]]
    assert flow_logs and flow_logs[0]["task_run_id"] is None


def test_states_kept_while_the_server_is_down_and_sent_in_order_later(caplog):
    with Flow("outage") as flow:
        a = add(1, 2)
        b = add(a, 3)
        add(b, 4)
    server = FakeServer()
    server.down_until = time.monotonic() + 0.4
    state = run(flow, make_reporter(server, flow))
    assert state.is_successful()
    for slug in flow.slugs.values():
        assert server.states_of(slug) == ["Running", "Success"]
    assert [s["type"] for s in server.flow_run["states"]] == ["Success"]
    assert "The server can't take the reports" in caplog.text


def test_a_write_stored_before_the_connection_dropped_is_not_stored_twice():
    with Flow("lost answer") as flow:
        add(1, 2)
    server = FakeServer()
    server.lose_next_response = True
    run(flow, make_reporter(server, flow))
    slug = list(flow.slugs.values())[0]
    assert server.states_of(slug) == ["Running", "Success"]
    assert [s["type"] for s in server.flow_run["states"]] == ["Success"]


def test_lost_answer_to_the_final_flow_state_is_not_written_twice():
    with Flow("lost final") as flow:
        add(1, 2)
    server = FakeServer()
    reporter = make_reporter(server, flow)
    original = server.set_flow_run_states

    def lose_first(states):
        server.set_flow_run_states = original
        server.lose_next_response = True
        original(states)

    server.set_flow_run_states = lose_first
    run(flow, reporter)
    assert [s["type"] for s in server.flow_run["states"]] == ["Success"]
    assert reporter.flow_run_version == server.flow_run["version"]


def test_a_stale_version_is_refreshed_and_the_state_written():
    with Flow("stale") as flow:
        add(1, 2)
    server = FakeServer()
    reporter = make_reporter(server, flow)
    for run_ in server.runs.values():
        run_["version"] = 7  # someone else wrote meanwhile
    run(flow, reporter)
    assert server.states_of(list(flow.slugs.values())[0]) == ["Running", "Success"]


def test_a_cancelled_run_is_not_overwritten_with_its_final_state():
    with Flow("cancelled") as flow:
        add(1, 2)
    server = FakeServer()
    reporter = make_reporter(server, flow)
    server.flow_run.update(state="Cancelling", version=9)
    run(flow, reporter)
    assert server.flow_run["state"] == "Cancelling"
    assert reporter.cancelled


def test_heartbeats_for_the_flow_run_and_running_tasks():
    with Flow("naps") as flow:
        nap()
    server = FakeServer()
    reporter = make_reporter(server, flow, heartbeat_interval=0.05)
    run(flow, reporter)
    task_run_id = list(server.runs)[0]
    assert server.heartbeats.count("fr-1") >= 2
    assert task_run_id in server.heartbeats


def test_close_gives_up_after_the_retry_budget(caplog):
    with Flow("gone") as flow:
        add(1, 2)
    server = FakeServer()
    server.down_until = time.monotonic() + 60
    reporter = make_reporter(server, flow, retry_budget=0.3)
    reporter.start()
    FlowRunner(flow, observers=[reporter]).run(executor=LocalExecutor())
    began = time.monotonic()
    assert reporter.close() is False
    assert time.monotonic() - began < 30  # gave up, rather than wait out the 60 s outage
    assert "Gave up reporting flow run fr-1" in caplog.text
    assert "cloud.agent.retry_budget" in caplog.text


@pytest.mark.parametrize("executor", ["threads"])
def test_reports_from_worker_threads(executor):
    from prefect_jupyter.executors import LocalDaskExecutor

    with Flow("parallel") as flow:
        for i in range(8):
            add(i, 1)
    server = FakeServer()
    reporter = make_reporter(server, flow)
    with reporter:
        FlowRunner(flow, observers=[reporter]).run(executor=LocalDaskExecutor(scheduler=executor))
    for slug in flow.slugs.values():
        assert server.states_of(slug) == ["Running", "Success"]


class DeletedRunServer(FakeServer):
    """The flow run was deleted while it ran: every write is refused, nothing can be read."""

    def task_runs(self, flow_run_id, keys):
        raise WriteRejected("Flow run fr-1 not found")

    def task_run_versions(self, task_run_ids):
        return {}

    def flow_run_state(self, flow_run_id):
        raise WriteRejected("Flow run fr-1 not found")

    def set_task_run_states(self, states):
        raise WriteRejected("Task run not found")

    def set_flow_run_states(self, states):
        raise WriteRejected("Flow run fr-1 not found")

    def write_run_logs(self, logs):
        raise WriteRejected("Flow run fr-1 not found")


def test_a_run_deleted_meanwhile_does_not_hold_the_process(caplog):
    with Flow("deleted") as flow:
        double.map(numbers())
    server = DeletedRunServer()
    reporter = make_reporter(server, flow, retry_budget=30)
    began = time.monotonic()
    state = run(flow, reporter)
    assert state.is_successful()  # the run itself is not disturbed
    assert time.monotonic() - began < 25  # did not spend its 30 s retry budget on the run
    assert reporter.pending() == 0
    assert "its states and logs are not reported" in caplog.text
    assert "can't be read any more" in caplog.text


def test_the_final_flow_state_waits_for_every_log_record():
    with Flow("logs first") as flow:
        double.map(numbers())
    server = FakeServer()
    original = server.write_run_logs
    failures = iter(range(3))

    def database_unavailable_at_first(logs):
        if next(failures, None) is not None:  # the server answers 503: its database is away
            raise ServerUnavailable("database unavailable", status=503)
        original(logs)

    server.write_run_logs = database_unavailable_at_first
    run(flow, make_reporter(server, flow))
    kinds = [kind for kind, _ in server.requests]
    assert kinds[-1] == "set_flow_run_states"
    assert kinds.index("set_flow_run_states") > max(i for i, k in enumerate(kinds) if k == "write_run_logs")
    doubling = sorted(log["message"] for log in server.logs if log["message"].startswith("doubling"))
    assert doubling == ["doubling 1", "doubling 2", "doubling 3"]


def test_database_errors_are_retried_and_only_refusals_dropped_and_logged(caplog):
    with Flow("refusals") as flow:
        add(1, 2)
        add(3, 4)
    server = FakeServer()
    reporter = make_reporter(server, flow)
    refused_slug = sorted(flow.slugs.values())[0]
    refused_id = reporter.task_runs[(refused_slug, -1)].id
    original = server.set_task_run_states
    unavailable = iter(range(2))

    def flaky_and_strict(states):
        if next(unavailable, None) is not None:
            raise ServerUnavailable("database is locked", [{"extensions": {"code": "DATABASE_UNAVAILABLE"}}])
        if any(item["task_run_id"] == refused_id and item["state"]["type"] == "Success"
               for item in states):
            raise WriteRejected("Invalid transition", [{"extensions": {"code": "INVALID_TRANSITION"}}])
        original(states)

    server.set_task_run_states = flaky_and_strict
    state = run(flow, reporter)
    assert state.is_successful()
    other = sorted(flow.slugs.values())[1]
    assert server.states_of(other) == ["Running", "Success"]  # stored after the database came back
    assert server.states_of(refused_slug) == ["Running"]  # the refused one is dropped...
    assert len(reporter.refusals) == 1 and "Invalid transition" in reporter.refusals[0]
    assert "refused state Success" in caplog.text  # ...and said so
    assert [s["type"] for s in server.flow_run["states"]] == ["Success"]


def test_a_finished_flow_state_is_held_while_a_log_record_waits():
    with Flow("held") as flow:
        double.map(numbers())
    server = FakeServer()
    logs_back = threading.Event()
    original = server.write_run_logs

    def logs_unavailable_until_set(logs):
        if not logs_back.is_set():
            raise ServerUnavailable("database unavailable", status=503)
        original(logs)

    server.write_run_logs = logs_unavailable_until_set
    reporter = make_reporter(server, flow)
    reporter.start()
    with shipping_logs(reporter):
        state = FlowRunner(flow, observers=[reporter]).run(
            executor=LocalExecutor(), task_contexts=reporter.task_contexts())
    assert state.is_successful()
    slug = flow.slugs[flow.get_tasks(name="double")[0]]
    deadline = time.monotonic() + 60
    while server.states_of(slug, 2)[-1:] != ["Success"]:  # every task state is stored...
        assert time.monotonic() < deadline, "the task states never arrived"
        time.sleep(0.01)
    assert server.flow_run["states"] == []  # ...but not the run's end: its logs are not
    logs_back.set()
    assert reporter.close()
    assert [s["type"] for s in server.flow_run["states"]] == ["Success"]
    assert server.requests[-1][0] == "set_flow_run_states"
