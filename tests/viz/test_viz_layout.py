"""Layout of the graph model: graphviz dot when installed, the pure-Python layered layout
otherwise; both give boxes that do not overlap and edges that join them, once per flow."""

from __future__ import annotations

import random
import shutil
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from prefect_jupyter import Flow, Parameter, Task, case, merge, task, unmapped
from prefect_jupyter.viz import clear_cache, compute_layout, dot_available, graph_model

needs_dot = pytest.mark.skipif(not dot_available(), reason="graphviz `dot` is not installed")
ENGINES = [pytest.param("dot", marks=needs_dot), "layered"]


@task
def inc(x: int, y: int = 1) -> int:
    return x + y


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def is_big(x: int) -> bool:
    return x > 10


def branchy_flow() -> Flow:
    """Parameters, constants, a map, case/merge, and an edge that skips ranks."""
    with Flow("branchy") as flow:
        n = Parameter("n", default=20)
        xs = numbers(n)
        mapped = inc.map(xs, y=unmapped(2))
        cond = is_big(n)
        with case(cond, True):
            big = inc(n)
        with case(cond, False):
            small = inc(n, y=100)
        merged = merge(big, small)
        inc(inc(inc(merged)), y=n)  # n -> last: spans several ranks
        inc.map(mapped)
    return flow


def big_flow(n: int, seed: int = 0) -> Flow:
    """``n`` tasks, each depending on one or two of the 30 tasks before it."""
    rnd = random.Random(seed)
    flow = Flow("big")
    tasks: list[Task] = []
    for i in range(n):
        t = Task(name=f"task-{i}")
        flow.add_task(t)
        window = tasks[-30:]
        for upstream in rnd.sample(window, k=min(len(window), rnd.choice([1, 1, 2]))):
            flow.add_edge(upstream, t)
        tasks.append(t)
    return flow


