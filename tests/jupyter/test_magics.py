"""The %%task and %flow magics, through a real IPython InteractiveShell."""

from __future__ import annotations

import datetime
import pathlib

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from prefect_jupyter import triggers
from prefect_jupyter.core.flow import Flow


def run(ip: InteractiveShell, source: str) -> None:
    result = ip.run_cell(source)
    assert result.success, result.error_in_exec or result.error_before_exec


def usage_error(ip: InteractiveShell, source: str, capsys: pytest.CaptureFixture) -> str:
    capsys.readouterr()
    result = ip.run_cell(source)
    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return str(result.error_in_exec)


# -- %%task on a function ------------------------------------------------------------------------------
def test_function_cell_becomes_the_task_that_the_options_describe(shell: InteractiveShell) -> None:
    run(shell, (
        "%%task --name fetch-it --max-retries 2 --retry-delay 0.5 --timeout 3 --cache-for 60 "
        "--tags etl,web --trigger all_finished --log-stdout --nout 2 --checkpoint --target out.txt\n"
        "def fetch(x):\n    return x, x\n"
    ))
    t = shell.user_ns["fetch"]
    assert t.name == "fetch-it"
    assert t.max_retries == 2 and t.retry_delay == datetime.timedelta(seconds=0.5)
    assert t.timeout == 3
    assert t.cache_for == datetime.timedelta(seconds=60)
    assert t.tags == {"etl", "web"}
    assert t.trigger is triggers.all_finished
    assert t.log_stdout is True and t.nout == 2 and t.checkpoint is True and t.target == "out.txt"
    assert t.run(3) == (3, 3)


def test_function_cell_task_runs_in_a_flow(shell: InteractiveShell) -> None:
    run(shell, "%%task\ndef double(x):\n    return 2 * x\n")
    run(shell, "from prefect_jupyter import Flow\nwith Flow('f') as f:\n    r = double(21)\nstate = f.run()")
    assert shell.user_ns["state"].result[shell.user_ns["r"]].result == 42


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("%%task\nx = 1\n", "found no function"),
        ("%%task\ndef a():\n    pass\ndef b():\n    pass\n", "found 2 functions (a, b)"),
        ("%%task --max-retries lots\ndef a():\n    pass\n", "invalid int value: 'lots'"),
        ("%%task --max-retries 2\ndef a():\n    pass\n", "--max-retries needs --retry-delay"),
        ("%%task --trigger sometimes\ndef a():\n    pass\n", "Unknown trigger 'sometimes'. Use one of:"),
        ("%%task --retry-delay -1\ndef a():\n    pass\n", "--retry-delay takes a number of seconds"),
    ],
)
def test_function_cell_mistakes_are_usage_errors(
    shell: InteractiveShell, capsys: pytest.CaptureFixture, cell: str, expected: str
) -> None:
    assert expected in usage_error(shell, cell, capsys)


def test_zero_functions_message_says_how_to_fix_it(shell: InteractiveShell, capsys: pytest.CaptureFixture) -> None:
    message = usage_error(shell, "%%task\nx = 1\n", capsys)
    assert "Define exactly one function" in message and "%%task NAME" in message


# -- %%task NAME on statements -------------------------------------------------------------------------
def test_cell_tasks_run_at_once_and_form_a_flow_from_the_names(shell: InteractiveShell, capsys) -> None:
    run(shell, "%%task load\nraw = [1, 2, None, 4]\n")
    run(shell, "%%task clean\ndata = [x for x in raw if x is not None]\ntotal = sum(data)\n")
    run(shell, "%%task report\nmsg = f'total={total}'\n")
    assert shell.user_ns["msg"] == "total=7"
    capsys.readouterr()
    run(shell, "%flow show notebook")
    out = capsys.readouterr().out
    assert "Flow 'notebook': 3 tasks" in out
    assert "clean ← load.raw" in out and "report ← clean.total" in out


def test_flow_run_writes_cell_outputs_back(shell: InteractiveShell, capsys: pytest.CaptureFixture) -> None:
    run(shell, "%%task --no-run load\nraw = 5\n")
    assert "raw" not in shell.user_ns
    run(shell, "%%task --no-run double\nresult = raw * 2\n")
    capsys.readouterr()
    run(shell, "%flow run notebook")
    assert "Flow run 'notebook': Success" in capsys.readouterr().out
    assert shell.user_ns["raw"] == 5 and shell.user_ns["result"] == 10


