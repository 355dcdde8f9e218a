"""In a real kernel with the extension loaded, a plain ``flow.run()`` and a flow shown as a cell's
value draw the live graph widget."""

from __future__ import annotations

import pathlib

import pytest

WIDGET = "application/vnd.jupyter.widget-view+json"


def run_notebook(cells: list[str], tmp_path: pathlib.Path) -> list:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb.cells


def widget_outputs(cell) -> list:
    return [o for o in cell.outputs if WIDGET in o.get("data", {})]


FLOW = """
from prefect_jupyter import Flow, task

@task
def double(x):
    return 2 * x

with Flow("doubling") as flow:
    double.map([1, 2, 3])
"""


@pytest.mark.slow
def test_plain_flow_run_shows_the_live_graph_and_a_flow_value_shows_its_graph(tmp_path) -> None:
    cells = run_notebook(
        [
            "%load_ext prefect_jupyter",
            FLOW,
            "state = flow.run()\nprint(state)",
            "flow",
            "%config PrefectJupyter.live = False",
            "state = flow.run()\nprint(state)",
        ],
        tmp_path,
    )
    assert len(widget_outputs(cells[2])) == 1
    assert "All reference tasks succeeded" in "".join(o.get("text", "") for o in cells[2].outputs)
    assert len(widget_outputs(cells[3])) == 1
    assert widget_outputs(cells[5]) == []


@pytest.mark.slow
def test_without_the_extension_a_flow_run_shows_no_widget(tmp_path) -> None:
    cells = run_notebook([FLOW, "state = flow.run()"], tmp_path)
    assert widget_outputs(cells[1]) == []
