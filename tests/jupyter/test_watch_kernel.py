"""A run made with ``Client().create_flow_run(...)`` and executed by ``flow.run_agent()`` in the
notebook itself, shown live by ``watch(run_id)`` / ``%flow watch $run_id``: a real server
(SQLite), a real kernel (nbclient), the agent running in that kernel.

The watch cell's widget is fed by a polling thread while the next cell's agent keeps the kernel
busy; the saved notebook shows what a user saw: the watch cell's output (its graph, updated
when the run ended) and the widget's final header, mapped counts and log lines.
"""

from __future__ import annotations

import json
import pathlib
import uuid
from collections.abc import Iterator

import pytest

from prefect_jupyter.client import Client
from prefect_jupyter.jupyter.graph_mime import GRAPH_MIME
from prefect_jupyter.server.process import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

FLOW = """\
from prefect_jupyter import Flow, task
from prefect_jupyter.client import Client
from prefect_jupyter.jupyter import watch
from prefect_jupyter.utilities.logging import get_logger


@task
def numbers():
    return [1, 2, 3]


@task
def tenfold(x):
    get_logger("tenfold").warning("tenfold of %s", x)
    return 10 * x


with Flow("agent_watch") as agent_watch:
    tenfold.map(numbers())
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("watch-kernel") / "server.db"
    with ServerProcess(database_url=f"sqlite:///{database}") as running:
        with Client(api_server=running.graphql_url) as client:
            client.create_project("nb")
        yield running


def run_notebook(cells: list[str], path: pathlib.Path) -> list:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path)}}).execute()
    return nb.cells


def text(cell) -> str:  # noqa: ANN001
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_a_created_run_executed_by_run_agent_is_watched_in_the_notebook(
    server: ServerProcess, tmp_path: pathlib.Path
) -> None:
    label = f"kernel-watch-{uuid.uuid4().hex[:8]}"
    cells = run_notebook([
        f"%load_ext prefect_jupyter\nimport prefect_jupyter\n"
        f"prefect_jupyter.config.cloud.graphql = {server.graphql_url!r}",
        FLOW,
        f"flow_id = agent_watch.register(project_name='nb', labels=[{label!r}])\n"
        "run_id = Client().create_flow_run(flow_id=flow_id)",
        "w = watch(run_id)",  # the graph, fed from the server by a thread: the cell is free
        # the agent in this kernel: takes the run (on its first poll, unless the server was
        # slow to answer), then waits for it to end
        f"agent_watch.run_agent(labels=[{label!r}], api={server.url!r}, poll_interval=0.2, max_polls=5)",
        "print(w.wait(120), type(w.state).__name__)\n"
        "import json\n"
        "mapped = next(n['id'] for n in w.widget.graph['nodes'] if n['name'] == 'tenfold')\n"
        "node = w.widget.states[mapped]\n"
        "print(json.dumps({'header': w.widget.header, 'counts': node['counts'],\n"
        "                  'log': list(w.widget._tracker.run_log)}))",
        "state = %flow watch $run_id --wait\nprint(type(state).__name__)",
    ], tmp_path)

    assert text(cells[5]).splitlines()[0] == "True Success"
    seen = json.loads(text(cells[5]).splitlines()[1])
    assert seen["header"]["state"] == "Success" and seen["header"]["running"] is False
    assert (seen["header"]["done"], seen["header"]["total"]) == (2, 2)
    assert seen["counts"] == {"Success": 3}
    # the run's log lines, from the agent's flow-run process through the server
    assert any("tenfold of 2" in line for line in seen["log"]), seen["log"]
    # what the saved notebook shows for the watch cell: the graph with the run's final states
    graphs = [o["data"][GRAPH_MIME] for o in cells[3].outputs if GRAPH_MIME in o.get("data", {})]
    assert len(graphs) == 1
    nodes = {n["name"]: n for n in graphs[0]["nodes"]}
    assert nodes["numbers"]["state"] == "Success"
    assert nodes["tenfold"]["counts"] == {"Success": 3}
    # `%flow watch $run_id`: IPython puts the variable's value in; --wait returns the final state
    assert text(cells[6]).strip().splitlines()[-1] == "Success"
