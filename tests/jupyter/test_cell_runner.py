"""Executing cell tasks: a cell task's run, in this process and in a worker."""

from __future__ import annotations

from prefect_jupyter.jupyter import cells
from prefect_jupyter.jupyter.cell_names import scan_cell
from prefect_jupyter.jupyter.notebook import CellSpec, Notebook


def spec(name: str, source: str, **options: object) -> CellSpec:
    names = scan_cell(source)
    filename = cells.cell_filename(source)
    return CellSpec(name, source, filename, names.reads, names.assigns, dict(options), names.defines)


def test_cell_runner_pickles_only_the_globals_the_cell_reads() -> None:
    import cloudpickle

    nb, ns = Notebook(), {"factor": 3, "huge": object()}
    flow = cells.declare_cell_task(nb, spec("calc", "v = factor * 2"), ns)
    runner = next(iter(flow.tasks)).run
    copy = cloudpickle.loads(cloudpickle.dumps(runner))
    assert set(copy.user_ns) == {"factor", "__builtins__"}
    assert copy() == {"v": 6}
