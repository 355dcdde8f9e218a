"""The CLI's commands that need no server: backend, parsing, running a flow file here."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from prefect_jupyter.cli import cli
from prefect_jupyter.cli.common import parse_params

FLOW_FILE = textwrap.dedent(
    """
    from prefect_jupyter import Flow, Parameter, task

    @task
    def double(x):
        return 2 * x

    @task
    def check(y):
        if y > 100:
            raise ValueError("too big")
        print("y is", y)

    with Flow("doubler") as flow:
        x = Parameter("x", default=1)
        check(double(x))

    if __name__ == "__main__":
        raise SystemExit("a loader must not run the script as __main__")
    """
)


@pytest.fixture
def user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("PREFECT_JUPYTER__USER_CONFIG_PATH", str(path))
    return path


def test_backend_server_writes_user_config_and_keeps_other_settings(user_config: Path) -> None:
    user_config.write_text('backend = "cloud"\n\n[logging]\nlevel = "DEBUG"\n')
    result = CliRunner().invoke(cli, ["backend", "server"])
    assert result.exit_code == 0, result.output
    assert "Backend switched to server" in result.output
    text = user_config.read_text()
    assert 'backend = "server"' in text and 'level = "DEBUG"' in text
    assert "cloud" not in text


def test_backend_without_a_file_creates_it(user_config: Path) -> None:
    result = CliRunner().invoke(cli, ["backend", "server"])
    assert result.exit_code == 0, result.output
    assert user_config.read_text().strip() == 'backend = "server"'


def test_backend_shows_current_backend_and_api() -> None:
    result = CliRunner().invoke(cli, ["backend"])
    assert result.exit_code == 0
    assert "Backend: server" in result.output
    assert "API: http://127.0.0.1:4200/graphql" in result.output


def test_backend_cloud_is_a_clear_error(user_config: Path) -> None:
    result = CliRunner().invoke(cli, ["backend", "cloud"])
    assert result.exit_code != 0
    assert "no cloud backend" in result.output
    assert "prefect-jupyter server start" in result.output
    assert not user_config.exists()


def test_parse_params_reads_json_values_and_falls_back_to_text() -> None:
    assert parse_params(["a=1", "b=hello", "c=[1, 2]", 'd={"k": true}', "e="]) == {
        "a": 1, "b": "hello", "c": [1, 2], "d": {"k": True}, "e": "",
    }
    assert parse_params(["a=2"], '{"a": 1, "b": 2}') == {"a": 2, "b": 2}


@pytest.mark.parametrize("bad", ["novalue", "=3"])
def test_parse_params_rejects_pairs_without_key_or_equals(bad: str) -> None:
    with pytest.raises(click.BadParameter, match="KEY=VALUE"):
        parse_params([bad])


def test_run_path_runs_the_flow_here_with_params(tmp_path: Path) -> None:
    script = tmp_path / "doubler.py"
    script.write_text(FLOW_FILE)
    result = CliRunner().invoke(cli, ["run", "--path", str(script), "--param", "x=21"])
    assert result.exit_code == 0, result.output
    assert "Flow run succeeded" in result.output


def test_run_path_with_a_failing_task_exits_1(tmp_path: Path) -> None:
    script = tmp_path / "doubler.py"
    script.write_text(FLOW_FILE)
    result = CliRunner().invoke(cli, ["run", "-p", str(script), "--param", "x=60"])
    assert result.exit_code == 1
    assert "Flow run failed" in result.output


def test_run_needs_exactly_one_source() -> None:
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 1
    assert "Received no options to look up the flow" in result.output
    result = CliRunner().invoke(cli, ["run", "--id", "x", "--path", "f.py"])
    assert "Received too many options to look up the flow: --id, --path" in result.output


def test_run_missing_file_names_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "-p", str(tmp_path / "nope.py")])
    assert result.exit_code == 1
    assert "Retrieving local flow... Error" in result.output
    assert "nope.py' doesn't exist" in result.output


def test_run_script_that_raises_names_the_file_and_error(tmp_path: Path) -> None:
    script = tmp_path / "broken.py"
    script.write_text("raise RuntimeError('boom at import')\n")
    result = CliRunner().invoke(cli, ["run", "-p", str(script)])
    assert result.exit_code == 1
    assert "broken.py" in result.output and "RuntimeError: boom at import" in result.output


def test_register_needs_a_source() -> None:
    result = CliRunner().invoke(cli, ["register", "--project", "p"])
    assert result.exit_code == 2
    assert "--path/-p FILE, --module/-m MODULE or --json/-j FILE" in result.output


def test_console_script_help_runs_quickly() -> None:
    exe = Path(sys.executable).with_name("prefect-jupyter")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert "prefect-jupyter server start" in out.stdout


def test_load_json_key_values_reads_json_else_text_and_names_a_bad_option() -> None:
    from prefect_jupyter.cli.build_register import TerminalError
    from prefect_jupyter.cli.run import load_json_key_values

    assert load_json_key_values(["a=1", "b=[1, 2]", "c=text", "d=x=y"], "parameter") == {
        "a": 1, "b": [1, 2], "c": "text", "d": "x=y",
    }
    with pytest.raises(TerminalError, match="Invalid parameter option"):
        load_json_key_values(["no-equals-sign"], "parameter")


def test_agent_start_takes_prefect_1s_key_config_id_and_log_level(monkeypatch) -> None:
    import logging

    import prefect_jupyter.agent

    made = {}

    class Recorder:
        def __init__(self, **kwargs):
            made.update(kwargs)
            self.logger = logging.getLogger("prefect_jupyter.test-agent-cli")

        def start(self):
            made["started"] = True
            made["level"] = self.logger.level

    monkeypatch.setattr(prefect_jupyter.agent, "LocalAgent", Recorder)
    result = CliRunner().invoke(cli, [
        "agent", "local", "start", "--key", "s3cret", "--agent-config-id", "cfg-1",
        "--log-level", "debug", "-l", "gpu", "-e", "A=x=y",
    ])
    assert result.exit_code == 0, result.output
    assert made["api_token"] == "s3cret" and made["agent_config_id"] == "cfg-1"
    assert made["labels"] == ["gpu"] and made["env_vars"] == {"A": "x=y"}
    assert made["started"] and made["level"] == logging.DEBUG


def test_execute_flow_run_finds_its_run_in_the_context_or_says_how_to_give_one(monkeypatch) -> None:
    import prefect_jupyter.backend.execution as execution
    from prefect_jupyter.context import context

    for name in execution.FLOW_RUN_ID_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    missing = CliRunner().invoke(cli, ["execute", "flow-run"])
    assert missing.exit_code == 1
    assert "pass --id RUN_ID" in missing.output

    executed = []
    monkeypatch.setattr(execution, "execute_flow_run", lambda run_id: executed.append(run_id))
    with context(flow_run_id="run-from-context"):
        result = CliRunner().invoke(cli, ["execute", "flow-run"])
    assert result.exit_code == 0, result.output
    assert executed == ["run-from-context"]


TWO_FLOWS = """
from prefect_jupyter import Flow, task

