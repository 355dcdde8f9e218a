"""The tutorial notebooks (01 hello world, 02 ETL with cell tasks, 03 Dask) run in a real kernel
and show what their text promises."""

from __future__ import annotations

import ast
import csv
import pathlib
import re
import shutil
from typing import Any

import pytest

NOTEBOOKS = pathlib.Path(__file__).parents[2] / "notebooks"

pytestmark = pytest.mark.slow


def execute(name: str, workdir: pathlib.Path) -> Any:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    ).execute()
    errors = [
        o
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if o.output_type == "error"
    ]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]
    return nb


def cell(nb: Any, starts_with: str, nth: int = 0) -> Any:
    """The ``nth`` code cell whose source starts with ``starts_with``."""
    found = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(starts_with)]
    assert len(found) > nth, f"no code cell #{nth} starting with {starts_with!r}"
    return found[nth]


def stream(c: Any, name: str | None = None) -> str:
    return "".join(
        o.text for o in c.outputs if o.output_type == "stream" and (name is None or o.name == name)
    )


def data(c: Any, mime: str) -> list[Any]:
    return [o.data[mime] for o in c.outputs if mime in o.get("data", {})]


def widget_log(nb: Any) -> list[str]:
    """Every run-log line the notebook's widgets hold (saved with the notebook by nbclient)."""
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return [
        line for w in states.values() for line in (w["state"].get("log_lines") or {}).get("lines", [])
    ]


WIDGET = "application/vnd.jupyter.widget-view+json"


# -- 01 ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hello(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return execute("01_hello_world.ipynb", tmp_path_factory.mktemp("hello"))


def test_01_seed_flow_says_hello_and_succeeds(hello: Any) -> None:
    run = cell(hello, "flow.run(name='world')")
    assert "Hello, world!" in stream(run)
    assert data(run, "text/plain") == ['<Success: "All reference tasks succeeded.">']


def test_01_flow_run_magic_shows_the_live_graph_and_the_final_state(hello: Any) -> None:
    run = cell(hello, "%flow run flow name=Marvin")
    assert data(run, WIDGET), "the live widget is displayed"
    # the task's print output is a log line: in the widget's run log, not the cell's streams
    assert "Hello, Marvin!" not in stream(run)
    assert any(line.endswith("INFO say_hello: Hello, Marvin!") for line in widget_log(hello))
    assert not stream(run, "stderr")
    assert "Flow run 'My First Flow': Success (All reference tasks succeeded.)" in stream(
        run, "stdout"
    )


def test_01_widget_draws_the_flow_and_runs_it(hello: Any) -> None:
    shown = cell(hello, "from prefect_jupyter.jupyter import FlowWidget")
    assert data(shown, WIDGET)
    assert data(shown, "text/plain") == ["FlowWidget(flow='My First Flow', tasks=2, run_state='')"]
    run = cell(hello, "state = widget.run(name='Arthur')")
    assert any(line.endswith("INFO say_hello: Hello, Arthur!") for line in widget_log(hello))
    assert data(run, "text/plain") == ['<Success: "All reference tasks succeeded.">']


def test_01_visualize_draws_svg_when_graphviz_is_installed(hello: Any) -> None:
    picture = cell(hello, "import shutil")
    if shutil.which("dot"):
        assert data(picture, "image/svg+xml")
    else:
        assert "Graphviz `dot` is not installed" in data(picture, "text/plain")[0]


def test_01_states_and_results(hello: Any) -> None:
    results = stream(cell(hello, "@task\ndef greet"), "stdout").splitlines()
    assert results == [
        '<Success: "All reference tasks succeeded.">',
        "True",
        '<Success: "Task run succeeded.">',
        "HELLO, FORD!",
    ]
    failure = stream(cell(hello, "@task\ndef divide"), "stdout").splitlines()
    assert failure == [
        "Failed - Some reference tasks failed.",
        "divide: Failed - Error during execution of task: ZeroDivisionError('division by zero')",
        'describe: TriggerFailed - Trigger was "all_successful" but some of the upstream tasks failed.',
    ]


# -- 02 ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def etl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, pathlib.Path]:
    workdir = tmp_path_factory.mktemp("etl")
    return execute("02_etl_with_cell_tasks.ipynb", workdir), workdir


