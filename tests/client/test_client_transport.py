"""Client transport: errors, retries and headers, without the real server.

Connection errors use a closed loopback port. Behaviour the real server can't be made to show on
demand (a 503 that then recovers, a non-JSON body) comes from a small scripted HTTP server.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.client import (
    AuthorizationError,
    Client,
    ClientError,
    GraphQLResult,
    ObjectNotFoundError,
    ServerConnectionError,
    ServerUnavailable,
    VersionLockMismatchError,
    WriteRejected,
)
from prefect_jupyter.context import context
from prefect_jupyter.schedules import IntervalSchedule
from prefect_jupyter.serialization import FlowSerializationError
from prefect_jupyter.utilities.configuration import set_temporary_config


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/graphql"


class ScriptedServer:
    """Answers each POST with the next (status, body) of ``replies``; records the requests."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, str | dict]] = []
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                outer.requests.append(
                    {"headers": dict(self.headers), "json": json.loads(self.rfile.read(length))}
                )
                status, body = outer.replies.pop(0) if outer.replies else (200, {"data": {}})
                raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/graphql"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    yield s
    s.close()


def fast_client(url: str, **kwargs) -> Client:
    return Client(api_server=url, max_attempts=kwargs.pop("max_attempts", 3), backoff=0.01, **kwargs)


class TestConnectionErrors:
    def test_refused_names_the_url_and_how_to_start_a_server(self):
        url = closed_port_url()
        start = time.monotonic()
        with pytest.raises(ServerConnectionError) as info, fast_client(url) as client:
            client.graphql("{ project { id } }")
        message = str(info.value)
        assert url in message
        assert "after 3 attempts" in message
        assert "prefect-jupyter server start" in message
        assert isinstance(info.value, ClientError)
        assert time.monotonic() - start < 5

    def test_backoff_doubles_between_attempts(self):
        client = Client(api_server=closed_port_url(), max_attempts=3, backoff=0.1)
        start = time.monotonic()
        with pytest.raises(ServerConnectionError):
            client.graphql("{ project { id } }")
        assert time.monotonic() - start >= 0.3  # 0.1 + 0.2

    def test_defaults_come_from_config(self):
        with set_temporary_config({"cloud.graphql": "http://127.0.0.1:1/graphql", "server.api_token": "s3cret"}):
            client = Client()
        assert client.api_server == "http://127.0.0.1:1/graphql"
        assert client.api_token == "s3cret"
        with set_temporary_config({"server.api_token": ""}):
            assert Client(api_server="http://x").api_token is None