@task
def hello():
    return "hi"

with Flow("a") as a:
    hello()

with Flow("b") as b:
    hello()
"""


def test_run_path_with_several_flows_asks_for_a_name_and_runs_the_named_one(tmp_path: Path) -> None:
    script = tmp_path / "two.py"
    script.write_text(TWO_FLOWS)
    result = CliRunner().invoke(cli, ["run", "-p", str(script)])
    assert result.exit_code == 1
    assert f"Found multiple flows at {str(script)!r}: 'a', 'b'" in result.output
    assert "Specify a flow name to run." in result.output
    result = CliRunner().invoke(cli, ["run", "-p", str(script), "--name", "b", "--no-logs"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Retrieving local flow... Done", "Running flow locally...", "Flow run succeeded!",
    ]


def test_run_path_shows_parameters_and_context(tmp_path: Path) -> None:
    script = tmp_path / "doubler.py"
    script.write_text(FLOW_FILE)
    result = CliRunner().invoke(cli, ["run", "-p", str(script), "--param", "x=2",
                                      "--context", "who=me"])
    assert result.exit_code == 0, result.output
    assert "Configured local flow run\n└── Parameters: {'x': 2}\n└── Context: {'who': 'me'}\n" \
        in result.output


def test_a_value_that_is_broken_json_is_named() -> None:
    from prefect_jupyter.cli.build_register import TerminalError
    from prefect_jupyter.cli.run import load_json_key_values

    with pytest.raises(TerminalError, match="Failed to parse JSON for parameter 'x'"):
        load_json_key_values(['x={"a": '], "parameter")


def test_python_dash_m_runs_the_command_as_python_m_prefect_did(tmp_path: Path) -> None:
    script = tmp_path / "flow.py"
    script.write_text(textwrap.dedent("""
        from prefect_jupyter import Flow, task

        @task
        def hello():
            return "hi"

        with Flow("dash-m") as flow:
            hello()
    """))
    done = subprocess.run([sys.executable, "-m", "prefect_jupyter", "run", "-p", str(script)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Flow run succeeded" in done.stdout + done.stderr