def test_redefining_a_cell_replaces_its_task(shell: InteractiveShell) -> None:
    run(shell, "%%task load\nraw = 1\n")
    run(shell, "%%task load\nraw = 2\n")
    run(shell, "%%task use\nout = raw + 1\n")
    run(shell, "%flow run notebook")
    assert shell.user_ns["out"] == 3
    from prefect_jupyter.jupyter.extension import _loaded

    notebook = _loaded[id(shell)][1].notebook
    assert sorted(notebook.flows["notebook"].slugs.values()) == ["load", "use"]


def test_a_name_assigned_by_two_cells_and_read_later_is_an_error(
    shell: InteractiveShell, capsys: pytest.CaptureFixture
) -> None:
    run(shell, "%%task a\nx = 1\n")
    run(shell, "%%task b\nx = 2\n")
    message = usage_error(shell, "%%task c\ny = x\n", capsys)
    assert "Cells 'a' and 'b' both assign `x`, which cell 'c' reads" in message


def test_a_chain_of_cells_reassigning_a_name_is_not_ambiguous(shell: InteractiveShell) -> None:
    run(shell, "%%task load\ndf = [3, 1, 2]\n")
    run(shell, "%%task tidy\ndf = sorted(df)\n")
    run(shell, "%%task top\nfirst = df[0]\n")
    run(shell, "%flow run notebook")
    assert shell.user_ns["first"] == 1


def test_a_read_nothing_provides_is_an_error(shell: InteractiveShell, capsys: pytest.CaptureFixture) -> None:
    message = usage_error(shell, "%%task c\ny = nowhere + 1\n", capsys)
    assert "Cell 'c' reads `nowhere`, which no task cell assigns" in message


def test_notebook_globals_and_imports_are_not_inputs(shell: InteractiveShell) -> None:
    run(shell, "import math\nfactor = 10\ndef helper(v):\n    return v + 1\n")
    run(shell, "%%task load\nraw = 4\n")
    run(shell, "%%task calc\nvalue = helper(math.sqrt(raw)) * factor\n")
    assert shell.user_ns["value"] == 30.0


def test_cell_task_errors_show_the_cells_own_traceback(shell: InteractiveShell) -> None:
    result = shell.run_cell("%%task boom\nz = 1 / 0\n")
    # the traceback (the cell's frames only) is shown; the cell ends with a short message
    assert isinstance(result.error_in_exec, UsageError)
    assert "the cell raised ZeroDivisionError" in str(result.error_in_exec)


# -- %%flow and %flow -------------------------------------------------------------------------------------
def test_flow_cell_binds_the_flow_and_runs_it_with_parameters(
    shell: InteractiveShell, capsys: pytest.CaptureFixture
) -> None:
    run(shell, "from prefect_jupyter import Parameter, task\n@task\ndef add(x, y):\n    return x + y\n")
    run(shell, "%%flow adding\nx = Parameter('x', default=1)\ntotal = add(x, 10)\n")
    assert isinstance(shell.user_ns["adding"], Flow)
    assert "Flow 'adding': 2 tasks\n  parameter x\n  add ← x" in capsys.readouterr().out
    run(shell, "%flow params adding")
    assert "x (default 1)" in capsys.readouterr().out
    run(shell, "%%flow adding2 --run x=5\nx = Parameter('x')\ntotal = add(x, 10)\n")
    assert "Flow run 'adding2': Success" in capsys.readouterr().out
    history = shell.run_line_magic("flow", "runs adding2")
    assert list(history.columns)[:5] == ["start", "end", "duration", "state", "message"]
    assert history["state"].tolist() == ["Success"] and history["parameters"][0] == {"x": 5}


def test_flow_run_parses_values_and_executors(shell: InteractiveShell, capsys: pytest.CaptureFixture) -> None:
    run(shell, "from prefect_jupyter import Parameter, task\n@task\ndef show(v):\n    return repr(v)\n")
    run(shell, "%%flow f\nv = Parameter('v')\nout = show(v)\n")
    from prefect_jupyter.jupyter.extension import _loaded

    notebook = _loaded[id(shell)][1].notebook
    for raw, value in [("[1, 2]", [1, 2]), ("hello", "hello"), ("'x y'", "x y"), ("3.5", 3.5)]:
        shell.run_line_magic("flow", f'run f "v={raw}" --executor threads')
        assert notebook.runs["f"][-1].parameters == {"v": value}
        assert notebook.runs["f"][-1].state.is_successful()
    assert "Unknown executor 'nope'" in usage_error(shell, "%flow run f v=1 --executor nope", capsys)
    assert "has no parameter w" in usage_error(shell, "%flow run f w=1", capsys)
    assert "No flow named 'g'" in usage_error(shell, "%flow run g", capsys)
    assert "Unknown %flow subcommand 'launch'" in usage_error(shell, "%flow launch f", capsys)


