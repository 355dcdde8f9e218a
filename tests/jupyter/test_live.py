"""Live updates: state events (from any thread) become few, correct widget updates."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

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
from prefect_jupyter.jupyter import widget as widget_module
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


class FrontEnd:
    """What the browser holds: ``states`` with ``changes`` on top, merged as flow_widget.js does.

    ``updates`` has one ``(time.monotonic(), node states)`` per message that changed node states
    (a message may set both traits: those count once).
    """

    def __init__(self, widget: FlowWidget) -> None:
        self.widget = widget
        self.live = {**widget.states, **widget.changes}
        self.updates: list[tuple[float, dict[str, Any]]] = []
        widget.observe(self._on_states, names="states")
        widget.observe(self._on_changes, names="changes")

    def _on_states(self, change: dict) -> None:
        self.live = {**change["new"], **self.widget.changes}
        self._note()

    def _on_changes(self, change: dict) -> None:
        self.live.update(change["new"])
        self._note()

    def _note(self) -> None:
        now = time.monotonic()
        if self.updates and now - self.updates[-1][0] < 0.005:
            self.updates.pop()  # the same message
        self.updates.append((now, dict(self.live)))


def wait_for(condition: Any, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class TestCoalescing:
    def test_a_burst_of_1000_events_makes_a_few_updates_with_the_final_states(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        pushes = FrontEnd(widget).updates
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
        front = FrontEnd(widget)

        wait_for(lambda: front.live[flow.slugs[src]]["state"] == "Success")
        assert widget.header["running"] is True
        live.close()

    def test_a_steady_stream_is_pushed_about_every_100_ms(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        node = flow.slugs[wrk]
        front = FrontEnd(widget)
        live, ev = widget.observe_run(), Events()
        live(ev.flow(Running()))
        live(ev.task(wrk, Mapped(n_map_states=30)))
        for i in range(30):  # one event every ~10 ms
            live(ev.task(wrk, Success(), map_index=i))
            time.sleep(0.01)

        def done() -> list[tuple[float, int]]:  # (when, children done) per message
            return [(t, states[node]["counts"].get("Success", 0)) for t, states in front.updates]

        wait_for(lambda: done()[-1][1] == 30)
        seen = done()

        # every event is shown, in order (the lag on screen is measured by
        # tests/benchmarks/widget_scale.py, not guessed at here)
        counts = [done for _, done in seen]
        assert counts == sorted(counts) and counts[-1] == 30
        # pushes are coalesced: one per FLUSH_INTERVAL at most, however fast events come
        gaps = [b[0] - a[0] for a, b in zip(seen[1:], seen[2:], strict=False)]
        assert min(gaps) > 0.05 and sum(gaps) / len(gaps) > 0.09
        live.close()


class TestMessages:
    def test_updates_carry_only_changed_nodes_and_a_run_ends_with_every_state(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(widget_module, "FULL_STATES_INTERVAL", 60.0)
        with Flow("many") as flow:
            for i in range(50):
                source.copy(name=f"s{i:02}")()
        first, second = (flow.slugs[t] for t in sorted(flow.tasks, key=lambda t: t.name)[:2])
        by_slug = {slug: task for task, slug in flow.slugs.items()}
        widget = FlowWidget(flow)
        front = FrontEnd(widget)
        live, ev = widget.observe_run(), Events()
        live(ev.flow(Running()))
        live.flush(full=False)  # the run's first update has every node (a run resets them all)
        assert len(widget.states) == 50 and widget.changes == {}

        live(ev.task(by_slug[first], Success()))
        live.flush(full=False)  # as the timer does
        assert list(widget.changes) == [first]
        assert widget.states[first]["state"] is None  # not sent again
        assert front.live[first]["state"] == "Success"  # what the browser shows

        live(ev.task(by_slug[second], Success()))
        live.flush(full=False)  # the timer took the last change just before the run ended...
        live(ev.flow(Success()))  # ...and the run's end still sends every node's state
        assert widget.changes == {}
        assert [n for n, s in widget.states.items() if s["state"] == "Success"] == [first, second]
        assert front.live == widget.states


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

    def test_a_mapped_node_shows_running_until_its_last_child_finishes(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        live, ev = widget.observe_run(), Events()
        node = flow.slugs[wrk]
        live(ev.flow(Running()))
        live(ev.task(wrk, Running()))
        live(ev.task(wrk, Mapped("Ready to proceed with mapping.", n_map_states=2)))
        live.flush()
        assert widget.states[node]["state"] == "Running"
        assert widget.states[node]["color"] == Running.color

        live(ev.task(wrk, Running(), map_index=0))
        live(ev.task(wrk, Failed("bad"), map_index=0))
        live(ev.task(wrk, Running(), map_index=1))
        live.flush()
        widget.selected = node
        assert (widget.states[node]["state"], widget.details["state"]) == ("Running", "Running")
        assert widget.states[node]["counts"] == {"Failed": 1, "Running": 1}

        live(ev.task(wrk, Success(), map_index=1))
        live.flush()
        assert widget.states[node]["state"] == "Mapped"
        assert widget.states[node]["color"] == Mapped.color
        assert widget.details["state"] == "Mapped"
        live(ev.flow(Failed()))

    def test_a_mapped_node_left_unfinished_by_its_run_shows_its_own_state(self) -> None:
        flow, src, wrk = small_flow()
        widget = FlowWidget(flow)
        live, ev = widget.observe_run(), Events()
        live(ev.flow(Running()))
        live(ev.task(wrk, Mapped(n_map_states=3)))
        live(ev.task(wrk, Running(), map_index=0))
        live.flush()
        assert widget.states[flow.slugs[wrk]]["state"] == "Running"
        live(ev.flow(Failed("interrupted")))  # the run ended without the children ending
        assert widget.states[flow.slugs[wrk]]["state"] == "Mapped"

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
