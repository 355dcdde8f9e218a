"""The CLI against a real server subprocess (SQLite file in tmp): projects, register, get, run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from prefect_jupyter.cli import cli
from prefect_jupyter.server.process import ServerProcess, free_port
from prefect_jupyter.utilities.configuration import set_temporary_config

FLOW_FILE = textwrap.dedent(
    """
    from prefect_jupyter import Flow, Parameter, task

    @task
    def double(x):
        return {factor} * x

    with Flow("{name}") as flow:
        x = Parameter("x", default=1)
        double(x)
    """
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("cli-server") / "server.db"
    with ServerProcess(database_url=f"sqlite:///{database}") as running:
        yield running


@pytest.fixture
def invoke(server: ServerProcess):
    def run(*args: str):
        with set_temporary_config({"cloud.graphql": server.graphql_url}):
            return CliRunner().invoke(cli, list(args))

    return run


@pytest.fixture
def project(invoke) -> str:
    name = f"proj-{uuid.uuid4().hex[:6]}"
    result = invoke("create", "project", name)
    assert result.exit_code == 0, result.output
    return name


def write_flow(path: Path, name: str, factor: int = 2) -> Path:
    path.write_text(FLOW_FILE.format(name=name, factor=factor))
    return path


def test_create_project_twice_says_it_exists(invoke, project: str) -> None:
    again = invoke("create", "project", project)
    assert again.exit_code == 0 and f"{project} already exists" in again.output
    skipped = invoke("create", "project", project, "--skip-if-exists")
    assert skipped.exit_code == 0 and "already exists" in skipped.output
    listed = invoke("get", "projects", "--name", project)
    assert project in listed.output


def test_register_then_unchanged_is_skipped_and_changed_is_a_new_version(
    invoke, project: str, tmp_path: Path
) -> None:
    script = write_flow(tmp_path / "flow.py", "cli-doubler")
    first = invoke("register", "--project", project, "-p", str(script))
    assert first.exit_code == 0, first.output
    assert "Registering 'cli-doubler'... Done" in first.output
    assert "└── Version: 1" in first.output
    assert "1 registered" in first.output

    second = invoke("register", "--project", project, "-p", str(script))
    assert second.exit_code == 0, second.output
    assert "Skipped (metadata unchanged)" in second.output

    write_flow(script, "cli-doubler", factor=3)
    third = invoke("register", "--project", project, "-p", str(script))
    assert third.exit_code == 0, third.output
    assert "└── Version: 2" in third.output

    latest = invoke("get", "flows", "--project", project)
    assert latest.exit_code == 0, latest.output
    rows = [line for line in latest.output.splitlines() if "cli-doubler" in line]
    assert len(rows) == 1 and " 2 " in rows[0]
    every = invoke("get", "flows", "--project", project, "--all-versions")
    assert len([line for line in every.output.splitlines() if "cli-doubler" in line]) == 2


def test_register_into_a_missing_project_names_the_fix(invoke, tmp_path: Path) -> None:
    script = write_flow(tmp_path / "flow.py", "orphan")
    result = invoke("register", "--project", "no-such-project", "-p", str(script))
    assert result.exit_code == 1
    assert "no-such-project" in result.output
    assert "prefect-jupyter create project" in result.output


def test_run_by_name_creates_a_scheduled_run_with_params(invoke, project: str, tmp_path: Path) -> None:
    script = write_flow(tmp_path / "flow.py", "cli-runme")
    assert invoke("register", "--project", project, "-p", str(script)).exit_code == 0
    result = invoke("run", "--name", "cli-runme", "--project", project, "--param", "x=5",
                    "--run-name", "five")
    assert result.exit_code == 0, result.output
    assert "Creating run for flow 'cli-runme'... Done" in result.output
    assert "└── Name: five" in result.output and "'x': 5" in result.output
    runs = invoke("get", "flow-runs", "--flow", "cli-runme")
    assert "five" in runs.output and "Scheduled" in runs.output
    tasks = invoke("get", "tasks", "--flow-name", "cli-runme")
    assert "double" in tasks.output


def test_run_by_flow_id_and_an_unknown_id_says_so(invoke, project: str, tmp_path: Path) -> None:
    script = write_flow(tmp_path / "flow.py", "cli-by-id")
    registered = invoke("register", "--project", project, "-p", str(script))
    flow_id = registered.output.split("└── ID: ")[1].split()[0]
    by_id = invoke("run", "--id", flow_id, "--run-name", "by-id")
    assert by_id.exit_code == 0, by_id.output
    assert "Creating run for flow 'cli-by-id'... Done" in by_id.output
    missing = invoke("run", "--id", "not-a-uuid-nor-a-group")
    assert missing.exit_code == 1 and (
        "Failed to find flow id or flow group id matching 'not-a-uuid-nor-a-group'"
        in missing.output)


def test_run_with_an_unknown_parameter_is_refused(invoke, project: str, tmp_path: Path) -> None:
    script = write_flow(tmp_path / "flow.py", "cli-strict")
    assert invoke("register", "--project", project, "-p", str(script)).exit_code == 0
    result = invoke("run", "--name", "cli-strict", "--param", "nope=1")
    assert result.exit_code == 1
    assert "nope" in result.output


def test_run_unknown_flow_says_how_to_find_one(invoke) -> None:
    result = invoke("run", "--name", "never-registered")
    assert result.exit_code == 1
    assert "No flow named 'never-registered'" in result.output
    assert "prefect-jupyter get flows" in result.output


def test_logs_of_a_run_without_logs_is_a_clear_message(invoke) -> None:
    result = invoke("get", "logs", "--id", str(uuid.uuid4()))
    assert result.exit_code == 1
    assert "No logs found" in result.output


def test_delete_flow_by_name_and_project(invoke, project: str, tmp_path: Path) -> None:
    script = write_flow(tmp_path / "flow.py", "cli-doomed")
    assert invoke("register", "--project", project, "-p", str(script)).exit_code == 0
    result = invoke("delete", "flow", "--name", "cli-doomed", "--project", project)
    assert result.exit_code == 0, result.output
    assert "cli-doomed" not in invoke("get", "flows", "--project", project).output


def test_delete_project(invoke, project: str) -> None:
    result = invoke("delete", "project", project)
    assert result.exit_code == 0, result.output
    assert project not in invoke("get", "projects").output


def test_no_server_is_a_short_error_naming_the_address() -> None:
    url = f"http://127.0.0.1:{free_port()}/graphql"
    with set_temporary_config({"cloud.graphql": url}):
        result = CliRunner().invoke(cli, ["get", "flows"])
    assert result.exit_code == 1
    assert url.rsplit("/", 1)[0] in result.output
    assert "prefect-jupyter server start" in result.output
    assert "Traceback" not in result.output


def _console_script() -> str:
    return str(Path(sys.executable).with_name("prefect-jupyter"))


@pytest.mark.slow
def test_server_start_serves_health_and_stops_on_sigint(tmp_path: Path) -> None:
    port = free_port()
    database = tmp_path / "server.db"
    proc = subprocess.Popen(
        [_console_script(), "server", "start", "--port", str(port),
         "--database-url", f"sqlite:///{database}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json()
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "server did not start in 20 s"
                time.sleep(0.1)
        assert health["status"] == "ok"
        assert database.exists()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def test_server_start_on_a_public_address_needs_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if "API_TOKEN" not in k}
    out = subprocess.run(
        [_console_script(), "server", "start", "--host", "0.0.0.0", "--port", str(free_port()),
         "--database-url", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert out.returncode != 0
    assert "token" in (out.stdout + out.stderr).lower()
    assert "Traceback" not in out.stderr


def test_register_a_directory_a_module_and_a_flows_file_with_force_and_names(
    invoke, project: str, tmp_path: Path, monkeypatch
) -> None:
    from prefect_jupyter import Flow
    from prefect_jupyter.run_configs import LocalRun

    scripts = tmp_path / "flows"
    scripts.mkdir()
    write_flow(scripts / "a.py", "dir-a")
    write_flow(scripts / "b.py", "dir-b")
    (scripts / "notes.txt").write_text("not a flow")
    write_flow(tmp_path / "modflows.py", "from-module")
    monkeypatch.syspath_prepend(str(tmp_path))
    flows_file = tmp_path / "flows.json"
    listed = Flow("from-json", run_config=LocalRun(labels=["gpu"])).serialize(build=True)
    flows_file.write_text(json.dumps({"version": 1, "flows": [listed]}))

    first = invoke("register", "--project", project, "-p", str(scripts), "-m", "modflows",
                   "-j", str(flows_file), "-l", "team")
    assert first.exit_code == 0, first.output
    assert "4 registered" in first.output
    assert f"Processing {str(flows_file)!r}:" in first.output

    again = invoke("register", "--project", project, "-p", str(scripts), "-n", "dir-b", "-l", "team")
    assert again.exit_code == 0, again.output
    assert "Registering 'dir-b'... Skipped (metadata unchanged)" in again.output
    assert "dir-a" not in again.output
    forced = invoke("register", "--project", project, "-p", str(scripts / "b.py"), "-l", "team", "--force")
    assert "└── Version: 2" in forced.output

    missing = invoke("register", "--project", project, "-p", str(scripts), "-n", "nope")
    assert missing.exit_code == 1
    assert "Failed to find the following flows:\n- nope" in missing.output


def test_build_writes_a_flows_file_that_registers_and_runs(invoke, project: str, tmp_path: Path) -> None:
    script = write_flow(tmp_path / "flow.py", "built-flow")
    output = tmp_path / "flows.json"
    built = CliRunner().invoke(cli, ["build", "-p", str(script), "-l", "gpu", "-o", str(output)])
    assert built.exit_code == 0, built.output
    assert "  Building 'built-flow'... Done" in built.output
    assert "1 built" in built.output
    data = json.loads(output.read_text())
    assert data["version"] == 1 and [f["name"] for f in data["flows"]] == ["built-flow"]
    assert "gpu" in data["flows"][0]["run_config"]["labels"]
    assert data["flows"][0]["storage"]["type"] == "Pickle"  # the code travels in the file

    registered = invoke("register", "--project", project, "-j", str(output))
    assert registered.exit_code == 0, registered.output
    assert "Registering 'built-flow'... Done" in registered.output
    run = invoke("run", "--name", "built-flow", "--project", project, "--run-name", "from-file")
    assert run.exit_code == 0, run.output


def _run_row(server: ServerProcess, run_id: str) -> dict:
    with set_temporary_config({"cloud.graphql": server.graphql_url}):
        from prefect_jupyter.client import Client

        return Client().graphql(
            "query($id: uuid!) { flow_run_by_pk(id: $id) { state labels parameters run_config } }",
            {"id": run_id},
        )["data"]["flow_run_by_pk"].to_dict()


def test_run_execute_runs_the_registered_flow_here_without_an_agent(
    invoke, server, project: str, tmp_path: Path
) -> None:
    script = write_flow(tmp_path / "flow.py", "cli-execute")
    assert invoke("register", "--project", project, "-p", str(script)).exit_code == 0
    result = invoke("run", "--name", "cli-execute", "--project", project, "--param", "x=4",
                    "--execute")
    assert result.exit_code == 0, result.output
    assert "Executing flow run..." in result.output and "Flow run succeeded!" in result.output
    run_id = result.output.split("└── UUID: ")[1].split()[0]
    row = _run_row(server, run_id)
    assert row["state"] == "Success" and row["parameters"] == {"x": 4}
    # a label no agent has kept the run for this process
    assert any(label.startswith("agentless-run-") for label in row["labels"])


def test_run_quiet_prints_only_the_run_id_and_log_level_reaches_the_run(
    invoke, server, project: str, tmp_path: Path
) -> None:
    script = write_flow(tmp_path / "flow.py", "cli-quiet")
    assert invoke("register", "--project", project, "-p", str(script)).exit_code == 0
    result = invoke("run", "--name", "cli-quiet", "--quiet", "--log-level", "debug")
    assert result.exit_code == 0, result.output
    run_id = result.output.strip()
    assert str(uuid.UUID(run_id)) == run_id
    env = _run_row(server, run_id)["run_config"]["env"]
    assert env["PREFECT_JUPYTER__LOGGING__LEVEL"] == "DEBUG"


def test_run_param_file_with_cli_params_winning(invoke, project: str, tmp_path: Path) -> None:
    script = write_flow(tmp_path / "flow.py", "cli-param-file")
    assert invoke("register", "--project", project, "-p", str(script)).exit_code == 0
    (tmp_path / "params.json").write_text(json.dumps({"x": 1}))
    result = invoke("run", "--name", "cli-param-file", "--param-file",
                    str(tmp_path / "params.json"), "--param", "x=3", "--context", "k=v")
    assert result.exit_code == 0, result.output
    assert "specified by file and CLI, the CLI value will be used: {'x'}" in result.output
    assert "└── Parameters: {'x': 3}" in result.output
    assert "└── Context: {'k': 'v'}" in result.output
    missing = invoke("run", "--name", "cli-param-file", "--param-file", "nope.json")
    assert missing.exit_code == 1 and "Parameter file does not exist" in missing.output
    both = invoke("run", "--name", "cli-param-file", "--id", "x")
    assert both.exit_code == 1 and "cannot specify both `--name` and `--id`" in both.output


def test_run_watch_follows_the_run_an_agent_executes_to_its_end(
    invoke, server, project: str, tmp_path: Path
) -> None:
    import threading

    from prefect_jupyter.agent import LocalAgent

    script = write_flow(tmp_path / "flow.py", "cli-watched")
    assert invoke("register", "--project", project, "-p", str(script)).exit_code == 0
    label = f"watch-{uuid.uuid4().hex[:6]}"
    agent = LocalAgent(api=server.url, labels=[label], poll_interval=0.2)
    thread = threading.Thread(target=agent.start)
    thread.start()
    try:
        result = invoke("run", "--name", "cli-watched", "--label", label, "--param", "x=3",
                        "--watch")
        no_logs = invoke("run", "--name", "cli-watched", "--label", label, "--watch",
                         "--no-logs")
    finally:
        agent.stop()
        thread.join(60)
    assert result.exit_code == 0, result.output
    assert "Watching flow run execution..." in result.output
    assert "| INFO    | Entered state <Success>" in result.output
    assert "Task 'double': Finished task run" in result.output  # a log line of the run
    assert result.output.rstrip().endswith("Flow run succeeded!")
    assert no_logs.exit_code == 0, no_logs.output
    assert "Entered state <Success>" in no_logs.output
    assert "Task 'double'" not in no_logs.output


def test_describe_flows_and_tasks_as_prefect_describe(invoke, project: str, tmp_path: Path) -> None:
    script = write_flow(tmp_path / "flow.py", "cli-described")
    assert invoke("register", "--project", project, "-p", str(script)).exit_code == 0
    write_flow(script, "cli-described", factor=5)
    assert invoke("register", "--project", project, "-p", str(script)).exit_code == 0

    latest = invoke("describe", "flows", "--name", "cli-described", "--project", project)
    assert latest.exit_code == 0, latest.output
    flow = json.loads(latest.output)
    assert flow["version"] == 2 and flow["project"] == {"name": project}
    assert [p["name"] for p in flow["parameters"]] == ["x"]
    assert set(flow) == {"name", "version", "project", "created", "description", "parameters",
                         "archived", "storage", "environment"}
    first = json.loads(invoke("describe", "flows", "-n", "cli-described", "-v", "1").output)
    assert first["version"] == 1 and first["archived"] is True

    tasks = invoke("describe", "tasks", "-n", "cli-described", "-o", "yaml")
    assert tasks.exit_code == 0, tasks.output
    assert "name: double" in tasks.output and "type: prefect_jupyter.tasks.core.function.FunctionTask" in tasks.output

    missing = invoke("describe", "flows", "--name", "no-such-flow")
    assert missing.exit_code == 0
    assert "no-such-flow not found" in missing.output and "prefect-jupyter get flows" in missing.output


def test_describe_flow_runs_shows_the_run_and_its_state(invoke, project: str, tmp_path: Path) -> None:
    script = write_flow(tmp_path / "flow.py", "cli-described-run")
    assert invoke("register", "--project", project, "-p", str(script)).exit_code == 0
    run_name = f"described-{uuid.uuid4().hex[:6]}"
    created = invoke("run", "--name", "cli-described-run", "--run-name", run_name, "--param", "x=4")
    assert created.exit_code == 0, created.output

    described = invoke("describe", "flow-runs", "--name", run_name, "--flow-name", "cli-described-run")
    assert described.exit_code == 0, described.output
    run = json.loads(described.output)
    assert run["name"] == run_name and run["flow"] == {"name": "cli-described-run"}
    assert run["parameters"] == {"x": 4}
    assert run["serialized_state"]["type"] == "Scheduled" and run["start_time"] is None
    assert "not found" in invoke("describe", "flow-runs", "-n", "no-such-run").output
