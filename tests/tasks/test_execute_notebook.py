"""ExecuteNotebook runs real notebooks in a real kernel (papermill), with parameters."""

from __future__ import annotations

import json
import pathlib

import nbformat
import pytest

from prefect_jupyter import Flow
from prefect_jupyter.tasks.jupyter import ExecuteNotebook

pytestmark = pytest.mark.slow  # each notebook starts a kernel


def write_notebook(path: pathlib.Path, *sources: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("a = 1\nb = 2")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(s) for s in sources)]
    nbformat.write(nb, path)
    return str(path)


def test_parameters_outputs_and_formats(tmp_path):
    path = write_notebook(tmp_path / "calc.ipynb", "# a commented line\nprint(f'a*b={a*b}')")
    executed = tmp_path / "out" / "calc-run.ipynb"
    executed.parent.mkdir()
    with Flow("notebooks") as flow:
        as_json = ExecuteNotebook(path, output_path=str(executed))(parameters={"a": 5})
        as_html = ExecuteNotebook(path, output_format="html", kernel_name="python3",
                                  exporter_kwargs={"exclude_input": True})(parameters={"a": 5})
    state = flow.run()
    assert state.is_successful()
    nb = json.loads(state.result[as_json].result)
    assert "".join(nb["cells"][-1]["outputs"][0]["text"]) == "a*b=10\n"
    assert "injected-parameters" in nb["cells"][1]["metadata"]["tags"]
    assert nbformat.read(executed, as_version=4).cells[-1].outputs[0]["text"] == "a*b=10\n"
    html = state.result[as_html].result
    assert "a*b=10" in html and "# a commented line" not in html


def test_a_failing_cell_fails_the_task_naming_the_cell_and_the_executed_notebook(tmp_path):
    path = write_notebook(tmp_path / "broken.ipynb", "x = a + b", "ratio = x / 0", "print('never')")
    with Flow("broken") as flow:
        ran = ExecuteNotebook(path)()
    state = flow.run().result[ran]
    assert state.is_failed()
    message = state.message
    assert "broken.ipynb' failed in cell 3 (In [3])" in message
    assert "ratio = x / 0" in message and "ZeroDivisionError: division by zero" in message
    saved = message.rsplit("The executed notebook is at ", 1)[1]
    code = [c for c in nbformat.read(saved, as_version=4).cells if c.cell_type == "code"]
    assert [c.source for c in code][2:] == ["ratio = x / 0", "print('never')"]
    assert code[2].outputs[0]["ename"] == "ZeroDivisionError"
    assert code[3].outputs == []


def test_bad_input_raises_before_starting_a_kernel(tmp_path):
    with pytest.raises(ValueError, match="needs the path"):
        ExecuteNotebook().run()
    with pytest.raises(FileNotFoundError, match="no notebook at"):
        ExecuteNotebook(str(tmp_path / "missing.ipynb")).run()
    path = write_notebook(tmp_path / "ok.ipynb", "1")
    with pytest.raises(ValueError, match="Unknown output_format 'pptx'"):
        ExecuteNotebook(path, output_format="pptx").run()
