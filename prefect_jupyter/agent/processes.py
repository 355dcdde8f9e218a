"""The flow-run subprocesses of an agent: start, watch, stop.

Each flow run executes in its own process (``python -m prefect_jupyter.backend``), started in
a new session so that stopping it also stops anything it started (a shell task, a worker pool):
:meth:`FlowRunProcess.terminate` sends SIGTERM to the whole process group, waits ``grace``
seconds, then sends SIGKILL. A new session also keeps a Ctrl-C in the agent's terminal from
reaching the flow runs; the agent decides what happens to them (see ``agent/agent.py``).

What a flow run prints goes to the agent's own output with ``show_flow_logs``; otherwise the
last lines of its standard error are kept, so that a crash can be explained.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import IO

__all__ = ["QUIET_CONSOLE_LEVEL", "FlowRunProcess", "describe_exit", "flow_run_command"]


#: the lowest level a flow-run process writes to a standard error kept only for a crash's tail
#: (its run's lines reach the server anyway; writing each of a big map's would cost the run)
QUIET_CONSOLE_LEVEL = "WARNING"


def flow_run_command(flow_run_id: str, show_flow_logs: bool = True) -> list[str]:
    """The command that executes one flow run (it reads the server's address from its env).

    Args:
        show_flow_logs: whether its log lines are shown (else only warnings and errors are
            written to its standard error: see :data:`QUIET_CONSOLE_LEVEL`).
    """
    command = [sys.executable, "-m", "prefect_jupyter.backend", "--id", flow_run_id]
    if not show_flow_logs:
        command += ["--console-level", QUIET_CONSOLE_LEVEL]
    return command


class FlowRunProcess:
    """One flow run executing in a subprocess.

    Args:
        flow_run_id: the run it executes.
        command: the command line (default: :func:`flow_run_command`).
        env: its environment.
        show_flow_logs: let it write to the agent's stdout/stderr instead of keeping its stderr.
        cwd: the directory it starts in (default: the agent's).
    """

    def __init__(
        self,
        flow_run_id: str,
        command: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        show_flow_logs: bool = False,
        cwd: str | None = None,
    ) -> None:
        self.flow_run_id = flow_run_id
        self.started = time.monotonic()
        self.stopping = False  # terminate() was called: the exit is ours, not a crash
        self._stderr: IO[bytes] | None = None
        if not show_flow_logs:
            self._stderr = tempfile.TemporaryFile()
        self.popen = subprocess.Popen(
            list(command or flow_run_command(flow_run_id, show_flow_logs)),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=None if show_flow_logs else subprocess.DEVNULL,
            stderr=None if show_flow_logs else self._stderr,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        """The exit code, or ``None`` while it runs (negative: killed by that signal)."""
        return self.popen.poll()

    def terminate(self, grace: float = 10.0) -> int:
        """Stop the process and its children: SIGTERM, then SIGKILL after ``grace`` seconds.

        Returns:
            Its exit code.
        """
        self.stopping = True
        if self.popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait()
        # whatever it started and left behind goes too
        self._signal_group(signal.SIGKILL)
        return self.popen.returncode

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass  # already gone

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines it wrote to standard error ("" with ``show_flow_logs``)."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - 64_000))
        text = self._stderr.read().decode("utf-8", errors="replace")
        return "\n".join(collections.deque(text.splitlines(), maxlen=lines))

    def close(self) -> None:
        """Release the kept standard error."""
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def describe_exit(self) -> str:
        """The exit in words, for a state message (see :func:`describe_exit`)."""
        return describe_exit(self.popen.returncode)


def describe_exit(code: int | None) -> str:
    """A flow-run process's exit in words ("exited with code 3", "was killed by SIGKILL")."""
    from prefect_jupyter.backend.spool import SPOOLED_EXIT_CODE

    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"Flow run process was killed by {name} (exit code {code})"
    if code == SPOOLED_EXIT_CODE:
        return (f"Flow run process exited with code {code}: the server could not take its reports, "
                "and what it spooled to disk did not finish the run")
    return f"Flow run process exited with code {code}"
