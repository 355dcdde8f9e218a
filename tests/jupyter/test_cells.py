"""Declaring cell tasks: the notebook's flow built from cells, with edges named after what they read."""

from __future__ import annotations

import pytest

from prefect_jupyter.jupyter import cells
from prefect_jupyter.jupyter.cell_names import scan_cell
from prefect_jupyter.jupyter.notebook import CellError, CellSpec, Notebook


def spec(name: str, source: str, **options: object) -> CellSpec:
    names = scan_cell(source)
    filename = cells.cell_filename(source)
    return CellSpec(name, source, filename, names.reads, names.assigns, dict(options), names.defines)


# -- declaring cells --------------------------------------------------------------------------------------
def test_declared_cells_are_tasks_with_edges_named_after_what_they_read() -> None:
    nb, ns = Notebook(), {}
    cells.declare_cell_task(nb, spec("load", "raw = [1, 2]\nn = 2"), ns)
    flow = cells.declare_cell_task(nb, spec("total", "s = sum(raw) * n"), ns)
    assert flow.name == "notebook"
    edges = {(flow.slugs[e.upstream_task], e.key, flow.slugs[e.downstream_task]) for e in flow.edges}
    assert edges == {("load", "raw", "total"), ("load", "n", "total")}
    state = flow.run()
    by_slug = {flow.slugs[t]: s for t, s in state.result.items()}
    assert by_slug["total"].result == {"s": 6}
    assert by_slug["load"].result == {"raw": [1, 2], "n": 2}


def test_a_later_cell_that_provides_a_name_wires_earlier_readers() -> None:
    nb, ns = Notebook(), {"raw": 1}  # the notebook defined raw by hand at first
    cells.declare_cell_task(nb, spec("use", "out = raw + 1"), ns)
    flow = cells.declare_cell_task(nb, spec("load", "raw = 10"), ns)
    state = flow.run()
    assert {flow.slugs[t]: s.result for t, s in state.result.items()}["use"] == {"out": 11}


def test_cells_reading_each_other_in_a_cycle_is_an_error() -> None:
    nb, ns = Notebook(), {"b": 0, "a": 0}
    cells.declare_cell_task(nb, spec("one", "a = b + 1"), ns)
    with pytest.raises(CellError, match="cycle"):
        cells.declare_cell_task(nb, spec("two", "b = a + 1"), ns)
    assert list(nb.cells["notebook"]) == ["one"]  # the failed declaration changed nothing


def test_a_failing_declaration_keeps_the_previous_flow() -> None:
    nb, ns = Notebook(), {}
    first = cells.declare_cell_task(nb, spec("a", "x = 1"), ns)
    with pytest.raises(CellError, match="reads `missing`"):
        cells.declare_cell_task(nb, spec("b", "y = missing"), ns)
    assert nb.flows["notebook"] is first


def test_current_flow_is_named_after_the_notebook_session() -> None:
    nb = Notebook()
    assert nb.current_flow_name({"__session__": "/home/me/etl-pipeline.ipynb"}) == "etl-pipeline"
