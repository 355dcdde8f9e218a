"""ShellTask runs real commands in bash; its output, failures and logs as Prefect 1 had them."""

from __future__ import annotations

import logging

import pytest

from prefect_jupyter import Flow
from prefect_jupyter.tasks.shell import ShellTask


def run_one(task_call):
    with Flow("shell") as flow:
        ref = task_call()
    state = flow.run()
    return state, state.result[ref]


def test_returns_the_last_line_or_every_line():
    _, last = run_one(lambda: ShellTask()(command="printf 'one\\ntwo\\n'"))
    _, every = run_one(lambda: ShellTask(return_all=True)(command="printf 'one\\ntwo\\n'"))
    _, nothing = run_one(lambda: ShellTask()(command="true"))
    assert (last.result, every.result, nothing.result) == ("two", ["one", "two"], None)


def test_env_helper_script_and_other_shells(tmp_path):
    (tmp_path / "data.txt").write_text("in tmp")
    task = ShellTask(helper_script=f"cd {tmp_path}\ngreet() {{ echo \"hi $1 $WHO\"; }}")
    _, state = run_one(lambda: task(command="greet there && cat data.txt", env={"WHO": "ada"}))
    assert state.is_successful()
    assert state.result == "in tmp"
    _, sh = run_one(lambda: ShellTask(shell="sh", return_all=True)(command="greet() { echo $1; }; greet sh"))
    assert sh.result == ["sh"]


def test_a_non_zero_exit_fails_with_the_exit_code_and_keeps_the_output(caplog):
    caplog.set_level(logging.ERROR)
    flow_state, state = run_one(
        lambda: ShellTask(return_all=True, log_stderr=True)(command="echo partial; ls /no/such/dir")
    )
    assert flow_state.is_failed() and state.is_failed()
    assert state.message == "Command failed with exit code 2"
    assert state.result[0] == "partial"
    assert "/no/such/dir" in state.result[1]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0] == "Command failed with exit code 2"
    assert "partial" in errors[1] and "/no/such/dir" in errors[1]


def test_stream_output_logs_each_line_at_the_chosen_level(caplog):
    caplog.set_level(logging.DEBUG, logger="prefect_jupyter")
    run_one(lambda: ShellTask(stream_output="DEBUG")(command="echo first; echo second"))
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.endswith("ShellTask")]
    assert lines == [("DEBUG", "first"), ("DEBUG", "second")]


def test_bad_input_is_a_clear_failure():
    _, missing = run_one(lambda: ShellTask()())
    assert missing.is_failed()
    assert "missing required argument: 'command'" in missing.message
    assert isinstance(missing.result, TypeError)
    _, no_shell = run_one(lambda: ShellTask(shell="no-such-shell-here")(command="true"))
    assert no_shell.is_failed() and "could not start the shell 'no-such-shell-here'" in no_shell.message
    with pytest.raises(TypeError, match="not a valid log level"):
        ShellTask(stream_output="LOUD")
