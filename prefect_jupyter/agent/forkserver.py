"""Warm start: a process with prefect_jupyter already imported forks one child per flow run.

Starting a flow run in a fresh interpreter costs about half a second of CPU before the first
task runs (Python, prefect_jupyter, httpx, cloudpickle); with many short runs that is most of
the work. With ``LocalAgent(warm_start=True)`` (``--warm-start``) the agent starts one *fork
server* — ``python -m prefect_jupyter.agent.forkserver`` — that imports all of that once and
then forks a child for each flow run. Each child is a new session (so the agent can stop it and
whatever it starts, as with a plain subprocess), with its standard error in a file of its own,
and executes the run exactly as ``python -m prefect_jupyter.backend`` would. User code is
never imported by the fork server itself: each run loads its flow afresh in its child.

The protocol is one JSON object per line: the agent writes ``{"flow_run_id", "stderr"}`` to the
server's stdin; the server answers ``{"started": flow_run_id, "pid": pid}`` and, when a child
ends, ``{"exited": pid, "code": code}`` (negative: killed by that signal), on its stdout. The
fork server stays single-threaded, which is what makes forking it safe.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from typing import IO, Any

from prefect_jupyter.agent.processes import QUIET_CONSOLE_LEVEL, describe_exit

__all__ = ["ForkServer", "ForkedRun"]

#: imported once by the fork server, before any fork
PRELOAD = (
    "prefect_jupyter.backend.execution",
    "prefect_jupyter.engine.flow_runner",
    "prefect_jupyter.executors",
    "prefect_jupyter.client",
    "prefect_jupyter.serialization.storage",
    "httpx",
    "cloudpickle",
)


class ForkedRun:
    """A flow run executing in a child of the fork server (the agent's ``DeployedRun``)."""

    def __init__(self, flow_run_id: str, pid: int, stderr_path: str | None) -> None:
        self.flow_run_id = flow_run_id
        self.pid = pid
        self.stopping = False
        self._stderr_path = stderr_path
        self._code: int | None = None
        self._exited = threading.Event()

    @property
    def returncode(self) -> int | None:
        return self._code

    def _set_exit(self, code: int) -> None:
        self._code = code
        self._exited.set()

    def wait(self, timeout: float | None = None) -> int | None:
        self._exited.wait(timeout)
        return self._code

    def terminate(self, grace: float = 10.0) -> int | None:
        """SIGTERM to its process group, then SIGKILL after ``grace`` seconds."""
        self.stopping = True
        if self._code is None:
            self._signal_group(signal.SIGTERM)
            if self.wait(grace) is None:
                self._signal_group(signal.SIGKILL)
                self.wait(10)
        self._signal_group(signal.SIGKILL)  # whatever it left behind
        return self._code

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def describe_exit(self) -> str:
        return describe_exit(self._code)

    def stderr_tail(self, lines: int = 20) -> str:
        if not self._stderr_path:
            return ""
        try:
            with open(self._stderr_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 64_000))
                text = f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        if self._stderr_path:
            try:
                os.unlink(self._stderr_path)
            except OSError:
                pass
            self._stderr_path = None


