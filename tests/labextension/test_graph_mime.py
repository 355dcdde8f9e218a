"""A flow shown in a notebook carries its graph model as a MIME bundle (for Lab without a kernel).

Executed with nbclient in a real kernel: the output a user saves is what this checks.
"""

from __future__ import annotations

from typing import Any

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.jupyter.graph_mime import GRAPH_MIME, graph_mime_bundle

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

FLOW_CELL = """\
from prefect_jupyter import Flow, task

@task
def one():
    return 1

@task(name="<img src=x onerror=alert(1)>")
def add(x, y):
    return x + y

with Flow("saved") as saved:
    add(one(), 2)
"""
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def test_graph_mime_bundle_is_the_flows_graph_model() -> None:
    @task
    def a() -> int:
        return 1

    with Flow("f") as flow:
        a()
    bundle = graph_mime_bundle(flow)
    assert bundle["text/plain"] == "<Flow: name='f'>"
    graph = bundle[GRAPH_MIME]
    assert graph["flow"] == "f"
    assert [n["name"] for n in graph["nodes"]] == ["a"]
    assert {"x", "y", "w", "h"} <= set(graph["nodes"][0])


def test_a_flow_shown_in_a_notebook_saves_the_widget_and_its_graph(tmp_path: Any) -> None:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(c) for c in ["%load_ext prefect_jupyter", FLOW_CELL, "saved"]
        ]
    )
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
    (output,) = nb.cells[2].outputs
    assert output["output_type"] == "display_data"
    data = output["data"]
    assert set(data) == {"text/plain", WIDGET_MIME, GRAPH_MIME}
    graph = data[GRAPH_MIME]
    assert graph["flow"] == "saved"
    names = {n["name"]: n for n in graph["nodes"]}
    assert set(names) >= {"one", "<img src=x onerror=alert(1)>"}
    assert names["one"]["state"] is None  # not run yet
    assert graph["layout"]["width"] > 0