def test_02_writes_the_csv_into_the_working_directory(etl: tuple[Any, pathlib.Path]) -> None:
    _, workdir = etl
    assert sorted(p.name for p in workdir.iterdir()) == ["sales_by_region.csv"]
    with open(workdir / "sales_by_region.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows == [
        {
            "region": "east",
            "orders": "1",
            "units": "8",
            "revenue_usd": "32.0",
            "revenue_eur": "29.44",
        },
        {
            "region": "north",
            "orders": "2",
            "units": "13",
            "revenue_usd": "37.0",
            "revenue_eur": "34.04",
        },
        {
            "region": "south",
            "orders": "3",
            "units": "14",
            "revenue_usd": "38.0",
            "revenue_eur": "34.96",
        },
        {
            "region": "west",
            "orders": "2",
            "units": "10",
            "revenue_usd": "34.0",
            "revenue_eur": "31.28",
        },
    ]


def printed_dict(text: str) -> dict:
    """The last printed line of ``text`` that is a dict literal."""
    lines = [line for line in text.splitlines() if line.startswith("{")]
    assert lines, text
    return ast.literal_eval(lines[-1])


def test_02_flaky_extract_is_retried_and_the_rate_is_cached(etl: tuple[Any, pathlib.Path]) -> None:
    nb, _ = etl
    first = cell(nb, "%flow run etl")
    assert data(first, WIDGET)
    assert "ConnectionError: sales API timed out" in stream(first, "stderr")  # the failed first try
    assert "Flow run 'etl': Success (All reference tasks succeeded.)" in stream(first, "stdout")
    # extract ran twice (one retry), summarize once per region (the order of the calls is the
    # run's: the rate does not wait for extract's retry)
    assert printed_dict(stream(cell(nb, "print(dict(calls))"))) == {
        "extract": 2, "summarize": 4, "eur_per_usd": 1}
    second = cell(nb, "%flow run etl\nprint(dict(calls))")
    # on the second run extract and summarize ran again, the cached rate did not
    assert printed_dict(stream(second, "stdout")) == {"extract": 3, "summarize": 8, "eur_per_usd": 1}
    assert not stream(second, "stderr")  # a successful run's INFO lines are the widget's
    assert any(
        "Task 'eur_per_usd': Finished task run for task with final state: 'Cached'" in line
        for line in widget_log(nb)
    )


def test_02_flow_cell_shows_the_graph_not_the_last_task(etl: tuple[Any, pathlib.Path]) -> None:
    nb, _ = etl
    flow_cell = cell(nb, "%%flow etl")
    assert data(flow_cell, WIDGET)
    assert data(flow_cell, "text/plain") == ["FlowWidget(flow='etl', tasks=6, run_state='')"]


def test_02_run_history_is_a_dataframe_of_the_runs(etl: tuple[Any, pathlib.Path]) -> None:
    nb, _ = etl
    table = data(cell(nb, "history = %flow runs etl"), "text/plain")[0].splitlines()
    assert table[0].split() == ["duration", "state", "parameters"]
    assert [line.split()[-2] for line in table[1:]] == ["Success", "Success"]


def test_02_cells_are_tasks_and_rerun_changed_reruns_only_the_edited_cell(
    etl: tuple[Any, pathlib.Path],
) -> None:
    nb, _ = etl
    assert stream(cell(nb, "%%task headline")) == "Best region: south, worst: east\n"
    assert "Flow run 'report': Success" in stream(cell(nb, "%flow run report"))
    assert (
        stream(cell(nb, "%%task headline", nth=1))
        == "South sold the most this week; east the least.\n"
    )
    rerun = stream(cell(nb, "%flow rerun report --changed"), "stdout")
    assert "Rerunning headline; reusing the rest." in rerun
    assert "Flow run 'report': Success" in rerun
    history = data(cell(nb, "%flow runs report"), "text/plain")[0]
    assert history.count("Success") == 2


# -- 03 ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dask_nb(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return execute("03_running_on_dask.ipynb", tmp_path_factory.mktemp("dask"))


def test_03_results_are_identical_on_every_executor(dask_nb: Any) -> None:
    compared = cell(dask_nb, "results = {")
    assert "identical results on local, threads and dask: True" in stream(compared, "stdout")
    table = data(compared, "text/plain")[0].splitlines()
    assert table[0].split() == ["region", "units", "revenue_usd"]
    assert [line.split()[1:] for line in table[1:]] == [
        ["east", "8", "32.0"],
        ["north", "13", "37.0"],
        ["south", "14", "38.0"],
        ["west", "10", "34.0"],
    ]


def _where(output: str) -> list[tuple[str, str]]:
    """(pid, thread name) of each child in show_timings' lines ``region: … (pid N, thread)``."""
    found = re.findall(r"\(pid (\d+), ([^)]+)\)", output)
    assert len(found) == 4, output
    return found


