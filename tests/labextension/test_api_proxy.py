"""The Jupyter server extension's API proxy, through a real `jupyter server` subprocess.

The browser reaches the prefect_jupyter API server only through these handlers; what a user can
see is their HTTP answers: the API server's GraphQL responses, and a clear message when no API
server runs.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytest.importorskip("jupyter_server")

# only our server extension: the others (jupyterlab, lsp, terminals) only slow the start down
ENABLE = [
    "--ServerApp.jpserver_extensions=prefect_jupyter.jupyter.server_extension=True",
    *(f"--ServerApp.jpserver_extensions={name}=False"
      for name in ["jupyterlab", "jupyter_lsp", "notebook_shim", "jupyter_server_terminals"]),
]  # fmt: skip


@pytest.fixture(scope="module")
def dead_port(unused_port: Any) -> int:
    return unused_port()  # nothing listens there


@pytest.fixture(scope="module")
def jupyter(jupyter_factory: Any, dead_port: int) -> Any:
    """A Jupyter server whose proxy points at a port where no API server runs."""
    return jupyter_factory(
        "jupyter_server",
        [*ENABLE, f"--PrefectApiProxy.graphql_url=http://127.0.0.1:{dead_port}/graphql"],
        "jupyter-api-proxy-noserver.log",
    )


def test_graphql_without_api_server_answers_503_naming_the_address_and_the_fix(
    jupyter: Any, dead_port: int
) -> None:
    r = jupyter.request("POST", "/prefect-jupyter/graphql", {"query": "{ flow { id } }"})
    assert r.status == 503
    (error,) = r.body["errors"]
    assert error["extensions"]["code"] == "NO_SERVER"
    assert error["message"].startswith(
        f"No prefect_jupyter server at http://127.0.0.1:{dead_port} — start one with "
        "`prefect-jupyter server start`"
    )
    assert "c.PrefectApiProxy.graphql_url" in error["message"]


def test_status_without_api_server_is_not_ok_and_says_why(jupyter: Any, dead_port: int) -> None:
    r = jupyter.request("GET", "/prefect-jupyter/status")
    assert r.status == 200
    assert r.body["ok"] is False
    assert r.body["server_url"] == f"http://127.0.0.1:{dead_port}"
    assert r.body["graphql_url"] == f"http://127.0.0.1:{dead_port}/graphql"
    assert r.body["message"].startswith(
        f"No prefect_jupyter server at http://127.0.0.1:{dead_port}"
    )


def test_requests_without_the_jupyter_token_are_refused(jupyter: Any) -> None:
    r = jupyter.request(
        "POST", "/prefect-jupyter/graphql", {"query": "{ flow { id } }"}, token=None
    )
    assert r.status == 403
    assert jupyter.request("GET", "/prefect-jupyter/status", token="wrong").status == 403


@pytest.mark.parametrize(
    "body", [b"not json", b'{"variables": {}}', b'["query"]', b'{"query": 3}'], ids=repr
)
def test_a_body_that_is_not_a_graphql_request_is_a_400_saying_what_to_send(
    jupyter: Any, body: bytes
) -> None:
    r = jupyter.request("POST", "/prefect-jupyter/graphql", body)
    assert r.status == 400
    assert r.body["errors"][0]["message"] == (
        'Send a JSON object {"query": "...", "variables": {...}} to this endpoint.'
    )


@pytest.mark.slow
def test_a_non_prefect_server_at_the_address_is_a_502_naming_the_setting(
    jupyter_factory: Any, jupyter: Any
) -> None:
    # point a proxy at the Jupyter server itself: it answers, but not with GraphQL JSON
    server = jupyter_factory(
        "jupyter_server",
        [*ENABLE, f"--PrefectApiProxy.graphql_url={jupyter.url}/no-such-page"],
        "jupyter-api-proxy-wrong-server.log",
    )
    r = server.request("POST", "/prefect-jupyter/graphql", {"query": "{ flow { id } }"})
    assert r.status == 502
    message = r.body["errors"][0]["message"]
    assert re.match(rf"{jupyter.url}/no-such-page answered HTTP \d+ without JSON", message)
    assert "c.PrefectApiProxy.graphql_url" in message


@pytest.fixture(scope="module")
def api_server() -> Any:
    process = pytest.importorskip("prefect_jupyter.server.process")
    with process.ServerProcess(api_token="s3cret-token") as server:
        yield server


@pytest.fixture(scope="module")
def project_id(api_server: Any) -> str:
    from prefect_jupyter.client import Client

    return Client(api_server.graphql_url, api_token="s3cret-token").create_project("from-client")


@pytest.mark.slow
def test_graphql_is_forwarded_to_the_clients_server_with_its_token(
    jupyter_factory: Any, api_server: Any, project_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no traitlets config: the address and token come from the client's settings (here env)
    monkeypatch.setenv("PREFECT_JUPYTER__CLOUD__GRAPHQL", api_server.graphql_url)
    monkeypatch.setenv("PREFECT_JUPYTER__SERVER__API_TOKEN", "s3cret-token")
    jupyter = jupyter_factory("jupyter_server", ENABLE, "jupyter-api-proxy-token.log")
    r = jupyter.request(
        "POST",
        "/prefect-jupyter/graphql",
        {"query": "query($n: String!) { project(where: {name: {_eq: $n}}) { id name } }",
         "variables": {"n": "from-client"}},
    )  # fmt: skip
    assert r.status == 200
    assert r.body == {"data": {"project": [{"id": project_id, "name": "from-client"}]}}
    # a mutation goes through too, and the API server's own errors come back as they are
    r = jupyter.request(
        "POST",
        "/prefect-jupyter/graphql",
        {"query": 'mutation { create_flow_run(input: {flow_id: "00000000-0000-0000-0000-000000000000"}) { id } }'},
    )  # fmt: skip
    assert r.status == 200
    assert "not found" in r.body["errors"][0]["message"]
    status = jupyter.request("GET", "/prefect-jupyter/status").body
    assert status["ok"] is True and status["message"] is None
    assert status["server_url"] == api_server.url
    assert status["database"] == "sqlite"


@pytest.mark.slow
def test_a_wrong_api_token_comes_back_as_the_api_servers_401(
    jupyter_factory: Any, api_server: Any, project_id: str
) -> None:
    jupyter = jupyter_factory(
        "jupyter_server",
        [*ENABLE, f"--PrefectApiProxy.graphql_url={api_server.graphql_url}",
         "--PrefectApiProxy.api_token=wrong"],
        "jupyter-api-proxy-wrong-token.log",
    )  # fmt: skip
    r = jupyter.request("POST", "/prefect-jupyter/graphql", {"query": "{ project { id } }"})
    assert r.status == 401
    assert r.body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
