"""The server as a real process on a free loopback port (``ServerProcess``), spoken to over
real HTTP: a whole registration → run → states → logs round trip, the token, restarts, and the
refusal to listen beyond this machine without a token."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import pytest

from prefect_jupyter.engine.state import Running, Success
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.process import ServerProcess, ServerProcessError, free_port
from prefect_jupyter.server.serving import check_bind, is_loopback
from prefect_jupyter.utilities.graphql import compress

# generous, so a machine busy with other tests does not fail these; start-up time is measured
# separately (the server's own log line says how long it took)
STARTUP = 60.0


@pytest.fixture(scope="module")
def server(database_url):
    with ServerProcess(database_url=database_url, api_token="tok", startup_timeout=STARTUP) as process:
        yield process


def gql(server: ServerProcess, query: str, variables: dict | None = None, token: str = "tok"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(server.graphql_url, json={"query": query, "variables": variables},
                      headers=headers, timeout=10)


def data(server: ServerProcess, query: str, variables: dict | None = None) -> dict:
    body = gql(server, query, variables).json()
    assert "errors" not in body, body
    return body["data"]


def test_the_process_answers_health_and_logs_its_address(server):
    assert server.url == f"http://127.0.0.1:{server.port}"
    health = httpx.get(f"{server.url}/health").json()
    assert health["status"] == "ok"
    assert f"prefect_jupyter server ready at http://127.0.0.1:{server.port}/graphql" in (
        server.output())


def test_register_run_report_and_read_back_over_http(server, make_flow):
    project = data(server, "mutation($n: String!) { create_project(input: {name: $n}) { id } }",
                   {"n": f"proc-{uuid.uuid4().hex[:6]}"})["create_project"]["id"]
    flow = make_flow(tasks=["only"])
    flow_id = data(
        server,
        """mutation($input: create_flow_from_compressed_string_input!) {
             create_flow_from_compressed_string(input: $input) { id } }""",
        {"input": {"serialized_flow": compress(flow), "project_id": project}},
    )["create_flow_from_compressed_string"]["id"]
    run_id = data(server, "mutation($f: UUID) { create_flow_run(input: {flow_id: $f}) { id } }",
                  {"f": flow_id})["create_flow_run"]["id"]
    info = data(server, "query($id: uuid!) { flow_run_by_pk(id: $id) { version "
                        "task_runs { id version } } }", {"id": run_id})["flow_run_by_pk"]
    set_flow = """mutation($input: set_flow_run_states_input!) {
                    set_flow_run_states(input: $input) { states { status } } }"""
    set_task = """mutation($input: set_task_run_states_input!) {
                    set_task_run_states(input: $input) { states { status } } }"""
    task_run = info["task_runs"][0]
    data(server, set_flow, {"input": {"states": [
        {"flow_run_id": run_id, "version": info["version"], "state": state_to_dict(Running())}]}})
    for version, state in ((1, Running()), (2, Success("done"))):
        data(server, set_task, {"input": {"states": [
            {"task_run_id": task_run["id"], "version": version, "state": state_to_dict(state)}]}})
    data(server, 'mutation($input: write_run_logs_input!) { write_run_logs(input: $input) '
                 '{ success } }',
         {"input": {"logs": [{"flow_run_id": run_id, "message": "hello from the run"}]}})
    data(server, set_flow, {"input": {"states": [
        {"flow_run_id": run_id, "version": 2, "state": state_to_dict(Success())}]}})
    final = data(server, "query($id: uuid!) { flow_run_by_pk(id: $id) { state version "
                         "task_runs { state } logs { message } } }", {"id": run_id})["flow_run_by_pk"]
    assert final == {"state": "Success", "version": 3, "task_runs": [{"state": "Success"}],
                     "logs": [{"message": "hello from the run"}]}


def test_requests_without_the_token_are_refused(server):
    response = gql(server, "{ hello }", token="")
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_restart_keeps_the_data_and_the_port(server):
    name = f"kept-{uuid.uuid4().hex[:6]}"
    data(server, "mutation($n: String!) { create_project(input: {name: $n}) { id } }", {"n": name})
    old_pid, port = server.pid, server.port
    server.restart()
    assert server.pid != old_pid and server.port == port
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)
    rows = data(server, "query($n: String) { project(where: {name: {_eq: $n}}) { name } }",
                {"n": name})
    assert rows == {"project": [{"name": name}]}


def test_a_server_that_cannot_start_raises_with_its_output():
    with pytest.raises(ServerProcessError) as info:
        ServerProcess(database_url="mysql://user@localhost/db", startup_timeout=STARTUP).start()
    assert "exited with code 2" in str(info.value)
    assert "SQLite or PostgreSQL, not 'mysql'" in str(info.value)


def test_a_default_server_uses_a_temporary_sqlite_file_and_stops_by_pid():
    with ServerProcess(startup_timeout=STARTUP) as process:
        assert process.database_url.startswith("sqlite:///")
        assert httpx.get(f"{process.url}/health").json()["database"] == "sqlite"
        pid = process.pid
        process.stop()
        assert process.pid is None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not os.path.exists(process.database_url.removeprefix("sqlite:///"))


# -- binding beyond this machine ------------------------------------------------------------------
def test_loopback_addresses():
    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.5", "example.com", "::"]))


def test_a_public_address_without_a_token_is_refused():
    with pytest.raises(ValueError, match="Refusing to listen on 0.0.0.0 without an API token"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", "a-token-of-16-chars")
    check_bind("127.0.0.1", None)


def test_a_weak_token_is_refused_for_a_public_address_and_a_warning_on_loopback(caplog):
    with pytest.raises(ValueError, match="Refusing to listen on 0.0.0.0 with a weak token: the "
                       "API token is 1 characters long; use at least 16"):
        check_bind("0.0.0.0", "x")
    with caplog.at_level("WARNING", logger="prefect_jupyter.server"):
        check_bind("127.0.0.1", "tok")
    assert "Weak API token: the API token is 3 characters long" in caplog.text


def test_the_command_refuses_a_public_address_without_a_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_JUPYTER__SERVER__API_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "prefect_jupyter.server", "--host", "0.0.0.0",
         "--port", str(free_port()), "--database-url", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert result.returncode == 2
    assert "Refusing to listen on 0.0.0.0 without an API token" in result.stderr
    assert "--api-token" in result.stderr
    assert not (tmp_path / "x.db").exists()
