"""The widget's header and mapped counts: what is done, what failed, what was cancelled."""

from __future__ import annotations

import time
from typing import Any

from prefect_jupyter import Flow, task
from prefect_jupyter.engine.events import StateEvent
from prefect_jupyter.engine.state import Cancelled, Mapped, Pending, Running, Success
from prefect_jupyter.jupyter import FlowWidget


@task
def dbl(x: int) -> int:
    return 2 * x


@task
def items(n: int) -> list[int]:
    return list(range(n))


def event(run: str, task_: Any, new: Any, map_index: int | None = None) -> StateEvent:
    return StateEvent(run, task_, map_index, Pending(), new, time.time())


def test_a_map_over_a_literal_list_counts_one_task() -> None:
    with Flow("pf") as flow:
        dbl.map([1, 2])
    widget = FlowWidget(flow)
    state = flow.run(observers=[widget.observe_run()])
    assert (widget.header["done"], widget.header["total"]) == (1, 1)
    widget.apply_state(state)  # the magics colour the widget from the final state too
    assert (widget.header["done"], widget.header["total"]) == (1, 1)


def test_an_interrupted_map_counts_its_cancelled_children_as_cancelled() -> None:
    with Flow("interrupted") as flow:
        dbl.map(items(30))
    src = next(t for t in flow.tasks if t.name == "items")
    mapped = next(t for t in flow.tasks if t.name == "dbl")
    widget = FlowWidget(flow)
    live = widget.observe_run()
    live(event("r", None, Running()))
    live(event("r", src, Success(result=list(range(30)))))
    children = [Success(result=2 * i) for i in range(8)] + [Cancelled("interrupted")] * 22
    live(event("r", mapped, Mapped(map_states=children)))
    for i, child in enumerate(children):
        live(event("r", mapped, child, i))
    live(event("r", None, Cancelled("Flow run was interrupted (KeyboardInterrupt).")))
    node = widget.states[flow.slugs[mapped]]
    assert node["counts"] == {"Cancelled": 22, "Success": 8}
    assert node["n_children"] == 30
    header = widget.header
    assert header["state"] == "Cancelled" and header["running"] is False
    assert (header["done"], header["total"], header["failed"]) == (2, 2, 0)


def test_a_big_map_shows_its_rate_and_time_left_while_it_runs() -> None:
    with Flow("big") as flow:
        dbl.map(items(100))
    src = next(t for t in flow.tasks if t.name == "items")
    mapped = next(t for t in flow.tasks if t.name == "dbl")
    widget = FlowWidget(flow)
    live = widget.observe_run()
    now = time.time()
    live(StateEvent("r", None, None, Pending(), Running(), now - 10))  # started 10 s ago
    live(event("r", src, Success(result=list(range(100)))))
    live(event("r", mapped, Mapped(map_states=[Pending()] * 100)))
    for i in range(25):
        live(event("r", mapped, Success(result=i), i))
    live.flush()
    header = widget.header
    assert header["children"] == [25, 100]
    elapsed = header["elapsed"]
    assert elapsed >= 10
    assert abs(header["rate"] - 25 / elapsed) <= 0.05
    assert abs(header["eta"] - 3 * elapsed) <= 0.1  # 75 left at 25 per `elapsed` seconds
    live.close()


def test_a_flow_shown_as_a_value_after_a_run_shows_that_run_s_states(monkeypatch) -> None:  # noqa: ANN001
    import IPython.display

    from prefect_jupyter.jupyter import extension
    from prefect_jupyter.jupyter.graph_mime import GRAPH_MIME

    with Flow("shown") as flow:
        dbl.map(items(3))
    widget = FlowWidget(flow)
    flow.run(observers=[widget.observe_run()])
    shown: list[dict] = []
    monkeypatch.setattr(IPython.display, "display", lambda data, raw=False: shown.append(data))
    extension._display_flow(flow)  # what a cell ending in `flow` shows
    nodes = {n["id"]: n for n in shown[0][GRAPH_MIME]["nodes"]}
    assert nodes[flow.slugs[next(t for t in flow.tasks if t.name == "dbl")]]["counts"] == {"Success": 3}
