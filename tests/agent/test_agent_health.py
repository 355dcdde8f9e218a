"""``agent_address``: the agent serves ``/api/health`` and ``/api/poke`` while it runs, as in
Prefect 1, behind the server's browser policy, on the given host only, and stops with the agent."""

from __future__ import annotations

import http.client
import json
import threading

import pytest
from click.testing import CliRunner

from prefect_jupyter.agent import LocalAgent
from prefect_jupyter.agent.health import AgentAPIServer, parse_agent_address
from prefect_jupyter.cli import cli


def request(url: str, path: str, headers: dict[str, str] | None = None,
            method: str = "GET") -> tuple[int, bytes]:
    host, port = parse_agent_address(url)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def health_api():
    pokes: list[int] = []
    api = AgentAPIServer("http://127.0.0.1:0", on_poke=lambda: pokes.append(1))
    api.start()
    yield api, pokes
    api.stop()


def test_health_answers_200_with_an_empty_object(health_api):
    api, _ = health_api
    assert request(api.url, "/api/health") == (200, b"{}")
    assert request(api.url, "/api/health", {"Host": f"localhost:{api.port}"})[0] == 200


def test_a_foreign_host_is_refused(health_api):
    api, _ = health_api
    status, body = request(api.url, "/api/health", {"Host": "evil.example"})
    assert status == 400
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "HOST_NOT_ALLOWED"


def test_a_poke_from_another_origin_is_refused_and_does_not_wake(health_api):
    api, pokes = health_api
    status, body = request(api.url, "/api/poke", {"Origin": "https://evil.example"})
    assert status == 403
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "CROSS_SITE_REQUEST"
    status, _ = request(api.url, "/api/poke", {"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    assert pokes == []
    assert request(api.url, "/api/poke")[0] == 200
    assert pokes == [1]


def test_writes_and_unknown_paths_are_refused(health_api):
    api, _ = health_api
    assert request(api.url, "/api/health", {"Content-Type": "text/plain"}, "POST")[0] == 415
    assert request(api.url, "/api/health", {"Content-Type": "application/json"}, "POST")[0] == 405
    assert request(api.url, "/elsewhere")[0] == 404


def test_it_binds_only_the_given_host():
    api = AgentAPIServer("127.0.0.1:0", on_poke=lambda: None)
    api.start()
    try:
        assert api._server is not None
        assert api._server.server_address[0] == "127.0.0.1"
    finally:
        api.stop()
    assert not api.thread.is_alive()


@pytest.mark.parametrize("address", ["http://127.0.0.1", "nonsense", "http://127.0.0.1:99999"])
def test_an_address_without_a_port_is_refused_when_the_agent_is_made(address):
    with pytest.raises(ValueError, match="has no port"):
        LocalAgent(agent_address=address, api="http://127.0.0.1:1")


def test_the_agent_serves_while_it_runs_a_poke_wakes_it_and_it_stops_with_it(
    agent_server, labels
):
    agent = LocalAgent(agent_address="http://127.0.0.1:0", api=agent_server.url, labels=labels,
                       poll_interval=600, max_polls=2)
    served = threading.Event()
    first_pass = agent.run_once

    def run_once() -> None:
        first_pass()
        served.set()  # the server is up before the first pass

    agent.run_once = run_once  # type: ignore[method-assign]
    thread = threading.Thread(target=agent.start)
    thread.start()
    try:
        assert served.wait(60)
        url = agent.api_server.url
        assert request(url, "/api/health") == (200, b"{}")
        # the agent sleeps 600 s between its two passes; the poke ends that sleep
        assert request(url, "/api/poke")[0] == 200
        thread.join(60)
        assert not thread.is_alive()
    finally:
        agent.stop()
        thread.join(60)
    assert agent.api_server is None
    with pytest.raises(OSError):
        request(url, "/api/health")


def test_the_cli_option_reaches_the_agent(agent_server, labels, caplog):
    result = CliRunner().invoke(cli, [
        "agent", "local", "start", "--api", agent_server.url, "--label", labels[0],
        "--agent-address", "127.0.0.1:0", "--max-polls", "1",
    ])
    assert result.exit_code == 0, result.output
    assert "Agent health check at http://127.0.0.1:" in caplog.text
