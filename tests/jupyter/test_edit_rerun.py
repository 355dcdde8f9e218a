"""The notebook's edit → rerun loop, through a real IPython InteractiveShell."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell


def run(ip: InteractiveShell, source: str) -> None:
    result = ip.run_cell(source)
    assert result.success, result.error_in_exec or result.error_before_exec


def notebook_of(ip: InteractiveShell):  # noqa: ANN201 - the extension's Notebook
    from prefect_jupyter.jupyter.extension import _loaded

    return _loaded[id(ip)][1].notebook


def last_result(ip: InteractiveShell, flow: str, slug: str) -> object:
    return notebook_of(ip).runs[flow][-1].task_states[slug].result


def test_redefining_a_task_cell_keeps_its_flow_running(
    shell: InteractiveShell, capsys: pytest.CaptureFixture
) -> None:
    run(shell, "%%task\ndef src_a():\n    return [1, 2, 3]\n")
    run(shell, "%%task\ndef dbl(x):\n    return 2 * x\n")
    run(shell, "%%task\ndef tot(xs):\n    return sum(xs)\n")
    run(shell, "%%task\ndef side():\n    return 'side'\n")
    run(shell, "%%flow rp\ntot(dbl.map(src_a()))\nside()\n")
    run(shell, "%flow run rp")
    assert last_result(shell, "rp", "tot-1") == 12
    run(shell, "%%task\ndef dbl(x):\n    return 3 * x\n")
    capsys.readouterr()
    for _ in range(2):  # every later run works, not only the first after the edit
        run(shell, "%flow run rp")
        out = capsys.readouterr()
        assert "Flow run 'rp': Success" in out.out
        assert "Traceback" not in out.err
        assert last_result(shell, "rp", "tot-1") == 18


# -- rerun --changed sees the notebook variables a task reads ------------------------------------------
def test_changed_reruns_a_function_task_when_a_global_it_reads_changes(
    shell: InteractiveShell, capsys: pytest.CaptureFixture
) -> None:
    run(shell, "threshold = 90")
    run(shell, "%%task\ndef scores():\n    return [85, 92, 95, 99]\n")
    run(shell, "%%task\ndef scaled(xs):\n    return [x for x in xs if x > threshold]\n")
    run(shell, "%%flow report\nscaled(scores())\n")
    run(shell, "%flow run report")
    assert last_result(shell, "report", "scaled-1") == [92, 95, 99]
    capsys.readouterr()
    run(shell, "%flow rerun report --changed")
    assert "Rerunning nothing" in capsys.readouterr().out
    run(shell, "threshold = 97")
    run(shell, "%flow rerun report --changed")
    out = capsys.readouterr().out
    assert "Rerunning nothing" not in out and "scaled" in out and "scores" not in out.split(";")[0]
    assert last_result(shell, "report", "scaled-1") == [99]


def test_changed_reruns_a_cell_task_when_a_global_it_reads_changes(
    shell: InteractiveShell, capsys: pytest.CaptureFixture
) -> None:
    run(shell, "threshold = 90")
    run(shell, "%%task load\nscores = [85, 92, 95, 99]\n")
    run(shell, "%%task keep\nkept = [x for x in scores if x > threshold]\n")
    assert shell.user_ns["kept"] == [92, 95, 99]
    run(shell, "%flow run notebook")
    capsys.readouterr()
    run(shell, "%flow rerun notebook --changed")
    assert "Rerunning nothing" in capsys.readouterr().out  # its input `scores` is an edge, not a global
    run(shell, "threshold = 97")
    run(shell, "%flow rerun notebook --changed")
    out = capsys.readouterr().out
    assert "keep" in out and "load" not in out.split(";")[0]
    assert shell.user_ns["kept"] == [99]


def test_config_log_level_sets_the_level_of_prefect_jupyter_s_records(shell: InteractiveShell) -> None:
    from prefect_jupyter.utilities.logging import get_logger

    before = get_logger().level
    try:
        run(shell, "%config PrefectJupyter.log_level = 'warning'")
        assert get_logger().level == 30
        from traitlets import TraitError

        from prefect_jupyter.jupyter.extension import _loaded

        with pytest.raises(TraitError, match="expected any of"):
            _loaded[id(shell)][0].log_level = "LOUD"
        assert get_logger().level == 30
    finally:
        shell.config.PrefectJupyter.pop("log_level", None)
        get_logger().setLevel(before)


def test_flow_run_returns_the_final_state(shell: InteractiveShell) -> None:
    run(shell, "%%task\ndef one():\n    return 1\n")
    run(shell, "%%flow f1\none()\n")
    run(shell, "st = %flow run f1")
    assert shell.user_ns["st"].is_successful()
    run(shell, "again = %flow rerun f1")
    assert shell.user_ns["again"].is_successful()


def test_an_error_in_a_cell_task_shows_the_user_s_code_at_the_right_line(
    shell: InteractiveShell, capsys: pytest.CaptureFixture
) -> None:
    import re

    from IPython.core.error import UsageError

    run(shell, "%%task load\nraw = [1, 2]\n")
    capsys.readouterr()
    result = shell.run_cell("%%task boom\ny = 2\nz = raw[5]\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert "the cell raised IndexError (shown above)" in str(result.error_in_exec)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", "".join(capsys.readouterr()))
    assert "----> 3 z = raw[5]" in shown  # line 3 of the cell, counting its %%task line
    assert "1 %%task boom" in shown
    assert "prefect_jupyter" not in shown.split("IndexError: list index out of range")[0]


def test_a_failed_cell_task_s_details_start_at_the_cell(shell: InteractiveShell) -> None:
    from prefect_jupyter.jupyter import FlowWidget

    run(shell, "%%task --no-run load\nraw = [1, 2]\n")
    run(shell, "%%task --no-run boom\ny = 2\nz = raw[5]\n")
    flow = notebook_of(shell).flows["notebook"]
    widget = FlowWidget(flow)
    flow.run(observers=[widget.observe_run()])
    widget.set_state({"selected": "boom"})
    tb = widget.details["traceback"]
    assert "line 3, in <module>" in tb and "z = raw[5]" in tb
    assert "cell_runner.py" not in tb and "task_runner.py" not in tb


def test_a_rerun_marks_the_tasks_whose_results_it_reuses(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect_jupyter.jupyter import magics
    from prefect_jupyter.jupyter.widget import FlowWidget

    shown: list[FlowWidget] = []
    monkeypatch.setattr(magics, "can_show_widgets", lambda _shell: True)  # as in a kernel
    monkeypatch.setattr(FlowWidget, "display", lambda self: shown.append(self) or self)
    run(shell, "%config PrefectJupyter.live = True")
    run(shell, "%%task --no-run load\nraw = [1, 2]\n")
    run(shell, "%%task --no-run double\nout = [2 * x for x in raw]\n")
    run(shell, "%flow run notebook")
    assert shown[-1].reused == []
    run(shell, "%%task --no-run double\nout = [3 * x for x in raw]\n")
    run(shell, "%flow rerun notebook --changed")
    assert shown[-1].reused == ["load"]  # drawn faded: its last result was kept
    assert shell.user_ns["out"] == [3, 6]
