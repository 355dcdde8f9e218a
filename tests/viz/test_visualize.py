"""flow.visualize(): a graphviz drawing of the flow, coloured by a run's states."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from prefect_jupyter import Flow, Parameter, case, merge, task, unmapped
from prefect_jupyter.engine.state import Failed, Mapped, Skipped, Success
from prefect_jupyter.viz import visualize

graphviz = pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` is missing")


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


def mapped_flow() -> tuple[Flow, Any]:
    with Flow("mapped") as flow:
        n = Parameter("n", default=10)
        children = inc.map(numbers(n), y=unmapped(1))
    return flow, children


def node_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if "[label=" in line and "->" not in line]


@needs_dot
class TestDrawing:
    def test_returns_a_digraph_with_every_task(self) -> None:
        flow, _ = mapped_flow()
        graph = flow.visualize()
        assert isinstance(graph, graphviz.Digraph)
        assert "label=numbers" in graph.source
        assert "label=n " in graph.source
        assert "style=filled" not in graph.source  # no run, no colours

    def test_mapped_tasks_are_boxes_and_mapped_edges_dashed_with_their_key(self) -> None:
        flow, children = mapped_flow()
        source = flow.visualize().source
        line = next(ln for ln in node_lines(source) if f'"{flow.slugs[children]}"' in ln)
        assert 'label="inc <map>"' in line and "shape=box" in line
        assert re.search(rf'-> "{flow.slugs[children]}" \[label=x style=dashed\]', source)
        assert re.search(rf'-> "{flow.slugs[children]}" \[label=y\]', source)  # the constant

    def test_after_a_run_nodes_are_filled_with_state_colours(self) -> None:
        with Flow("fails") as flow:
            inc(3)
            inc(1)
        source = flow.visualize(flow_state=flow.run()).source
        assert f'fillcolor="{Failed.color}80"' in source
        assert f'fillcolor="{Success.color}80"' in source
        assert "style=filled" in source

    def test_a_mapped_task_is_one_node_labelled_with_child_counts(self) -> None:
        flow, children = mapped_flow()
        source = flow.visualize(flow.run()).source
        lines = [ln for ln in node_lines(source) if 'label="inc' in ln]
        assert len(lines) == 1
        assert "inc · 10 mapped: 9 Success, 1 Failed" in lines[0]
        # striped in the children's colours, in proportion
        assert f"{Success.color}80;0.900:{Failed.color}80;0.100" in lines[0]
        assert f'color="{Mapped.color}"' in lines[0]

    def test_case_and_merge_colours(self) -> None:
        with Flow("branches") as flow:
            n = Parameter("n", default=20)
            cond = is_big(n)
            with case(cond, True):
                big = inc(n)
            with case(cond, False):
                small = inc(n, y=100)
            merge(big, small)
        source = flow.visualize(flow.run()).source
        assert f'fillcolor="{Skipped.color}80"' in source
        assert "label=Merge" in source
        assert 'label="case(True)"' in source and 'label="case(False)"' in source

    def test_constants_are_small_plain_text_nodes(self) -> None:
        with Flow("constants") as flow:
            t = inc(5, y=2)
        source = flow.visualize().source
        slug = flow.slugs[t]
        assert f'"{slug}.x" [label=5 fontsize=10 shape=plaintext]' in source
        assert f'"{slug}.y" -> "{slug}" [label=y]' in source

    def test_tasks_missing_from_the_run_are_grey(self) -> None:
        with Flow("partial") as flow:
            a = numbers(2)
            inc(a)
        source = flow.visualize({a: Success()}).source
        assert 'fillcolor="#00000080"' in source

    def test_colours_are_six_or_eight_digit_hex(self) -> None:
        flow, _ = mapped_flow()
        source = flow.visualize(flow.run()).source
        colours = re.findall(r"#[0-9a-fA-F]+", source)
        assert colours
        assert all(len(c) in (7, 9) for c in colours)

    def test_horizontal(self) -> None:
        flow, _ = mapped_flow()
        assert "rankdir=LR" in flow.visualize(horizontal=True).source
        assert "rankdir" not in flow.visualize().source

    def test_same_drawing_as_the_viz_function(self) -> None:
        flow, _ = mapped_flow()
        state = flow.run()
        assert flow.visualize(state).source == visualize(flow, state).source

    def test_renders_inline_in_jupyter_as_svg(self) -> None:
        flow, _ = mapped_flow()
        bundle = flow.visualize(flow.run())._repr_mimebundle_()
        assert "<svg" in bundle["image/svg+xml"]
        assert "10 mapped: 9 Success, 1 Failed" in bundle["image/svg+xml"]


@needs_dot
class TestFiles:
    @pytest.mark.parametrize("fmt", ["svg", "png"])
    def test_writes_the_file_in_the_format(self, tmp_path: Path, fmt: str) -> None:
        flow, _ = mapped_flow()
        graph = flow.visualize(flow.run(), filename=str(tmp_path / "flow"), format=fmt)
        assert isinstance(graph, graphviz.Digraph)
        out = tmp_path / f"flow.{fmt}"
        assert out.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == [f"flow.{fmt}"]  # source cleaned up
        data = out.read_bytes()
        if fmt == "png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
        else:
            text = data.decode()
            assert "<svg" in text and "numbers" in text
            assert f'fill="{Failed.color}" fill-opacity="0.50' in text

    def test_default_format_is_pdf(self, tmp_path: Path) -> None:
        flow, _ = mapped_flow()
        flow.visualize(filename=str(tmp_path / "flow"))
        assert (tmp_path / "flow.pdf").read_bytes().startswith(b"%PDF")

    def test_awkward_names_are_drawn_literally(self, tmp_path: Path) -> None:
        @task(name="<b>load</b> C:\\data")
        def load() -> int:
            return 1

        with Flow("awkward") as flow:
            p = Parameter("a:b", default=1)
            inc(load(), y=p)
        flow.visualize(filename=str(tmp_path / "flow"), format="svg")
        svg = (tmp_path / "flow.svg").read_text()
        assert "&lt;b&gt;load&lt;/b&gt; C:\\data" in svg
        assert ">a:b<" in svg
        assert svg.count('class="edge"') == 2


class TestMissingGraphviz:
    def test_without_dot_the_error_says_how_to_install_it(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        flow, _ = mapped_flow()
        monkeypatch.setattr(shutil, "which", lambda *a, **kw: None)
        with pytest.raises(graphviz.ExecutableNotFound) as info:
            flow.visualize()
        message = str(info.value)
        assert "`dot`" in message
        assert "apt-get install graphviz" in message
        assert "brew install graphviz" in message
        assert "conda install" in message
        assert "graph_model(flow) still works" in message

    def test_without_dot_the_graph_model_still_works(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from prefect_jupyter.viz import graph_model

        flow, _ = mapped_flow()
        monkeypatch.setattr(shutil, "which", lambda *a, **kw: None)
        assert graph_model(flow)["layout"]["engine"] == "layered"

    def test_without_the_python_package_the_error_names_the_extra(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        flow, _ = mapped_flow()
        monkeypatch.setitem(sys.modules, "graphviz", None)
        with pytest.raises(ImportError, match=re.escape("pip install 'prefect-jupyter[viz]'")):
            flow.visualize()
