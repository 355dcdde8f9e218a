"""Live updates: state events (from any thread) become few, correct widget updates."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from prefect_jupyter import Flow, context, task
from prefect_jupyter.engine import events
from prefect_jupyter.engine.events import StateEvent
from prefect_jupyter.engine.state import (
    Failed,
    Mapped,
    Pending,
    Retrying,
    Running,
    State,
    Success,
)
from prefect_jupyter.jupyter import FlowWidget
from prefect_jupyter.jupyter.live import LOG_LINES
from prefect_jupyter.utilities.logging import get_logger


@task
def source() -> list[int]:
    return list(range(4))


@task
def work(x: int) -> int:
    return x


@task
def chatty() -> None:
    logger = get_logger("chatty")
    for i in range(LOG_LINES + 20):
        logger.info("line %d", i)


def small_flow() -> tuple[Flow, Any, Any]:
    """source -> work.map (a mapped node) and a separate plain task."""
    with Flow("live") as flow:
        work.map(source())
    return (
        flow,
        next(t for t in flow.tasks if t.name == "source"),
        next(t for t in flow.tasks if t.name == "work"),
    )


class Events:
    """Build the events a run of ``flow_run_id`` would publish."""

    def __init__(self, flow_run_id: str = "run-1") -> None:
        self.flow_run_id = flow_run_id

    def task(self, task_: Any, new: State, map_index: int | None = None) -> StateEvent:
        return StateEvent(self.flow_run_id, task_, map_index, Pending(), new, time.time())

    def flow(self, new: State) -> StateEvent:
        return StateEvent(self.flow_run_id, None, None, Pending(), new, time.time())


def count_states_changes(widget: FlowWidget) -> list[float]:
    """Times at which ``widget.states`` was assigned a new value."""
    times: list[float] = []
    widget.observe(lambda change: times.append(time.monotonic()), names="states")
    return times


def wait_for(condition: Any, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class TestCoalescing:
    def test_a_burst_of_1000_events_makes_a_few_updates_with_the_final_states(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        pushes = count_states_changes(widget)
        live, ev = widget.observe_run(), Events()

        live(ev.flow(Running()))
        live(ev.task(wrk, Mapped(n_map_states=1000)))
        for i in range(1000):
            live(ev.task(wrk, Running(), map_index=i))
            live(ev.task(wrk, Success() if i % 10 else Failed(), map_index=i))
        live(ev.task(src, Success()))
        live(ev.flow(Failed()))

        assert 1 <= len(pushes) <= 4
        node = widget.states[flow.slugs[wrk]]
        assert node["counts"] == {"Failed": 100, "Success": 900}
        assert node["n_children"] == 1000
        assert widget.states[flow.slugs[src]]["state"] == "Success"
        assert widget.run_state == "Failed"

    def test_without_a_flow_end_the_timer_delivers_the_last_changes(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        live, ev = widget.observe_run(), Events()
        live(ev.flow(Running()))
        for _ in range(200):
            live(ev.task(src, Running()))
        live(ev.task(src, Success()))

        wait_for(lambda: widget.states[flow.slugs[src]]["state"] == "Success")
        assert widget.header["running"] is True
        live.close()

    def test_a_steady_stream_is_pushed_about_every_100_ms_with_little_lag(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        node = flow.slugs[wrk]
        seen: list[tuple[float, int]] = []  # (when, children done) per push
        widget.observe(
            lambda c: seen.append((time.monotonic(), c["new"][node]["counts"].get("Success", 0))),
            names="states",
        )
        live, ev = widget.observe_run(), Events()
        live(ev.flow(Running()))
        live(ev.task(wrk, Mapped(n_map_states=30)))
        sent = []
        for i in range(30):  # one event every ~10 ms
            live(ev.task(wrk, Success(), map_index=i))
            sent.append(time.monotonic())
            time.sleep(0.01)
        wait_for(lambda: seen[-1][1] == 30)

        lags = sorted(next(t for t, done in seen if done > i) - sent[i] for i in range(30))
        # the spec is <= 250 ms behind the engine; a loaded CI machine may delay a thread now
        # and then, so the typical lag is held to that and the worst to twice it
        assert lags[len(lags) // 2] < 0.15 and lags[-1] < 0.5
        gaps = [b[0] - a[0] for a, b in zip(seen[1:], seen[2:], strict=False)]
        assert min(gaps) > 0.05 and sum(gaps) / len(gaps) > 0.09  # ~10 updates a second at most
        assert len(seen) <= 8
        live.close()


class TestThreads:
    def test_events_from_8_threads_at_once_all_count(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        live, ev = widget.observe_run(), Events()
        live(ev.flow(Running()))
        live(ev.task(wrk, Mapped(n_map_states=800)))
        start = threading.Barrier(8)

        def fire(thread: int) -> None:
            start.wait()
            for i in range(thread * 100, thread * 100 + 100):
                live(ev.task(wrk, Running(), map_index=i))
                live(ev.task(wrk, Failed() if thread == 7 else Success(), map_index=i))

        threads = [threading.Thread(target=fire, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        live(ev.task(src, Success()))
        live(ev.flow(Failed()))

        node = widget.states[flow.slugs[wrk]]
        assert node["counts"] == {"Failed": 100, "Success": 700}
        assert widget.header["done"] == widget.header["total"] == 2

    def test_log_lines_from_worker_threads_go_to_their_task(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        live, ev = widget.observe_run(), Events()
        live(ev.flow(Running()))
        node = flow.slugs[wrk]

        def child(i: int) -> None:
            with context(
                flow_run_id="run-1", task_slug=node, map_index=i, task_full_name=f"work[{i}]"
            ):
                get_logger("work").info("hello from %d", i)

        threads = [threading.Thread(target=child, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        get_logger("work").info("not in a task: not kept")
        live(ev.flow(Success()))

        widget.selected = f"{node}[3]"
        assert [line.split(" ", 2)[2] for line in widget.details["logs"]] == [
            "work[3]: hello from 3"
        ]
        widget.selected = node
        assert len(widget.details["logs"]) == 8


class TestRunTracking:
    def test_a_mapped_task_is_done_only_when_all_its_children_are(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        live, ev = widget.observe_run(), Events()
        live(ev.flow(Running()))
        live(ev.task(wrk, Mapped(n_map_states=3)))
        live(ev.task(wrk, Success(), map_index=0))
        live.flush()
        assert widget.header["done"] == 0
        assert widget.states[flow.slugs[wrk]]["counts"] == {"Success": 1}
        assert widget.states[flow.slugs[wrk]]["n_children"] == 3

        live(ev.task(wrk, Success(), map_index=1))
        live(ev.task(wrk, Success(), map_index=2))
        live.flush()
        assert widget.header["done"] == 1
        live.close()

    def test_a_retried_child_counts_once_under_its_latest_state(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        live, ev = widget.observe_run(), Events()
        live(ev.flow(Running()))
        live(ev.task(wrk, Mapped(n_map_states=1)))
        for state in (Running(), Failed(), Retrying()):
            live(ev.task(wrk, state, map_index=0))
        live.flush()
        assert widget.states[flow.slugs[wrk]]["counts"] == {"Retrying": 1}
        live(ev.task(wrk, Success(), map_index=0))
        live(ev.flow(Success()))
        assert widget.states[flow.slugs[wrk]]["counts"] == {"Success": 1}

    def test_events_of_another_run_are_ignored_while_ours_is_on(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        live, ours, theirs = widget.observe_run(), Events("ours"), Events("theirs")
        live(ours.flow(Running()))
        live(theirs.flow(Running()))
        live(theirs.task(src, Failed()))
        live(ours.task(src, Success()))
        live(theirs.flow(Failed()))
        live(ours.flow(Success()))

        assert widget.states[flow.slugs[src]]["state"] == "Success"
        assert widget.run_state == "Success"

    def test_events_of_other_flows_tasks_are_ignored(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        other = work.copy()
        live, ev = widget.observe_run(), Events()
        live(ev.flow(Running()))
        live(ev.task(other, Failed()))
        live(ev.flow(Success()))
        assert all(s["state"] is None for s in widget.states.values())

    def test_a_widget_observing_every_run_ignores_other_flows_runs(self) -> None:
        flow, src, wrk = small_flow()
        with Flow("other") as other:
            work(1)
        widget = FlowWidget(flow)
        with events.observe(widget.observe_run()):
            flow.run()
            other.run()

        assert widget.states[flow.slugs[wrk]]["counts"] == {"Success": 4}
        assert widget.run_state == "Success"
        assert widget.header["flow"] == "live" and widget.header["done"] == 2


class TestLogCapture:
    def test_the_handler_is_there_only_while_the_run_is_on(self) -> None:
        with Flow("logs") as flow:
            chatty()
        widget = FlowWidget(flow)
        root = logging.getLogger("prefect_jupyter")
        before = list(root.handlers)
        during: list[int] = []

        def peek(event: StateEvent) -> None:
            if event.task is not None:
                during.append(len(root.handlers))

        with events.observe(widget.observe_run()):
            flow.run(observers=[peek])

        assert root.handlers == before
        assert during and all(n == len(before) + 1 for n in during)

    def test_only_the_last_lines_of_a_task_are_kept(self) -> None:
        with Flow("logs") as flow:
            chatty()
        widget = FlowWidget(flow)
        flow.run(observers=[widget.observe_run()])

        widget.selected = flow.slugs[flow.get_tasks(name="chatty")[0]]
        logs = widget.details["logs"]
        assert len(logs) == LOG_LINES
        assert logs[-1].endswith("Finished task run for task with final state: 'Success'")
        assert logs[-2].endswith("chatty: line 69")

    def test_a_flow_run_in_a_background_thread_updates_the_widget(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        result: list[Any] = []
        runner = threading.Thread(
            target=lambda: result.append(flow.run(observers=[widget.observe_run()]))
        )
        runner.start()
        runner.join()

        assert widget.states[flow.slugs[wrk]]["counts"] == {"Success": 4}
        assert widget.run_state == "Success"
