"""The plain functions behind the magics: reading cells, building the notebook's flow, rerunning."""

from __future__ import annotations

import pytest

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.executors import DaskExecutor, LocalDaskExecutor, LocalExecutor
from prefect_jupyter.jupyter import cells
from prefect_jupyter.jupyter.cells import CellError, CellSpec, Notebook


def spec(name: str, source: str, **options: object) -> CellSpec:
    names = cells.scan_cell(source)
    filename = cells.cell_filename(source)
    return CellSpec(name, source, filename, names.reads, names.assigns, dict(options), names.defines)


# -- scan_cell ----------------------------------------------------------------------------------------
def test_scan_reads_names_before_they_are_assigned() -> None:
    names = cells.scan_cell("y = x + 1\nx = y\nz = x")
    assert names.reads == ["x"]
    assert names.assigns == ["y", "x", "z"]


def test_scan_ignores_local_names_of_comprehensions_functions_and_lambdas() -> None:
    source = (
        "out = [v * k for v in data if v]\n"
        "f = lambda a: a + offset\n"
        "def g(b):\n    c = b * scale\n    return c\n"
    )
    names = cells.scan_cell(source)
    assert names.reads == ["data", "k", "offset", "scale"]
    assert names.assigns == ["out", "f"]
    assert names.defines == {"g"}


def test_scan_counts_augmented_assignment_as_read_and_imports_as_definitions() -> None:
    names = cells.scan_cell("import numpy as np\nfrom os import path\ntotal += np.sum(path)\n")
    assert names.reads == ["total"]
    assert names.assigns == ["total"]
    assert names.defines == {"np", "path"}


def test_scan_for_with_and_except_targets_are_assignments() -> None:
    names = cells.scan_cell(
        "for i in items:\n    last = i\nwith open(p) as fh:\n    pass\ntry:\n    pass\nexcept E as err:\n    pass\n"
    )
    assert names.reads == ["items", "open", "p", "E"]
    assert names.assigns == ["i", "last", "fh", "err"]


# -- parsing helpers -----------------------------------------------------------------------------------
def test_parse_assignments_reads_literals_and_falls_back_to_strings() -> None:
    assert cells.parse_assignments(["n=3", "xs=[1, 2]", "name=world", "'s=a b'", "flag=True"]) == {
        "n": 3, "xs": [1, 2], "name": "world", "s": "a b", "flag": True,
    }
    with pytest.raises(CellError, match="Expected NAME=VALUE"):
        cells.parse_assignments(["oops"])


def test_make_executor_from_names_and_addresses() -> None:
    assert isinstance(cells.make_executor("local"), LocalExecutor)
    threads = cells.make_executor("threads")
    assert isinstance(threads, LocalDaskExecutor) and threads.scheduler == "threads"
    assert isinstance(cells.make_executor("processes"), LocalDaskExecutor)
    assert isinstance(cells.make_executor("dask"), DaskExecutor)
    assert cells.make_executor("tcp://127.0.0.1:8786").address == "tcp://127.0.0.1:8786"
    with pytest.raises(CellError, match="Unknown executor 'gpu'. Use one of local, threads"):
        cells.make_executor("gpu")


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


def test_cell_runner_pickles_only_the_globals_the_cell_reads() -> None:
    import cloudpickle

    nb, ns = Notebook(), {"factor": 3, "huge": object()}
    flow = cells.declare_cell_task(nb, spec("calc", "v = factor * 2"), ns)
    runner = next(iter(flow.tasks)).run
    copy = cloudpickle.loads(cloudpickle.dumps(runner))
    assert set(copy.user_ns) == {"factor", "__builtins__"}
    assert copy() == {"v": 6}


# -- fingerprints and rerun ------------------------------------------------------------------------------------
def _flow_with(fn_source: str) -> Flow:
    namespace: dict = {"__name__": "__main__"}
    exec(compile(fn_source, cells.cell_filename(fn_source), "exec"), namespace)  # noqa: S102
    with Flow("f") as flow:
        namespace["step"](Parameter("p", default=1))
    return flow


def test_fingerprints_follow_code_and_parameters() -> None:
    a = _flow_with("from prefect_jupyter import task\n@task\ndef step(p):\n    return p\n")
    b = _flow_with("from prefect_jupyter import task\n@task\ndef step(p):\n    return p + 1\n")
    fa, fb = cells.fingerprints(a, {}), cells.fingerprints(b, {})
    assert fa["p"] == fb["p"] and fa["step-1"] != fb["step-1"]
    assert cells.fingerprints(a, {"p": 2})["step-1"] != fa["step-1"]


def test_rerun_states_keep_successes_and_rerun_failures_and_downstream() -> None:
    calls: list[str] = []

    @task
    def ok() -> int:
        calls.append("ok")
        return 1

    @task
    def flaky(x: int) -> int:
        calls.append("flaky")
        if len(calls) < 3:
            raise ValueError("not yet")
        return x

    @task
    def after(y: int) -> int:
        calls.append("after")
        return y + 1

    with Flow("r") as flow:
        after(flaky(ok()))
    nb = Notebook()
    first = cells.run_flow(nb, flow, {})
    assert first.is_failed() and calls == ["ok", "flaky"]
    states, again = cells.rerun_states(nb, flow, {})
    assert again == ["flaky-1", "after-1"]
    assert [flow.slugs[t] for t in states] == ["ok-1"]
    state, again = cells.rerun_flow(nb, flow, {})
    assert state.is_successful() and calls == ["ok", "flaky", "flaky", "after"]
    assert nb.history("r")["state"].tolist() == ["Failed", "Success"]


def test_rerun_with_changed_only_keeps_failures() -> None:
    @task
    def boom() -> None:
        raise ValueError("no")

    with Flow("c") as flow:
        boom()
    nb = Notebook()
    cells.run_flow(nb, flow, {})
    states, again = cells.rerun_states(nb, flow, {}, failed=False, changed=True)
    assert again == [] and all(s.is_failed() for s in states.values())


def test_summaries() -> None:
    with Flow("s") as flow:
        p = Parameter("p", default=2)
        task(lambda x: x)(p)
    assert cells.parameters_summary(flow) == "Parameters of flow 's':\n  p (default 2)"
    assert cells.flow_summary(flow).splitlines() == ["Flow 's': 2 tasks", "  parameter p", "  <lambda> ← p"]