def test_03_mapped_children_run_on_threads_and_on_dask_workers_not_in_the_kernel(
    dask_nb: Any,
) -> None:
    # Where each child ran, not when: whether children overlap in time, and how Dask spreads
    # four short children over two workers (one may still be starting), depend on the load.
    local = stream(cell(dask_nb, "local_state = etl.run"), "stdout")
    assert "1 process(es), ran in parallel: False" in local
    kernel = {pid for pid, _ in _where(local)}
    assert len(kernel) == 1 and {t for _, t in _where(local)} == {"MainThread"}
    threads = _where(stream(cell(dask_nb, "threads_state = etl.run"), "stdout"))
    assert {pid for pid, _ in threads} == kernel  # threads of the kernel's process
    assert all(t != "MainThread" for _, t in threads)
    dask = _where(stream(cell(dask_nb, "dask_state = etl.run"), "stdout"))
    # the cluster's worker processes (one or both of the two), never the kernel
    assert 1 <= len({pid for pid, _ in dask}) <= 2
    assert not {pid for pid, _ in dask} & kernel
    assert all(t != "MainThread" for _, t in dask), dask


def test_03_live_run_on_threads(dask_nb: Any) -> None:
    live = cell(dask_nb, "%flow run etl --executor threads")
    assert data(live, WIDGET)
    assert "Flow run 'etl': Success (All reference tasks succeeded.)" in stream(live, "stdout")


# -- 04 ------------------------------------------------------------------------------------------------
def test_04_registers_runs_through_the_agent_and_schedules(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect_jupyter.server.process import free_port

    # no server at the configured address: the notebook starts its own (API + agent)
    monkeypatch.setenv("PREFECT_JUPYTER__SERVER__PORT", str(free_port()))
    nb = execute("04_register_and_schedule.ipynb", tmp_path)
    assert "Server: http://127.0.0.1:" in stream(cell(nb, "import pathlib"))
    registered = stream(cell(nb, "from prefect_jupyter import Client"))
    assert "Flow URL:" in registered and "unchanged flow keeps its id: True" in registered
    watched = cell(nb, "run_id = ")
    assert stream(watched).strip() == "Success - All reference tasks succeeded."
    assert data(watched, WIDGET), "the run is watched in the widget"
    assert any("sum of squares: 30" in line for line in widget_log(nb))  # the agent's log, via the server
    assert stream(cell(nb, "logs = ")).strip() == "sum of squares: 30"
    assert stream(cell(nb, "UPCOMING")).startswith("10 scheduled runs, the first at ")


# -- 05 ------------------------------------------------------------------------------------------------
@pytest.mark.timeout(400)  # three kernels, a server and an agent on a loaded machine
def test_05_task_library_shell_sqlite_notebook_and_a_flow_of_flows(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect_jupyter.server.process import free_port

    # no server at the configured address: the notebook starts its own (API + agent)
    monkeypatch.setenv("PREFECT_JUPYTER__SERVER__PORT", str(free_port()))
    nb = execute("05_task_library.ipynb", tmp_path)
    assert "['oslo,4', 'oslo,6', 'lima,19', 'lima,21', 'lima,20']" in stream(cell(nb, "from prefect_jupyter import Flow"))
    assert stream(cell(nb, 'with Flow("shell fails")'), "stdout").strip() == "Command failed with exit code 2"
    assert stream(cell(nb, "from prefect_jupyter.tasks.database")).strip() == "[('lima', 20.0), ('oslo', 5.0)]"
    assert "lima: 20.0 °C" in stream(cell(nb, "from prefect_jupyter.tasks.jupyter"))
    failed = stream(cell(nb, 'with Flow("report fails")'), "stdout")
    assert "report.ipynb' failed in cell 4 (In [4])" in failed
    assert "AssertionError: implausible temperature" in failed
    assert "The executed notebook is at <work>/failed.ipynb" in failed
    parent = stream(cell(nb, "from prefect_jupyter.tasks.prefect import"), "stdout")
    assert parent.splitlines() == [
        '<Success: "All reference tasks succeeded.">',
        "warmest in the north: oslo",
        "warmest in the south: lima",
    ]
    watched = stream(cell(nb, "from prefect_jupyter.backend.flow_run import watch_flow_run"))
    assert "warmest: oslo at 4 °C" in watched
    assert watched.strip().endswith("Entered state <Success>: All reference tasks succeeded.")