class ForkServer:
    """The agent's side of a fork server.

    Args:
        env: the fork server's environment (what every flow run gets).
        show_flow_logs: children write to the agent's stderr instead of a file each.
        on_exit: called (from a thread) when a child ends.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        show_flow_logs: bool = False,
        on_exit: Callable[[], Any] | None = None,
    ) -> None:
        self.env = dict(env)
        self.show_flow_logs = show_flow_logs
        self.on_exit = on_exit
        self.popen: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._started: dict[str, tuple[threading.Event, list[int]]] = {}
        self._runs: dict[int, ForkedRun] = {}
        self._early_exits: dict[int, int] = {}
        self._reader: threading.Thread | None = None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> ForkServer:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "prefect_jupyter.agent.forkserver"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env,
            stderr=None if self.show_flow_logs else subprocess.DEVNULL,
        )
        self._reader = threading.Thread(target=self._read, args=(self.popen.stdout,), daemon=True)
        self._reader.start()
        return self

    def spawn(self, flow_run_id: str, timeout: float = 60.0) -> ForkedRun:
        """Fork a child that executes ``flow_run_id``; its handle."""
        if not self.alive():
            self.start()
        stderr_path = None
        if not self.show_flow_logs:
            fd, stderr_path = tempfile.mkstemp(prefix=f"flow-run-{flow_run_id}-", suffix=".log")
            os.close(fd)
        event, box = threading.Event(), []
        with self._lock:
            self._started[flow_run_id] = (event, box)
        assert self.popen is not None and self.popen.stdin is not None
        request = json.dumps({"flow_run_id": flow_run_id, "stderr": stderr_path})
        self.popen.stdin.write(request.encode() + b"\n")
        self.popen.stdin.flush()
        if not event.wait(timeout) or not box:
            raise RuntimeError(f"The fork server did not start flow run {flow_run_id} "
                               f"within {timeout} s (exit code {self.popen.poll()}).")
        run = ForkedRun(flow_run_id, box[0], stderr_path)
        with self._lock:
            self._runs[run.pid] = run
            early = self._early_exits.pop(run.pid, None)
        if early is not None:
            run._set_exit(early)
        return run

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            with self._lock:
                if "started" in message:
                    event, box = self._started.pop(message["started"], (None, None))
                    if event is not None:
                        box.append(message["pid"])
                        event.set()
                    continue
                run = self._runs.pop(message.get("exited"), None)
                if run is None:  # ended before spawn() saw it start
                    self._early_exits[message.get("exited")] = message.get("code")
            if run is not None:
                run._set_exit(message.get("code"))
                if self.on_exit is not None:
                    self.on_exit()
        with self._lock:  # the fork server is gone: nobody waits for a start any more
            for event, _ in self._started.values():
                event.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the fork server (running children go on; they report to the server)."""
        if self.popen is None:
            return
        if self.popen.stdin is not None:
            try:
                self.popen.stdin.close()
            except OSError:
                pass
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


# -- the fork server process ----------------------------------------------------------------------
def _child(flow_run_id: str, stderr_path: str | None) -> None:
    """In the forked child: become a session of its own, then execute the run; never returns."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        if stderr_path:
            err = os.open(stderr_path, os.O_WRONLY | os.O_APPEND)
            os.dup2(err, 2)
        os.environ["PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID"] = flow_run_id
        from prefect_jupyter.backend.__main__ import main

        quiet = ["--console-level", QUIET_CONSOLE_LEVEL] if stderr_path else []
        code = main(["--id", flow_run_id, *quiet])
    except BaseException:  # report anything, then leave without running the server's code
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # a closed stream: nothing more to say anyway
                pass
        os._exit(code)


def _serve() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    # what every child inherits is never garbage: keep it out of their full collections (and
    # its pages shared between them)
    from prefect_jupyter.utilities.heap import freeze_long_lived

    freeze_long_lived()
    out = sys.stdout.buffer

    def say(message: dict[str, Any]) -> None:
        out.write(json.dumps(message).encode() + b"\n")
        out.flush()

    stdin = sys.stdin.fileno()
    selector = selectors.DefaultSelector()
    selector.register(stdin, selectors.EVENT_READ)
    children: set[int] = set()
    pending = b""
    stdin_open = True
    while stdin_open or children:
        if stdin_open and selector.select(timeout=0.05):
            chunk = os.read(stdin, 65536)
            if not chunk:
                stdin_open = False
                selector.unregister(stdin)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _child(request["flow_run_id"], request.get("stderr"))
                children.add(pid)
                say({"started": request["flow_run_id"], "pid": pid})
        elif not stdin_open:
            time.sleep(0.05)
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                children.clear()
                break
            if pid == 0:
                break
            children.discard(pid)
            try:
                say({"exited": pid, "code": os.waitstatus_to_exitcode(status)})
            except BrokenPipeError:
                pass  # the agent is gone; keep reaping


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the agent decides when this process ends
    _serve()
