"""A 2,000-child map run by a real agent: every child recorded once, in few requests.

The server is the real app behind uvicorn on 127.0.0.1 (in this process, so that it can count
requests), with a real SQLite file; the agent and its flow-run process are real subprocesses.
The count is of requests, not of time: the reporter must send children, states and logs in
batches, never a request per child.
"""

from __future__ import annotations

import collections
import gzip
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prefect_jupyter.client import Client
from prefect_jupyter.server.process import free_port

HERE = Path(__file__).parent
CHILDREN = 2_000
#: the reporter's mutations; the agent's own polling is not counted
REPORTER_CALLS = ("create_mapped_task_runs", "get_or_create_task_run_info", "set_task_run_states",
                  "write_run_logs", "write_run_report", "set_flow_run_states")


class RequestCounter:
    """ASGI middleware: counts the requests naming each of :data:`REPORTER_CALLS`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: collections.Counter[str] = collections.Counter()
        self.requests = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages, body = [], b""
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if (b"content-encoding", b"gzip") in scope.get("headers", []):
            body = gzip.decompress(body)
        named = [name for name in REPORTER_CALLS if name.encode() in body]
        if named:
            self.requests += 1
            self.calls.update(named)
        replay = iter(messages)

        async def receive_again() -> dict:
            return next(replay, None) or await receive()

        await self.app(scope, receive_again, send)


@pytest.fixture
def counted_server(tmp_path: Path) -> Iterator[tuple[str, RequestCounter]]:
    import uvicorn

    from prefect_jupyter.server.serving import open_app

    app = open_app(f"sqlite:///{tmp_path / 'server.db'}", None, "127.0.0.1")
    counter = RequestCounter(app)
    port = free_port("127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(counter, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="counted-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", counter
    finally:
        server.should_exit = True
        thread.join(30)
        app.state.database.dispose()


CHILDREN_QUERY = """
query($id: uuid!) {
  task_run(where: {flow_run_id: {_eq: $id}, map_index: {_gte: 0}}, order_by: {map_index: asc}) {
    map_index state states(order_by: {version: asc}) { state }
  }
}
"""


@pytest.mark.slow
def test_a_2000_child_map_through_the_agent_is_recorded_once_in_few_requests(
    counted_server: tuple[str, RequestCounter], tmp_path: Path
) -> None:
    from bulk_flows import map_flow  # noqa: PLC0415 - the module the agent imports too

    url, counter = counted_server
    label = f"bulk-{uuid.uuid4().hex[:8]}"
    with Client(api_server=f"{url}/graphql") as client:
        client.create_project("bulk")
        flow_id = client.register(map_flow(CHILDREN), project_name="bulk", labels=[label],
                                  no_url=True)
        run_id = client.create_flow_run(flow_id)
        command = [
            sys.executable, "-c", "from prefect_jupyter.cli import main; main()",
            "agent", "local", "start", "--api", url, "--label", label, "--poll-interval", "0.5",
            "--import-path", str(HERE),
        ]
        env = {**os.environ, "PREFECT_JUPYTER__CLOUD__AGENT__SPOOL_DIR": str(tmp_path / "spool"),
               "PREFECT_JUPYTER__CLOUD__AGENT__FLUSH_INTERVAL": "1.0"}
        with open(tmp_path / "agent.log", "wb") as log:
            agent = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL)
            try:
                state = _wait_finished(client, run_id, agent, tmp_path / "agent.log")
            finally:
                agent.terminate()
                agent.wait(60)
        assert state == "Success", (tmp_path / "agent.log").read_text()[-3000:]
        children = client.graphql(CHILDREN_QUERY, {"id": run_id})["data"]["task_run"]

    assert [c["map_index"] for c in children] == list(range(CHILDREN))
    assert all(c["state"] == "Success" for c in children)
    assert all([s["state"] for s in c["states"]] == ["Pending", "Running", "Success"]
               for c in children), children[0]
    # ~6,000 task states and ~4,000 log records arrive in batches of at most 500 per request
    assert counter.calls["get_or_create_task_run_info"] <= 2, counter.calls
    # each child is created by the first report that names it, not by a request of its own
    assert counter.calls["create_mapped_task_runs"] == 0, counter.calls
    assert counter.requests <= CHILDREN // 10, counter.calls
    # states and logs travel together, one report (and one transaction) per batch
    assert counter.calls["write_run_report"] >= 1, counter.calls
    assert counter.calls["set_task_run_states"] == counter.calls["write_run_logs"] == 0, \
        counter.calls


def _wait_finished(client: Client, run_id: str, agent: subprocess.Popen, log: Path) -> str:
    query = "query($id: uuid!) { flow_run_by_pk(id: $id) { state } }"
    while True:
        state = client.graphql(query, {"id": run_id})["data"]["flow_run_by_pk"]["state"]
        if state in ("Success", "Failed", "Cancelled", "TimedOut"):
            return state
        assert agent.poll() is None, f"the agent exited:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
