"""The graph model: what the widget, the UI and graphviz draw, built from a flow and a run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from prefect_jupyter import Flow, Parameter, case, flatten, merge, task
from prefect_jupyter.engine.state import (
    Failed,
    Mapped,
    Pending,
    Running,
    Skipped,
    Success,
    TriggerFailed,
)
from prefect_jupyter.viz import graph_model, node_state, state_colors, state_update
from prefect_jupyter.viz.model import natural_key


@task
def inc(x: int, y: int = 1) -> int:
    if x == 3:
        raise ValueError("three is not allowed")
    return x + y


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def is_big(x: int) -> bool:
    return x > 10


@task
def total(xs: list[int]) -> int:
    return sum(xs)


def by_id(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in model["nodes"]}


def edge_set(model: dict[str, Any]) -> set[tuple]:
    return {(e["source"], e["target"], e["key"], e["mapped"]) for e in model["edges"]}


def mapped_flow(n: int = 10) -> tuple[Flow, Any, Any]:
    """``numbers(n)`` feeding ``inc.map`` (child 3 fails) feeding ``inc.map`` again."""
    with Flow("mapped") as flow:
        xs = numbers(n)
        first = inc.map(xs)
        second = inc.map(first)
    return flow, first, second


class TestPlainFlow:
    def test_nodes_are_the_tasks_by_slug_with_names_and_kinds(self) -> None:
        with Flow("plain") as flow:
            a = numbers(3)
            b = total(a)
        model = graph_model(flow, layout=False)
        assert model["flow"] == "plain"
        nodes = by_id(model)
        assert set(nodes) == {flow.slugs[a], flow.slugs[b], f"{flow.slugs[a]}.n"}
        assert nodes[flow.slugs[b]]["name"] == "total"
        assert nodes[flow.slugs[b]]["kind"] == "task"

    def test_edges_connect_slugs_with_their_keys(self) -> None:
        with Flow("plain") as flow:
            a = numbers(3)
            b = total(a)
        model = graph_model(flow, layout=False)
        assert (flow.slugs[a], flow.slugs[b], "xs", False) in edge_set(model)
        edge = next(e for e in model["edges"] if e["target"] == flow.slugs[b])
        assert edge == {
            "source": flow.slugs[a],
            "target": flow.slugs[b],
            "key": "xs",
            "mapped": False,
            "flattened": False,
        }

    def test_without_a_run_nodes_have_no_state(self) -> None:
        with Flow("plain") as flow:
            total(numbers(3))
        for node in graph_model(flow, layout=False)["nodes"]:
            assert node["state"] is None
            assert node["color"] is None
            assert node["message"] is None
            assert node["counts"] is None
            assert node["n_children"] is None

    def test_the_model_is_plain_json(self) -> None:
        flow, _, _ = mapped_flow()
        state = flow.run()
        model = graph_model(flow, state)
        assert json.loads(json.dumps(model)) == model

    def test_dependencies_without_data_have_no_key(self) -> None:
        with Flow("order") as flow:
            a = numbers(2)
            b = numbers(3, upstream_tasks=[a])
        model = graph_model(flow, layout=False)
        assert (flow.slugs[a], flow.slugs[b], None, False) in edge_set(model)


class TestKinds:
    def test_parameters_have_the_parameter_kind_and_their_name_as_id(self) -> None:
        with Flow("params") as flow:
            n = Parameter("n", default=3)
            numbers(n)
        node = by_id(graph_model(flow, layout=False))["n"]
        assert node["kind"] == "parameter"
        assert node["name"] == "n"

    def test_folded_constants_are_small_nodes_named_by_their_value(self) -> None:
        with Flow("constants") as flow:
            t = inc(5, y=2)
        assert flow.constants[t] == {"x": 5, "y": 2}
        model = graph_model(flow, layout=False)
        slug = flow.slugs[t]
        nodes = by_id(model)
        assert nodes[f"{slug}.x"]["kind"] == "constant"
        assert nodes[f"{slug}.x"]["name"] == "5"
        assert nodes[f"{slug}.y"]["name"] == "2"
        assert nodes[f"{slug}.y"]["state"] is None
        assert (f"{slug}.x", slug, "x", False) in edge_set(model)
        assert (f"{slug}.y", slug, "y", False) in edge_set(model)

    def test_long_constant_values_are_shortened(self) -> None:
        with Flow("constants") as flow:
            t = total(list(range(100)))
        node = by_id(graph_model(flow, layout=False))[f"{flow.slugs[t]}.xs"]
        assert len(node["name"]) == 20
        assert node["name"].startswith("[0, 1, 2")
        assert node["name"].endswith("…")

    def test_a_list_mapped_over_is_a_constant_task_node(self) -> None:
        with Flow("literal") as flow:
            t = inc.map([1, 2])
        model = graph_model(flow, layout=False)
        constant = next(n for n in model["nodes"] if n["id"] != flow.slugs[t])
        assert constant["kind"] == "constant"
        assert (constant["id"], flow.slugs[t], "x", True) in edge_set(model)

    def test_a_task_with_a_mapped_edge_is_one_mapped_node(self) -> None:
        flow, first, second = mapped_flow()
        model = graph_model(flow, layout=False)
        nodes = by_id(model)
        assert nodes[flow.slugs[first]]["kind"] == "mapped"
        assert nodes[flow.slugs[second]]["kind"] == "mapped"
        assert nodes[flow.slugs[first]]["counts"] == {}
        assert nodes[flow.slugs[first]]["n_children"] == 0
        assert len(model["nodes"]) == 4  # numbers, its constant, two mapped tasks


class TestRunStates:
    def test_mapped_node_counts_its_childrens_states(self) -> None:
        flow, first, _ = mapped_flow(10)
        state = flow.run()
        node = by_id(graph_model(flow, state))[flow.slugs[first]]
        assert node["state"] == "Mapped"
        assert node["color"] == Mapped.color
        assert node["counts"] == {"Failed": 1, "Success": 9}
        assert node["n_children"] == 10

    def test_downstream_mapped_node_counts_trigger_failures(self) -> None:
        flow, _, second = mapped_flow(5)
        state = flow.run()
        node = by_id(graph_model(flow, state))[flow.slugs[second]]
        # children 0..4 of the first map give 1, 2, Failed, 4, 5; the second map fails on 3 too
        assert node["counts"] == {"Failed": 1, "Success": 3, "TriggerFailed": 1}
        assert node["n_children"] == 5

    def test_many_children_stay_one_node(self) -> None:
        flow, first, _ = mapped_flow(200)
        before = graph_model(flow, layout=False)
        after = graph_model(flow, flow.run(), layout=False)
        assert [n["id"] for n in after["nodes"]] == [n["id"] for n in before["nodes"]]
        assert by_id(after)[flow.slugs[first]]["n_children"] == 200

    def test_task_nodes_carry_state_colour_and_message(self) -> None:
        with Flow("fails") as flow:
            bad = inc(3)
            good = inc(1)
        state = flow.run()
        nodes = by_id(graph_model(flow, state, layout=False))
        assert nodes[flow.slugs[bad]]["state"] == "Failed"
        assert nodes[flow.slugs[bad]]["color"] == Failed.color
        assert "three is not allowed" in nodes[flow.slugs[bad]]["message"]
        assert nodes[flow.slugs[good]]["state"] == "Success"
        assert nodes[flow.slugs[good]]["color"] == Success.color
        assert nodes[flow.slugs[good]]["counts"] is None

    def test_case_and_merge(self) -> None:
        with Flow("branches") as flow:
            n = Parameter("n", default=20)
            cond = is_big(n)
            with case(cond, True):
                big = inc(n)
            with case(cond, False):
                small = inc(n, y=100)
            result = merge(big, small)
        state = flow.run()
        model = graph_model(flow, state, layout=False)
        nodes = by_id(model)
        assert nodes[flow.slugs[big]]["state"] == "Success"
        assert nodes[flow.slugs[small]]["state"] == "Skipped"
        assert nodes[flow.slugs[small]]["color"] == Skipped.color
        assert nodes[flow.slugs[result]]["state"] == "Success"
        assert nodes[flow.slugs[result]]["name"] == "Merge"
        case_nodes = [n for n in model["nodes"] if n["name"].startswith("case(")]
        assert sorted(n["state"] for n in case_nodes) == ["Skipped", "Success"]
        assert {e["key"] for e in model["edges"] if e["target"] == flow.slugs[result]} == {
            "task_1",
            "task_2",
        }
        assert all(
            (flow.slugs[cond], n["id"], "value", False) in edge_set(model) for n in case_nodes
        )

    def test_flattened_edges_are_marked(self) -> None:
        with Flow("flat") as flow:
            nested = numbers.map([2, 3])
            flat = inc.map(flatten(nested))
        state = flow.run()
        model = graph_model(flow, state, layout=False)
        edge = next(e for e in model["edges"] if e["target"] == flow.slugs[flat])
        assert edge["flattened"] is True
        assert edge["mapped"] is True
        assert by_id(model)[flow.slugs[flat]]["n_children"] == 5

    def test_a_dict_of_task_states_works_like_a_run(self) -> None:
        with Flow("partial") as flow:
            a = numbers(2)
            b = total(a)
        nodes = by_id(graph_model(flow, {a: Running()}, layout=False))
        assert nodes[flow.slugs[a]]["state"] == "Running"
        assert nodes[flow.slugs[a]]["color"] == Running.color
        assert nodes[flow.slugs[b]]["state"] is None

    def test_a_flow_state_without_task_states_colours_nothing(self) -> None:
        with Flow("early") as flow:
            numbers(2)
        model = graph_model(flow, Failed("the flow never started"), layout=False)
        assert all(n["state"] is None for n in model["nodes"])

    def test_a_wrong_flow_state_says_what_it_expects(self) -> None:
        with Flow("wrong") as flow:
            numbers(2)
        with pytest.raises(TypeError, match=r"flow\.run\(\)"):
            graph_model(flow, flow_state=[1, 2])


class TestDeterminism:
    def test_same_model_on_every_call(self) -> None:
        flow, _, _ = mapped_flow()
        state = flow.run()
        assert graph_model(flow, state) == graph_model(flow, state)
        assert json.dumps(graph_model(flow)) == json.dumps(graph_model(flow))

    def test_same_model_for_the_same_flow_built_twice(self) -> None:
        assert graph_model(mapped_flow()[0]) == graph_model(mapped_flow()[0])

    def test_nodes_and_edges_are_sorted(self) -> None:
        with Flow("sorted") as flow:
            n = Parameter("n", default=3)
            for i in range(5):
                inc(numbers(n), y=i)
        model = graph_model(flow, layout=False)
        ids = [n["id"] for n in model["nodes"]]
        assert ids == sorted(ids, key=natural_key)
        pairs = [(e["source"], e["target"], e["key"] or "") for e in model["edges"]]
        assert pairs == sorted(pairs)

    def test_numbered_tasks_come_in_number_order_and_so_do_their_columns(self) -> None:
        with Flow("columns") as flow:
            for i in range(30):
                inc(numbers(3), y=i)
        model = graph_model(flow, layout="layered")
        incs = [n for n in model["nodes"] if n["name"] == "inc"]
        assert [n["id"] for n in incs] == [f"inc-{i}" for i in range(1, 31)]
        xs = [n["x"] for n in incs]
        assert xs == sorted(xs)  # left to right: inc-1, inc-2, ..., inc-30 (not 1, 10, 11, ...)


class TestStateUpdate:
    def test_one_entry_per_task_with_the_models_state_fields(self) -> None:
        flow, _, _ = mapped_flow()
        state = flow.run()
        update = state_update(flow, state)
        model = graph_model(flow, state, layout=False)
        task_nodes = {n["id"]: n for n in model["nodes"] if n["id"] in flow.slugs.values()}
        assert set(update) == set(task_nodes)
        for node_id, fields in update.items():
            assert set(fields) == {"state", "color", "message", "counts", "n_children"}
            assert all(task_nodes[node_id][k] == v for k, v in fields.items())

    def test_constants_are_not_in_updates(self) -> None:
        with Flow("constants") as flow:
            t = inc(5, y=2)
        assert list(state_update(flow, flow.run())) == [flow.slugs[t]]

    def test_tasks_without_state_are_reset(self) -> None:
        with Flow("partial") as flow:
            a = numbers(2)
            b = total(a)
        update = state_update(flow, {a: Pending("waiting")})
        assert update[flow.slugs[a]] == {
            "state": "Pending",
            "color": Pending.color,
            "message": "waiting",
            "counts": None,
            "n_children": None,
        }
        assert update[flow.slugs[b]]["state"] is None

    def test_mapped_counts_in_updates(self) -> None:
        flow, first, _ = mapped_flow(4)
        update = state_update(flow, flow.run())
        assert update[flow.slugs[first]]["counts"] == {"Failed": 1, "Success": 3}
        assert update[flow.slugs[first]]["n_children"] == 4

    def test_updates_are_small_and_json(self) -> None:
        flow, _, _ = mapped_flow(100)
        update = state_update(flow, flow.run())
        assert len(json.dumps(update)) < 2_000


class TestHelpers:
    def test_node_state_of_a_mapped_state(self) -> None:
        state = Mapped(map_states=[Success(), TriggerFailed(), Success(), None])
        assert node_state(state, "mapped")["counts"] == {"Success": 2, "TriggerFailed": 1}
        assert node_state(state, "mapped")["n_children"] == 4
        assert node_state(None, "mapped") == {
            "state": None,
            "color": None,
            "message": None,
            "counts": {},
            "n_children": 0,
        }

    def test_state_colors_are_six_digit_hex_for_every_state(self) -> None:
        colors = state_colors()
        assert colors["Success"] == Success.color == "#28a745"
        assert colors["Failed"] == "#eb0000"
        assert {"Mapped", "TriggerFailed", "Skipped", "Running", "Pending"} <= set(colors)
        assert all(re.fullmatch(r"#[0-9a-fA-F]{6}", c) for c in colors.values())

    def test_unknown_layout_engine(self) -> None:
        with Flow("f") as flow:
            numbers(1)
        with pytest.raises(ValueError, match="Unknown layout engine 'neato'"):
            graph_model(flow, layout="neato")

    def test_without_layout_there_are_no_positions(self) -> None:
        flow, _, _ = mapped_flow()
        model = graph_model(flow, layout=False)
        assert model["layout"] is None
        assert all("x" not in n and "w" not in n for n in model["nodes"])
        assert all("points" not in e for e in model["edges"])

    def test_importing_viz_does_not_import_graphviz(self) -> None:
        code = (
            "import sys, prefect_jupyter, prefect_jupyter.viz; "
            "from prefect_jupyter.viz import graph_model; "
            "print('graphviz' in sys.modules)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "False"

    def test_a_mapped_node_reads_as_running_until_every_child_has_finished(self) -> None:
        waiting = Mapped(map_states=[Success(), Running()])
        assert node_state(waiting, "mapped")["state"] == "Running"
        assert node_state(waiting, "mapped")["color"] == Running.color
        not_started = Mapped(n_map_states=3)  # spawned, no child state known yet
        assert node_state(not_started, "mapped")["state"] == "Running"
        done = Mapped(map_states=[Success(), TriggerFailed()])
        assert node_state(done, "mapped")["state"] == "Mapped"
        assert node_state(done, "mapped")["color"] == Mapped.color
        assert node_state(Mapped(n_map_states=0), "mapped")["state"] == "Mapped"
        assert node_state(waiting, "task")["state"] == "Mapped"  # only mapped nodes aggregate