def test_a_failed_run_prints_its_state_and_failing_tasks(shell: InteractiveShell, capsys) -> None:
    run(shell, "%%task --no-run load\nraw = 1\n")
    run(shell, "%%task --no-run broken\nvalue = raw / 0\n")
    capsys.readouterr()
    result = shell.run_cell("%flow run notebook")
    assert result.success
    out = capsys.readouterr().out
    assert "Flow run 'notebook': Failed (Some reference tasks failed.)" in out
    assert "broken: Failed" in out and "ZeroDivisionError" in out
    assert "Traceback" not in out


def test_interrupting_a_run_keeps_the_kernel_usable(shell: InteractiveShell, capsys) -> None:
    run(shell, "from prefect_jupyter import task\n@task\ndef stop():\n    raise KeyboardInterrupt\n")
    run(shell, "%%flow halting\nstop()\n")
    capsys.readouterr()
    result = shell.run_cell("%flow run halting")
    assert result.success
    assert "Flow run 'halting' was interrupted" in capsys.readouterr().out
    run(shell, "after = 1 + 1")
    history = shell.run_line_magic("flow", "runs halting")
    assert history["state"].tolist() == ["Cancelled"]


def test_flow_use_makes_cells_join_a_flow_and_read_its_parameters(shell: InteractiveShell) -> None:
    run(shell, "from prefect_jupyter import Parameter")
    run(shell, "%%flow etl\netl.add_task(Parameter('n', default=3))\n")
    shell.run_line_magic("flow", "use etl")
    run(shell, "%%task make\nitems = list(range(n))\n")
    assert shell.user_ns["items"] == [0, 1, 2]  # n from the parameter's default
    shell.run_line_magic("flow", "run etl n=5")
    assert shell.user_ns["items"] == [0, 1, 2, 3, 4]
    # rebuilding the %%flow keeps the cell tasks in it
    run(shell, "%%flow etl\netl.add_task(Parameter('n', default=2))\n")
    shell.run_line_magic("flow", "run etl")
    assert shell.user_ns["items"] == [0, 1]


def test_flow_list(shell: InteractiveShell, capsys: pytest.CaptureFixture) -> None:
    run(shell, "%%task load\nraw = 1\n")
    run(shell, "%flow run notebook")
    capsys.readouterr()
    run(shell, "%flow list")
    assert "* notebook (1 tasks, last run Success)" in capsys.readouterr().out


def test_register_without_a_project_says_how(shell: InteractiveShell, capsys) -> None:
    run(shell, "%%task load\nraw = 1\n")
    message = usage_error(shell, "%flow register notebook", capsys)
    assert "--project P" in message and "prefect-jupyter create project" in message


# -- rerun ----------------------------------------------------------------------------------------------
def test_rerun_reuses_what_succeeded_and_reruns_failed_and_downstream(shell: InteractiveShell, capsys) -> None:
    run(shell, "calls = []\nok = False")
    run(shell, "%%task --no-run load\ncalls.append('load'); raw = 2\n")
    run(shell, "%%task --no-run check\ncalls.append('check'); assert ok; checked = raw\n")
    run(shell, "%%task --no-run report\ncalls.append('report'); msg = checked * 10\n")
    run(shell, "%flow run notebook")
    assert shell.user_ns["calls"] == ["load", "check"]
    run(shell, "ok = True; calls.clear()")
    capsys.readouterr()
    run(shell, "%flow rerun notebook --failed")
    assert "Rerunning check, report; reusing the rest." in capsys.readouterr().out
    assert shell.user_ns["calls"] == ["check", "report"]
    assert shell.user_ns["msg"] == 20


def test_rerun_reruns_tasks_whose_helper_function_changed(shell: InteractiveShell) -> None:
    run(shell, "calls = []\ndef scale(v):\n    return v * 2\n")
    run(shell, "from prefect_jupyter import task\n@task\ndef base():\n    calls.append('base')\n    return 1\n")
    run(shell, "@task\ndef scaled(v):\n    calls.append('scaled')\n    return scale(v)\n")
    run(shell, "%%flow f\nout = scaled(base())\n")
    run(shell, "%flow run f")
    run(shell, "calls.clear()")
    run(shell, "%flow rerun f")
    assert shell.user_ns["calls"] == []
    run(shell, "def scale(v):\n    return v * 3\n")
    run(shell, "%flow rerun f --changed")
    assert shell.user_ns["calls"] == ["scaled"]


