"""A flow defined in notebook cells, registered from a real kernel, run after the kernel is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

CELLS = [
    # plain Python: tasks, a helper and a constant defined in cells
    """
    from prefect_jupyter import Flow, Parameter, task

    RATE = 1.5

    def scale(value):
        return value * RATE

    @task
    def numbers(n):
        return list(range(n))

    @task
    def scaled(x):
        return scale(x)

    @task
    def total(values):
        return sum(values)
    """,
    """
    with Flow("notebook-flow") as flow:
        n = Parameter("n", default=3)
        total(scaled.map(numbers(n)))
    """,
    """
    flow_id = flow.register(project_name=PROJECT, labels=["notebook"])
    """,
    # the same through the notebook magics: %%task and %%flow cells
    "%load_ext prefect_jupyter",
    """
    %%task
    def shout(word):
        return word.upper() + "!" * len(word)
    """,
    """
    %%flow magic_flow
    word = Parameter("word", default="hey")
    shout(word)
    """,
    """
    magic_id = magic_flow.register(project_name=PROJECT, no_url=True)
    """,
    # statement cells as tasks (%%task NAME), joining a flow made by %%flow
    "FACTOR = 4",
    "%%flow cell_flow\npass",
    "%flow use cell_flow",
    "%%task --no-run load\nraw = [1, 2, 3]",
    '%%task --no-run report\nmsg = f"total={sum(raw) * FACTOR}"',
    """
    cell_id = cell_flow.register(project_name=PROJECT, no_url=True)
    print(json.dumps({"flow_id": flow_id, "magic_id": magic_id, "cell_id": cell_id}))
    """,
]

RUN_ELSEWHERE = textwrap.dedent(
    """
    import json, sys
    from prefect_jupyter.client import Client

    client = Client()
    flow = client.get_flow(sys.argv[1])
    state = flow.run(n=4)
    magic = client.get_flow(sys.argv[2])
    magic_state = magic.run(word="go")
    cells = client.get_flow(sys.argv[3])
    cells_state = cells.run()
    print(json.dumps({
        "cells": {t.name: s.result for t, s in cells_state.result.items()},
        "state": type(state).__name__,
        "total": state.result[flow.get_tasks(name="total")[0]].result,
        "magic_state": type(magic_state).__name__,
        "shout": [s.result for t, s in magic_state.result.items() if t.name == "shout"],
    }))
    """
)


@pytest.mark.slow  # starts a Jupyter kernel
def test_notebook_flow_registered_from_a_kernel_runs_after_the_kernel_is_gone(
    server, project, tmp_path, monkeypatch
):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    # the kernel inherits this environment: its default Client talks to the test server
    monkeypatch.setenv("PREFECT_JUPYTER__CLOUD__GRAPHQL", server.graphql_url)
    sources = [f"import json\nPROJECT = {project!r}", *(textwrap.dedent(c).strip() for c in CELLS)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()  # shuts the kernel down when done

    outputs = [o for cell in nb.cells for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], outputs
    register_output = "".join(o.get("text", "") for o in nb.cells[3].outputs)
    ids = json.loads("".join(o.get("text", "") for o in nb.cells[-1].outputs).strip())
    assert register_output.startswith(f"Flow URL: http://127.0.0.1:8080/flow/{ids['flow_id']}\n")
    assert f" └── Project: {project}\n └── Labels: ['notebook']" in register_output

    out = subprocess.run(
        [sys.executable, "-c", RUN_ELSEWHERE, ids["flow_id"], ids["magic_id"], ids["cell_id"]],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PREFECT_JUPYTER__CLOUD__GRAPHQL": server.graphql_url},
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {
        "state": "Success",
        "total": 9.0,  # (0 + 1 + 2 + 3) * 1.5
        "magic_state": "Success",
        "shout": ["GO!!"],
        "cells": {"load": {"raw": [1, 2, 3]}, "report": {"msg": "total=24"}},
    }
