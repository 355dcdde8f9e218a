"""Helpers of the agent tests: agent subprocesses, and waiting for what the server shows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

RUN_QUERY = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    id state state_message version parameters heartbeat
    states(order_by: {version: asc}) { state message version }
    task_runs(order_by: [{task: {slug: asc}}, {map_index: asc}]) {
      id map_index state state_message heartbeat task { slug name }
      states(order_by: {version: asc}) { state message }
    }
    logs(order_by: {timestamp: asc}) { message level name task_run_id }
  }
}
"""

FINISHED = {"Success", "Failed", "Cancelled", "TimedOut", "TriggerFailed", "Skipped"}

# fast reporting for tests: small batches and heartbeats
FAST_ENV = {
    "PREFECT_JUPYTER__CLOUD__AGENT__FLUSH_INTERVAL": "0.1",
    "PREFECT_JUPYTER__CLOUD__HEARTBEAT_INTERVAL": "1.0",
    "PREFECT_JUPYTER__CLOUD__AGENT__KILL_GRACE_PERIOD": "5.0",
}


class AgentProcess:
    """``prefect-jupyter agent local start`` in a subprocess, stopped by its PID."""

    def __init__(
        self,
        api: str,
        labels: Iterable[str],
        concurrency: int = 1,
        poll_interval: float = 0.2,
        name: str = "test-agent",
        env: dict[str, str] | None = None,
        extra_args: Iterable[str] = (),
    ) -> None:
        self.command = [
            sys.executable, "-c", "from prefect_jupyter.cli import main; main()",
            "agent", "local", "start", "--api", api, "--name", name,
            "--concurrency", str(concurrency), "--poll-interval", str(poll_interval),
            "--import-path", str(HERE),
        ]
        for label in labels:
            self.command += ["--label", label]
        self.command += list(extra_args)
        self.env = {**os.environ, **FAST_ENV, **(env or {})}
        self._log = tempfile.TemporaryFile()
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        self.popen = subprocess.Popen(
            self.command, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (the agent waits for its runs), then a second one (it stops them), then kill."""
        if self.popen is None:
            return None
        for sig in (signal.SIGTERM, signal.SIGTERM):
            if self.popen.poll() is not None:
                break
            os.kill(self.popen.pid, sig)
            try:
                self.popen.wait(timeout / 2)
            except subprocess.TimeoutExpired:
                continue
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        return self.popen.returncode

    def __enter__(self) -> AgentProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._log.close()


def flow_run(client: Any, run_id: str) -> dict[str, Any]:
    """The flow run with its states, task runs (with theirs) and logs."""
    return client.graphql(RUN_QUERY, {"id": run_id})["data"]["flow_run_by_pk"]


def wait_for(
    what: Callable[[], Any], timeout: float = 30.0, message: str = "", every: float = 0.1,
    agents: Iterable[AgentProcess] = (),
) -> Any:
    """Poll ``what()`` until it returns something truthy; fail with the agents' output."""
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > deadline:
            output = "\n".join(a.output() for a in agents)
            raise AssertionError(f"Timed out after {timeout} s waiting for {message}.\n{output}")
        time.sleep(every)


def wait_finished(client: Any, run_id: str, timeout: float = 30.0,
                  agents: Iterable[AgentProcess] = ()) -> dict[str, Any]:
    """Wait until the flow run is in a finished state; return it (see :func:`flow_run`)."""
    def finished() -> dict[str, Any] | None:
        run = flow_run(client, run_id)
        return run if run["state"] in FINISHED else None

    return wait_for(finished, timeout, f"flow run {run_id} to finish", agents=agents)


def task_run(run: dict[str, Any], name: str, map_index: int = -1) -> dict[str, Any]:
    """The task run of the task called ``name``."""
    found = [t for t in run["task_runs"] if t["task"]["name"] == name and t["map_index"] == map_index]
    assert len(found) == 1, (name, [t["task"]["name"] for t in run["task_runs"]])
    return found[0]


def history(run_or_task_run: dict[str, Any]) -> list[str]:
    return [s["state"] for s in run_or_task_run["states"]]


class RunProcess:
    """``python -m prefect_jupyter.backend --id RUN`` (what an agent starts), stopped by its PID."""

    def __init__(self, graphql_url: str, run_id: str, env: dict[str, str] | None = None) -> None:
        self.command = [sys.executable, "-m", "prefect_jupyter.backend", "--id", run_id]
        self.env = {**os.environ, **FAST_ENV, "PREFECT_JUPYTER__CLOUD__GRAPHQL": graphql_url,
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
                    **(env or {})}
        self._log = tempfile.TemporaryFile()
        self.popen: subprocess.Popen[bytes] | None = None

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def wait(self, timeout: float) -> int:
        assert self.popen is not None
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"The run process did not end in {timeout} s:\n{self.output()}") from None

    def __enter__(self) -> RunProcess:
        self.popen = subprocess.Popen(self.command, env=self.env, stdout=self._log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        self._log.close()
