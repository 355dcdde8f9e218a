"""A notebook saved with a flow's graph output shows the graph in JupyterLab without its kernel.

The notebook is executed with nbclient (a real kernel shows the flow: a widget view plus the graph
model), saved, and opened in JupyterLab with no kernel: the widget's model is gone, so our MIME
renderer draws the saved graph with the widget's drawing code. Run again in Lab, the same output
shows the live widget instead.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

from prefect_jupyter.viz import graph_model

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

XSS_NAME = '<img src=x onerror="window.__pjXss=1">'
FLOW_CELL = f"""\
from prefect_jupyter import Flow, task

@task
def one():
    return 1

@task
def inc(x):
    return x + 1

@task(name={XSS_NAME!r})
def add(x, y):
    return x + y

with Flow("saved-graph") as saved:
    add(one(), inc.map([1, 2, 3]))
"""
CELLS = ["%load_ext prefect_jupyter", FLOW_CELL, "saved"]
GRAPH_MIME = "application/vnd.prefect-jupyter.graph+json"


@pytest.fixture(scope="module")
def lab(jupyter_factory: Any) -> Any:
    return jupyter_factory(
        "jupyterlab", ["--LabApp.expose_app_in_browser=True"], "jupyterlab-graph-output.log"
    )


@pytest.fixture(scope="module")
def lab_without_kernels(jupyter_factory: Any) -> Any:
    """JupyterLab where no kernel can start (no kernelspec is allowed)."""
    return jupyter_factory(
        "jupyterlab",
        ["--LabApp.expose_app_in_browser=True", "--KernelSpecManager.allowed_kernelspecs=pj-none"],
        "jupyterlab-graph-output-no-kernels.log",
    )


def _notebook(cells: list[str], kernel: str) -> Any:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    return nb


def _open(page: Any, lab: Any, name: str) -> None:
    page.goto(f"{lab.url}/lab/tree/{name}?token={lab.token}")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)


def test_saved_graph_output_draws_without_a_kernel(
    page: Any, lab_without_kernels: Any, artifacts: pathlib.Path, console: Any
) -> None:
    lab = lab_without_kernels
    nb = _notebook(CELLS, "python3")
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", resources={
        "metadata": {"path": str(lab.root)}}).execute()  # fmt: skip
    assert GRAPH_MIME in nb.cells[2].outputs[0]["data"]
    expected = {n["name"] for n in nb.cells[2].outputs[0]["data"][GRAPH_MIME]["nodes"]}
    # saved as JupyterLab saves by default (without the widgets' state), reopened where no
    # kernel can start: the widget's model can't come back
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, lab.root / "saved_graph.ipynb")

    _open(page, lab, "saved_graph.ipynb")
    graph = page.locator(".jp-OutputArea-output .pj-lab-static-graph")
    graph.locator(".pj-node").first.wait_for(timeout=20_000)
    no_kernel = page.locator(".jp-Dialog button", has_text="No Kernel")
    no_kernel.wait_for(timeout=15_000)  # Lab asks for a kernel; none can start
    no_kernel.click()
    page.wait_for_timeout(1000)  # time for a widget (if any came back) to replace the drawing
    page.screenshot(path=str(artifacts / "lab-saved-graph-no-kernel.png"))
    assert graph.locator(".pj-flow").text_content() == "saved-graph"
    assert set(graph.locator(".pj-node .pj-label").all_text_contents()) == expected
    assert graph.locator(".pj-node[data-kind='mapped'] .pj-counts").count() == 1
    assert graph.locator(".pj-edge").count() >= 3
    # no widget error in place of the graph, and the task named like a tag is only text
    assert page.locator("text=Error displaying widget").count() == 0
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
    assert page.evaluate("window.__pjXss") is None
    assert "No Kernel" in (page.locator(".jp-Toolbar-kernelName").first.text_content() or "")
    assert not console.errors


def test_graph_output_shows_the_live_widget_while_its_kernel_runs(
    page: Any, lab: Any, artifacts: pathlib.Path
) -> None:
    nbformat.write(_notebook(CELLS, "python3"), lab.root / "live_graph.ipynb")
    _open(page, lab, "live_graph.ipynb")
    page.wait_for_function(
        "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel",
        timeout=60_000,
    )
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    out = page.locator(".pj-lab-graph-output[data-live='true']")
    try:
        out.wait_for(state="attached", timeout=60_000)
        live = out.locator(".pj-widget:not(.pj-lab-static-graph)")
        live.locator(".pj-node").first.wait_for(timeout=10_000)
    finally:
        page.screenshot(path=str(artifacts / "lab-graph-output-live.png"))
        (artifacts / "lab-graph-output-live.html").write_text(
            page.evaluate("() => document.querySelector('.jp-Notebook')?.outerHTML ?? ''")
        )
    # the live widget (its header and details panel come from the anywidget) replaced the saved graph
    assert live.locator(".pj-header .pj-badge").count() == 1  # the widget's own header
    assert out.locator(".pj-lab-static-graph").count() == 0  # the saved drawing is gone
    namespace: dict[str, Any] = {}
    exec(FLOW_CELL, namespace)
    expected = {n["name"] for n in graph_model(namespace["saved"])["nodes"]}
    assert set(live.locator(".pj-node .pj-label").all_text_contents()) == expected
