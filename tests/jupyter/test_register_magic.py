"""``%flow register`` through a real IPython shell against a real server subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess, free_port
from prefect_jupyter.utilities.configuration import set_temporary_config


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("magic-server") / "server.db"
    with ServerProcess(database_url=f"sqlite:///{database}") as running:
        with Client(api_server=running.graphql_url) as client:
            client.create_project("nb")
        yield running


def run(ip: InteractiveShell, source: str):
    result = ip.run_cell(source)
    assert result.success, result.error_in_exec or result.error_before_exec
    return result.result


def test_register_cell_flow_then_again_keeps_the_version(server, shell, capsys) -> None:
    with set_temporary_config({"cloud.graphql": server.graphql_url}):
        run(shell, "%%task load\nraw = [1, 2, 3]\n")
        run(shell, "%%task total\nresult = sum(raw)\n")
        first = run(shell, "%flow register notebook --project nb --labels etl,dev")
        out = capsys.readouterr().out
        assert "Flow URL:" in out and first in out
        second = run(shell, "%flow register notebook --project nb --labels etl,dev")
    assert second == first
    with Client(api_server=server.graphql_url) as client:
        flow = client.graphql(
            "query($id: uuid!) { flow_by_pk(id: $id) { name version labels tasks { name } } }",
            {"id": first},
        ).data.flow_by_pk
    assert flow.version == 1 and sorted(flow.labels) == ["dev", "etl"]
    assert sorted(t.name for t in flow.tasks) == ["load", "total"]


def test_register_into_a_missing_project_is_a_short_error(server, shell, capsys) -> None:
    with set_temporary_config({"cloud.graphql": server.graphql_url}):
        run(shell, "%%task load\nraw = 1\n")
        result = shell.run_cell("%flow register notebook --project nowhere")
    assert isinstance(result.error_in_exec, UsageError)
    assert "nowhere" in str(result.error_in_exec)
    assert "prefect-jupyter create project" in str(result.error_in_exec)
    assert "Traceback" not in capsys.readouterr().err


def test_register_without_a_server_names_the_address(shell, capsys) -> None:
    url = f"http://127.0.0.1:{free_port()}/graphql"
    with set_temporary_config({"cloud.graphql": url}):
        run(shell, "%%task load\nraw = 1\n")
        result = shell.run_cell("%flow register notebook --project nb")
    assert isinstance(result.error_in_exec, UsageError)
    message = str(result.error_in_exec)
    assert "127.0.0.1" in message and "prefect-jupyter server start" in message
