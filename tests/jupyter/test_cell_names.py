"""Reading a cell's names: what a ``%%task NAME`` cell reads, assigns and defines."""

from __future__ import annotations

from prefect_jupyter.jupyter.cell_names import scan_cell


def test_scan_reads_names_before_they_are_assigned() -> None:
    names = scan_cell("y = x + 1\nx = y\nz = x")
    assert names.reads == ["x"]
    assert names.assigns == ["y", "x", "z"]


def test_scan_ignores_local_names_of_comprehensions_functions_and_lambdas() -> None:
    source = (
        "out = [v * k for v in data if v]\n"
        "f = lambda a: a + offset\n"
        "def g(b):\n    c = b * scale\n    return c\n"
    )
    names = scan_cell(source)
    assert names.reads == ["data", "k", "offset", "scale"]
    assert names.assigns == ["out", "f"]
    assert names.defines == {"g"}


def test_scan_counts_augmented_assignment_as_read_and_imports_as_definitions() -> None:
    names = scan_cell("import numpy as np\nfrom os import path\ntotal += np.sum(path)\n")
    assert names.reads == ["total"]
    assert names.assigns == ["total"]
    assert names.defines == {"np", "path"}


def test_scan_for_with_and_except_targets_are_assignments() -> None:
    names = scan_cell(
        "for i in items:\n    last = i\nwith open(p) as fh:\n    pass\ntry:\n    pass\nexcept E as err:\n    pass\n"
    )
    assert names.reads == ["items", "open", "p", "E"]
    assert names.assigns == ["i", "last", "fh", "err"]
