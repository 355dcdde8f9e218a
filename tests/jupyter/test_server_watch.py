"""Watching an agent's run from the notebook: a real server, a real agent process, the widget
fed from the server's GraphQL API (``%flow register --run``, ``watch_server_run``, ``%flow watch``)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess
from prefect_jupyter.utilities.configuration import set_temporary_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("watch-server") / "server.db"
    with ServerProcess(database_url=f"sqlite:///{database}") as running:
        with Client(api_server=running.graphql_url) as client:
            client.create_project("nb")
        yield running


class Agent:
    """``prefect-jupyter agent local start`` for one label, stopped by its PID."""

    def __init__(self, server: ServerProcess, label: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-c", "from prefect_jupyter.cli import main; main()", "agent", "local",
             "start", "--api", server.url, "--label", label, "--poll-interval", "0.2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            env=os.environ.copy(),
        )  # fmt: skip

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def run(ip: Any, source: str) -> Any:
    result = ip.run_cell(source)
    assert result.success, result.error_in_exec or result.error_before_exec
    return result.result


def test_an_agent_s_run_is_watched_live_in_the_widget(server, shell, capsys, tmp_path) -> None:  # noqa: ANN001
    from prefect_jupyter.jupyter import FlowWidget

    gate = tmp_path / "gate"
    label = f"watch-{uuid.uuid4().hex[:8]}"
    with set_temporary_config({"cloud.graphql": server.graphql_url}):
        run(shell, f"GATE = {str(gate)!r}")
        run(shell, "%%task\ndef numbers():\n    return [1, 2, 3]\n")
        run(shell, (
            "%%task\ndef hold(x):\n    import pathlib, time\n"
            "    while not pathlib.Path(GATE).exists():  # the test opens it mid-run\n"
            "        time.sleep(0.05)\n    return x * 10\n"
        ))
        run(shell, "%%flow watched\nhold.map(numbers())\n")
        run_id = run(shell, f"%flow register watched --project nb --labels {label} --run")
        assert f"Flow run {run_id} created" in capsys.readouterr().out

        flow = shell.user_ns["watched"]
        widget = FlowWidget(flow)
        mapped = flow.slugs[next(t for t in flow.tasks if t.name == "hold")]
        running = threading.Event()

        def on_states(_: dict) -> None:
            node = {**widget.states, **widget.changes}.get(mapped, {})
            if node.get("state") == "Running" and node.get("n_children") == 3:
                running.set()

        widget.observe(on_states, names=["states", "changes"])
        with Client(api_server=server.graphql_url) as client:
            watch = widget.watch_server_run(run_id, client=client)
            agent = Agent(server, label)
            try:
                # the mapped node reads Running with its 3 children while the run waits at the gate
                assert running.wait(120), f"never saw the map running: {widget.states}"
                assert widget.header["running"] is True
                gate.write_text("open")
                assert watch.wait(120), "the watch did not see the run finish"
            finally:
                gate.write_text("open")
                agent.stop()

    assert widget.run_state == "Success"
    node = widget.states[mapped]
    assert node["counts"] == {"Success": 3} and node["n_children"] == 3
    assert (widget.header["done"], widget.header["total"]) == (2, 2)
    assert widget.header["running"] is False
    lines = widget._tracker.run_log  # the server's log lines of the run
    assert any("Flow run SUCCESS" in line for line in lines), list(lines)
    widget.set_state({"selected": f"{mapped}[2]"})
    assert widget.details["state"] == "Success"

    # %flow watch RUN_ID in a terminal: loads the registered flow and follows the run to its end
    with set_temporary_config({"cloud.graphql": server.graphql_url}):
        state = run(shell, f"%flow watch {run_id}")
    assert state.is_successful()
    assert f"Flow run {run_id} ('watched'): Success" in capsys.readouterr().out


def test_watching_an_unknown_run_is_a_short_error(server, shell) -> None:  # noqa: ANN001
    from IPython.core.error import UsageError

    with set_temporary_config({"cloud.graphql": server.graphql_url}):
        result = shell.run_cell(f"%flow watch {uuid.uuid4()}")
    assert isinstance(result.error_in_exec, UsageError)
    assert "There is no flow run" in str(result.error_in_exec)


def test_watch_without_run_is_refused(shell) -> None:  # noqa: ANN001
    from IPython.core.error import UsageError

    run(shell, "%%task --no-run load\nraw = 1\n")
    result = shell.run_cell("%flow register notebook --project nb --watch")
    assert isinstance(result.error_in_exec, UsageError)
    assert "--run --watch" in str(result.error_in_exec)