def test_editing_a_function_cell_updates_the_flows_that_use_it(shell: InteractiveShell, capsys) -> None:
    run(shell, "calls = []")
    run(shell, "%%task\ndef base():\n    calls.append('base')\n    return 1\n")
    run(shell, "%%task\ndef scaled(v):\n    calls.append('scaled')\n    return v * 2\n")
    run(shell, "%%task\ndef shown(v):\n    calls.append('shown')\n    return f'<{v}>'\n")
    run(shell, "%%flow f\nout = shown(scaled(base()))\n")
    run(shell, "%flow run f")
    run(shell, "calls.clear()")
    # edit only the function cell, not the %%flow cell
    run(shell, "%%task\ndef scaled(v):\n    calls.append('scaled')\n    return v * 3\n")
    capsys.readouterr()
    run(shell, "%flow rerun f --changed")
    out = capsys.readouterr().out
    assert shell.user_ns["calls"] == ["scaled", "shown"]
    assert "Rerunning scaled, shown; reusing the rest." in out
    flow = shell.user_ns["f"]
    assert [t.run(2) for t in flow.get_tasks(name="scaled")] == [6]
    assert flow.run().result[shell.user_ns["out"]].result == "<3>"


def test_rerun_says_what_it_reruns_before_the_run_output(shell: InteractiveShell, capsys) -> None:
    run(shell, "%%task load\nraw = 1\n")
    run(shell, "%flow run notebook")
    capsys.readouterr()
    run(shell, "%flow rerun notebook")
    out = capsys.readouterr().out
    assert out.index("Rerunning") < out.index("Flow run")


def test_rerun_without_a_run_is_a_usage_error(shell: InteractiveShell, capsys: pytest.CaptureFixture) -> None:
    run(shell, "%%task load\nraw = 1\n")
    assert "has no finished run to rerun" in usage_error(shell, "%flow rerun notebook", capsys)


# -- settings and help -------------------------------------------------------------------------------------
def test_settings_are_configurable(shell: InteractiveShell) -> None:
    run(shell, "%config PrefectJupyter.default_executor = 'threads'")
    from prefect_jupyter.jupyter.extension import _loaded

    settings = _loaded[id(shell)][0]
    assert settings.default_executor == "threads" and settings.live is False
    run(shell, "%config PrefectJupyter.live = True")
    assert settings.live is True


def test_live_run_shows_the_widget_in_a_kernel(
    shell: InteractiveShell, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect_jupyter.jupyter import magics

    monkeypatch.setattr(magics, "can_show_widgets", lambda ip: True)
    run(shell, "%config PrefectJupyter.live = True")
    run(shell, "%%task --no-run load\nraw = 1\n")
    capsys.readouterr()
    run(shell, "%flow run notebook")
    assert "FlowWidget(flow='notebook'" in capsys.readouterr().out


def test_help_describes_the_magics(shell: InteractiveShell) -> None:
    flow_doc = shell.find_line_magic("flow").__doc__
    for text in ("%flow run NAME", "rerun", "--failed", "--executor", "%%flow NAME", "register"):
        assert text in flow_doc
    task_doc = shell.find_cell_magic("task").__doc__
    for text in ("--max-retries", "--retry-delay SECONDS", "--trigger NAME", "--no-checkpoint", "NAME"):
        assert text in task_doc


def test_unload_removes_the_magics(shell: InteractiveShell) -> None:
    shell.run_line_magic("unload_ext", "prefect_jupyter")
    assert shell.find_line_magic("flow") is None
    shell.run_line_magic("load_ext", "prefect_jupyter")
    assert shell.find_line_magic("flow") is not None


# -- a real notebook ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_notebook_with_cell_tasks_runs_in_a_kernel(tmp_path: pathlib.Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    cells = [
        "%load_ext prefect_jupyter\n%config PrefectJupyter.live = False",
        "%%task --max-retries 1 --retry-delay 0.01\ndef double(v):\n    return 2 * v",
        "%%task load\nraw = [1, 2, 3]",
        "%%task total\nresult = sum(double.run(v) for v in raw)",
        "%flow run notebook",
        "print(result)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert "Flow run 'notebook': Success" in "".join(o.get("text", "") for o in nb.cells[4].outputs)
    assert nb.cells[5].outputs[0]["text"] == "12\n"