class TestResponses:
    def test_retries_5xx_then_succeeds(self, server):
        server.replies = [(503, {"errors": [{"message": "restarting"}]}), (502, "bad gateway"),
                          (200, {"data": {"project": [{"id": "p1", "name": "etl"}]}})]
        result = fast_client(server.url).graphql("{ project { id name } }")
        assert len(server.requests) == 3
        assert result.data.project[0].id == "p1"
        assert result["data"]["project"][0]["name"] == "etl"
        assert isinstance(result, GraphQLResult) and json.loads(json.dumps(result)) == result

    def test_no_retry_when_not_allowed(self, server):
        # a 500 may come after the request took effect: sent again only when allowed
        server.replies = [(500, {"errors": [{"message": "internal error"}]})]
        with pytest.raises(ServerUnavailable, match="internal error"):
            fast_client(server.url).graphql("{ project { id } }", retry_on_api_error=False)
        assert len(server.requests) == 1

    def test_a_503_is_retried_even_for_writes(self, server):
        # 503 means "not carried out, try later" (e.g. the database is unavailable)
        unavailable = {"errors": [{"message": "database unavailable",
                                   "extensions": {"code": "DATABASE_UNAVAILABLE"}}]}
        server.replies = [(503, unavailable), (200, {"data": {"project": []}})]
        result = fast_client(server.url).graphql("mutation { x }", retry_on_api_error=False)
        assert result.data.project == [] and len(server.requests) == 2

    def test_a_database_error_is_retryable_and_a_refusal_is_not(self, server):
        unavailable = {"errors": [{"message": "database unavailable",
                                   "extensions": {"code": "DATABASE_UNAVAILABLE"}}]}
        server.replies = [(503, unavailable)] * 4
        with pytest.raises(ServerUnavailable, match="database unavailable"):
            fast_client(server.url).graphql("mutation { x }", retry_on_api_error=False)
        refused = {"errors": [{"message": "no", "extensions": {"code": "INVALID_TRANSITION"}}]}
        server.replies = [(200, refused)]
        with pytest.raises(WriteRejected, match="no") as info:
            fast_client(server.url).graphql("mutation { x }")
        assert not isinstance(info.value, ServerUnavailable)

    def test_graphql_errors_carry_the_servers_messages_and_codes(self, server):
        errors = [{"message": "Flow 1f2e not found: check the id with `prefect-jupyter get flows`",
                   "extensions": {"code": "NOT_FOUND"}}]
        server.replies = [(200, {"data": None, "errors": errors})]
        with pytest.raises(ObjectNotFoundError) as info:
            fast_client(server.url).graphql("{ flow { id } }")
        assert str(info.value) == errors[0]["message"]
        assert info.value.errors == errors and info.value.codes == ["NOT_FOUND"]

    def test_stale_version_is_a_version_lock_error(self, server):
        server.replies = [(200, {"errors": [{"message": "stale", "extensions": {"code": "VERSION_CONFLICT"}}]})]
        with pytest.raises(VersionLockMismatchError, match="stale"):
            fast_client(server.url).graphql("mutation { x }")

    def test_errors_can_be_returned_instead(self, server):
        server.replies = [(200, {"data": {"a": 1}, "errors": [{"message": "partial"}]})]
        result = fast_client(server.url).graphql("{ a }", raise_on_error=False)
        assert result.errors[0].message == "partial"

    def test_401_is_an_authorization_error_with_the_fix(self, server):
        server.replies = [(401, {"errors": [{"message": "Missing or wrong API token.",
                                             "extensions": {"code": "UNAUTHENTICATED"}}]})]
        with pytest.raises(AuthorizationError) as info:
            fast_client(server.url).graphql("{ project { id } }")
        assert "Missing or wrong API token." in str(info.value)
        assert "PREFECT_JUPYTER__SERVER__API_TOKEN" in str(info.value)

    def test_413_carries_the_servers_message(self, server):
        server.replies = [(413, {"errors": [{"message": "Request body of 60 MB exceeds the cap "
                                             "server.api.max_payload_bytes"}]})]
        with pytest.raises(ClientError, match="server.api.max_payload_bytes"):
            fast_client(server.url).graphql("mutation { x }")

    def test_a_non_json_response_is_a_clear_error(self, server):
        server.replies = [(200, "<html>hello</html>")]
        with pytest.raises(ClientError, match="Malformed response .* Is this a prefect_jupyter server"):
            fast_client(server.url).graphql("{ a }")

    def test_sends_query_variables_token_and_version(self, server):
        server.replies = [(200, {"data": {"ok": True}})]
        fast_client(server.url, api_token="tok").graphql("query($x: Int) { ok }", {"x": 1})
        request = server.requests[0]
        assert request["json"] == {"query": "query($x: Int) { ok }", "variables": {"x": 1}}
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers["authorization"] == "Bearer tok"
        assert "x-prefect-jupyter-version" in headers

    def test_no_token_no_header(self, server):
        fast_client(server.url, api_token="").graphql("{ a }")
        assert "authorization" not in {k.lower() for k in server.requests[0]["headers"]}

    def test_reuses_one_connection(self, server):
        with fast_client(server.url) as client:
            client.graphql("{ a }")
            first = client._http
            client.graphql("{ a }")
            assert client._http is first
        assert client._http is None

    def test_a_query_must_be_text_or_nested_dicts(self):
        with pytest.raises(TypeError, match="GraphQL text or as nested dicts"):
            Client(api_server="http://x").graphql(42)  # type: ignore[arg-type]


@task
def inc(x):
    return x + 1


class TestRegisterFailsBeforeSending:
    """Mistakes are found before any request: the server here is a closed port."""

    @pytest.fixture(autouse=True)
    def no_server(self):
        with set_temporary_config({"cloud.graphql": closed_port_url()}):
            yield

    def test_unpicklable_task_is_named(self):
        lock = threading.Lock()

        @task
        def locked():
            with lock:
                return 1

        with Flow("locks") as flow:
            locked()
        with pytest.raises(FlowSerializationError, match="Task 'locked'"):
            flow.register(project_name="p")

    def test_project_name_is_required(self):
        with Flow("f") as flow:
            inc(1)
        with pytest.raises(TypeError, match="'project_name' is a required field"):
            flow.register()

    def test_not_inside_the_flows_with_block(self):
        with pytest.raises(ValueError, match="Don't call `flow.register\\(\\)` from within"):
            with Flow("f") as flow:
                inc(1)
                flow.register(project_name="p")

    def test_storage_options_are_refused_except_add_default_labels(self):
        with Flow("f") as flow:
            inc(1)
        with pytest.raises(TypeError, match="unexpected arguments: directory"):
            flow.register(project_name="p", directory="/tmp")
        context["loading_flow"] = True  # stops right after the arguments are checked
        with pytest.warns(UserWarning):
            assert flow.register(project_name="p", add_default_labels=False) is None

    def test_scheduled_flow_needs_defaults_for_required_parameters(self):
        with Flow("f", schedule=IntervalSchedule(interval=timedelta(hours=1))) as flow:
            inc(Parameter("x"))
        with pytest.raises(ClientError, match="required parameters can not be scheduled"):
            flow.register(project_name="p")

    def test_while_the_cli_loads_a_flow_file_it_only_warns(self):
        with Flow("f") as flow:
            inc(1)
        context["loading_flow"] = True
        with pytest.warns(UserWarning, match="during execution of flow file"):
            assert flow.register(project_name="p") is None