def overlapping_pairs(nodes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of node boxes that overlap (sweep over x; touching is fine)."""
    boxes = sorted(nodes, key=lambda n: n["x"])
    active: list[dict[str, Any]] = []
    found = []
    for b in boxes:
        active = [a for a in active if a["x"] + a["w"] > b["x"] + 0.01]
        for a in active:
            if a["y"] < b["y"] + b["h"] - 0.01 and b["y"] < a["y"] + a["h"] - 0.01:
                found.append((a["id"], b["id"]))
        active.append(b)
    return found


def distance_to_box(point: list[float], node: dict[str, Any]) -> float:
    px, py = point
    dx = max(node["x"] - px, 0.0, px - (node["x"] + node["w"]))
    dy = max(node["y"] - py, 0.0, py - (node["y"] + node["h"]))
    return (dx * dx + dy * dy) ** 0.5


def check_layout(model: dict[str, Any]) -> None:
    """Every box inside the drawing, no two boxes overlapping, every edge a Bézier path from
    its source's box to its target's box, drawn top to bottom."""
    width, height = model["layout"]["width"], model["layout"]["height"]
    assert width > 0 and height > 0
    nodes = {n["id"]: n for n in model["nodes"]}
    for n in nodes.values():
        assert n["w"] > 0 and n["h"] > 0
        assert 0 <= n["x"] and n["x"] + n["w"] <= width + 0.5, n
        assert 0 <= n["y"] and n["y"] + n["h"] <= height + 0.5, n
    assert overlapping_pairs(list(nodes.values())) == []
    for e in model["edges"]:
        points = e["points"]
        assert len(points) >= 4 and (len(points) - 1) % 3 == 0, e
        assert all(-1 <= x <= width + 1 and -1 <= y <= height + 1 for x, y in points), e
        source, target = nodes[e["source"]], nodes[e["target"]]
        assert distance_to_box(points[0], source) < 3, e
        assert distance_to_box(points[-1], target) < 3, e
        assert source["y"] + source["h"] / 2 < target["y"] + target["h"] / 2, e


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_cache()


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda cmd, *a, **kw: None if cmd == "dot" else real_which(cmd, *a, **kw)
    )


class TestBothEngines:
    @pytest.mark.parametrize("engine", ENGINES)
    def test_branchy_flow(self, engine: str) -> None:
        model = graph_model(branchy_flow(), layout=engine)
        assert model["layout"]["engine"] == engine
        check_layout(model)

    @pytest.mark.parametrize("engine", ENGINES)
    def test_after_a_run(self, engine: str) -> None:
        flow = branchy_flow()
        model = graph_model(flow, flow.run(), layout=engine)
        check_layout(model)

    @pytest.mark.parametrize("engine", ENGINES)
    def test_parallel_edges_each_get_points(self, engine: str) -> None:
        with Flow("twice") as flow:
            a = numbers(2)
            inc(a, y=a)
        model = graph_model(flow, layout=engine)
        assert len([e for e in model["edges"] if e["source"] == flow.slugs[a]]) == 2
        check_layout(model)

    @pytest.mark.parametrize("engine", ENGINES)
    def test_disconnected_parts_do_not_overlap(self, engine: str) -> None:
        flow = Flow("islands")
        for i in range(12):
            flow.add_task(Task(name=f"alone-{i}"))
        flow.chain(*[Task(name=f"chain-{i}") for i in range(5)])
        check_layout(graph_model(flow, layout=engine))

    @pytest.mark.parametrize("engine", ENGINES)
    def test_empty_flow(self, engine: str) -> None:
        model = graph_model(Flow("empty"), layout=engine)
        assert model["nodes"] == [] and model["edges"] == []
        assert model["layout"]["width"] > 0 and model["layout"]["height"] > 0

    @pytest.mark.parametrize("engine", ENGINES)
    def test_states_do_not_move_nodes(self, engine: str) -> None:
        flow = branchy_flow()
        before = graph_model(flow, layout=engine)
        after = graph_model(flow, flow.run(), layout=engine)
        assert [(n["x"], n["y"], n["w"], n["h"]) for n in before["nodes"]] == [
            (n["x"], n["y"], n["w"], n["h"]) for n in after["nodes"]
        ]
        assert [e["points"] for e in before["edges"]] == [e["points"] for e in after["edges"]]

    @pytest.mark.parametrize("engine", ENGINES)
    def test_mapped_nodes_have_room_for_counts(self, engine: str) -> None:
        flow = branchy_flow()
        model = graph_model(flow, layout=engine)
        mapped = [n for n in model["nodes"] if n["kind"] == "mapped"]
        tasks = [n for n in model["nodes"] if n["kind"] == "task"]
        constants = [n for n in model["nodes"] if n["kind"] == "constant"]
        assert mapped and tasks and constants
        assert min(n["h"] for n in mapped) > max(n["h"] for n in tasks)
        assert max(n["h"] for n in constants) < min(n["h"] for n in tasks)


class TestEngineChoice:
    @needs_dot
    def test_dot_is_used_when_installed(self) -> None:
        assert graph_model(branchy_flow())["layout"]["engine"] == "dot"

    def test_layered_is_used_without_dot(self, no_dot: None) -> None:
        model = graph_model(branchy_flow())
        assert model["layout"]["engine"] == "layered"
        check_layout(model)

    def test_asking_for_dot_without_dot_says_how_to_install_it(self, no_dot: None) -> None:
        with pytest.raises(ValueError, match="apt-get install graphviz") as info:
            graph_model(branchy_flow(), layout="dot")
        assert "layout='layered'" in str(info.value)

    def test_a_failing_dot_falls_back_with_a_warning(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        broken = tmp_path / "dot"
        broken.write_text("#!/bin/sh\necho 'Error: out of cheese' >&2\nexit 3\n")
        broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setattr(shutil, "which", lambda cmd, *a, **kw: str(broken))
        with pytest.warns(RuntimeWarning, match="out of cheese"):
            model = graph_model(branchy_flow())
        assert model["layout"]["engine"] == "layered"
        check_layout(model)
        with pytest.raises(RuntimeError, match="out of cheese"):
            graph_model(branchy_flow(), layout="dot")

    @needs_dot
    def test_flows_that_would_make_dot_crawl_get_the_layered_layout(self) -> None:
        # one parameter feeding every task of a 100-task chain: dot needs seconds for this
        flow = Flow("fan over a chain")
        p = Parameter("p", default=1)
        previous = None
        for i in range(100):
            t = Task(name=f"t{i}")
            flow.add_edge(p, t, key="x")
            if previous is not None:
                flow.add_edge(previous, t)
            previous = t
        start = time.process_time()  # CPU time: the layout's cost, not the machine's load
        model = graph_model(flow)
        assert time.process_time() - start < 1.0
        assert model["layout"]["engine"] == "layered"
        check_layout(model)

    def test_a_failing_dot_is_not_run_again_for_the_same_flow(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls = tmp_path / "calls"
        broken = tmp_path / "dot"
        broken.write_text(f"#!/bin/sh\necho run >> {calls}\nexit 1\n")
        broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setattr(shutil, "which", lambda cmd, *a, **kw: str(broken))
        flow = branchy_flow()
        with pytest.warns(RuntimeWarning):
            first = graph_model(flow)
        second = graph_model(flow)
        assert calls.read_text().split() == ["run"]
        assert first == second


class TestCache:
    @pytest.mark.parametrize("engine", ENGINES)
    def test_same_structure_is_laid_out_once(self, engine: str) -> None:
        nodes = [("a", 50.0, 30.0), ("b", 50.0, 30.0), ("c", 60.0, 30.0)]
        edges = [("a", "b"), ("a", "c")]
        first = compute_layout(nodes, edges, engine=engine)
        assert compute_layout(list(nodes), list(edges), engine=engine) is first

    def test_a_different_structure_is_laid_out_again(self) -> None:
        nodes = [("a", 50.0, 30.0), ("b", 50.0, 30.0), ("c", 60.0, 30.0)]
        first = compute_layout(nodes, [("a", "b")], engine="layered")
        second = compute_layout(nodes, [("a", "b"), ("b", "c")], engine="layered")
        assert second is not first
        assert second.positions["c"][1] > second.positions["b"][1]

    def test_changing_a_model_does_not_change_the_cached_layout(self) -> None:
        flow = branchy_flow()
        model = graph_model(flow, layout="layered")
        expected = [(n["x"], n["y"]) for n in model["nodes"]]
        model["nodes"][0]["x"] = -999
        model["edges"][0]["points"][0][0] = -999
        again = graph_model(flow, layout="layered")
        assert [(n["x"], n["y"]) for n in again["nodes"]] == expected
        assert again["edges"][0]["points"][0][0] != -999

    def test_repeated_models_of_a_big_flow_are_cheap(self, no_dot: None) -> None:
        flow = big_flow(1000)
        graph_model(flow)
        start = time.process_time()  # CPU time: the layout's cost, not the machine's load
        graph_model(flow)
        assert time.process_time() - start < 0.5


class TestLayered:
    def test_sources_sit_just_above_what_they_feed(self) -> None:
        with Flow("late parameter") as flow:
            p = Parameter("p", default=1)
            last = inc(inc(inc(inc(1))), y=p)
        nodes = {n["id"]: n for n in graph_model(flow, layout="layered")["nodes"]}
        assert nodes["p"]["y"] + nodes["p"]["h"] < nodes[flow.slugs[last]]["y"]
        first = min(nodes.values(), key=lambda n: n["y"])
        assert nodes["p"]["y"] > first["y"]  # not on the top rank, far from its task

    def test_long_edges_are_routed_through_the_ranks_between(self) -> None:
        with Flow("long") as flow:
            a = numbers(1)
            inc(inc(inc(inc(a))), y=a)
        model = graph_model(flow, layout="layered")
        long_edge = next(
            e for e in model["edges"] if e["key"] == "y" and e["source"] == flow.slugs[a]
        )
        assert len(long_edge["points"]) > 4
        check_layout(model)

    def test_edges_into_one_node_end_at_different_points(self) -> None:
        with Flow("fan in") as flow:
            a, b = numbers(1), numbers(2)
            c = inc(a, y=b)
        model = graph_model(flow, layout="layered")
        ends = {
            tuple(e["points"][-1])
            for e in model["edges"]
            if e["target"] == flow.slugs[c] and not e["source"].endswith((".n", ".x", ".y"))
        }
        assert len(ends) == 2

    def test_a_thousand_tasks_in_under_a_second(self, no_dot: None) -> None:
        flow = big_flow(1000)
        start = time.process_time()  # CPU time: the layout's cost, not the machine's load
        model = graph_model(flow)
        elapsed = time.process_time() - start
        assert model["layout"]["engine"] == "layered"
        assert len(model["nodes"]) == 1000
        check_layout(model)
        assert elapsed < 1.0

    def test_a_wide_flow(self, no_dot: None) -> None:
        flow = Flow("wide")
        root = Task(name="root")
        for i in range(300):
            flow.add_edge(root, Task(name=f"leaf-{i}"))
        model = graph_model(flow)
        check_layout(model)
        root_node = next(n for n in model["nodes"] if n["name"] == "root")
        # the root is centred over its leaves
        centre = root_node["x"] + root_node["w"] / 2
        assert abs(centre - model["layout"]["width"] / 2) < 0.1 * model["layout"]["width"]


@needs_dot
@pytest.mark.slow
def test_dot_lays_out_a_thousand_tasks() -> None:
    flow = big_flow(1000)
    start = time.perf_counter()
    model = graph_model(flow, layout="dot")
    elapsed = time.perf_counter() - start
    assert model["layout"]["engine"] == "dot"
    check_layout(model)
    assert elapsed < 10.0


@needs_dot
def test_dot_lays_out_a_hundred_tasks() -> None:
    model = graph_model(big_flow(100), layout="dot")
    check_layout(model)
    assert model["layout"]["engine"] == "dot"
