"""``ServerProcess``: the server in a subprocess on a free loopback port (tests, notebooks).

Example:
    >>> with ServerProcess() as server:  # doctest: +SKIP
    ...     httpx.get(f"{server.url}/health").json()["status"]
    'ok'
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

STARTUP_TIMEOUT = 45.0  # generous: a cold start on a busy 2-core CI machine took 10 s


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class ServerProcessError(RuntimeError):
    """The server process did not start (the message includes its output)."""


class ServerProcess:
    """Run ``python -m prefect_jupyter.server`` until stopped.

    Args:
        database_url: the server's database (default: an SQLite file in a temporary
            directory, removed when the context manager exits).
        api_token: the token the server requires (none by default).
        port: the port (default: a free one, kept across :meth:`restart`).
        startup_timeout: seconds to wait for ``/health`` to answer.
        env: extra environment variables for the process.
        ui_port: also serve the web UI on this port (default: no UI).
        services: run the server's services (scheduler, zombie killer, Lazarus; configure
            them through ``env``, e.g. ``PREFECT_JUPYTER__SERVER__SERVICES__HEARTBEAT_WINDOW``).

    Attributes:
        url: ``http://127.0.0.1:PORT``; ``graphql_url``: ``url + "/graphql"``;
        ``ui_url``: ``http://127.0.0.1:UI_PORT`` (``None`` without a UI).
        pid: the process id while running (else ``None``).
    """

    def __init__(
        self,
        database_url: str | None = None,
        api_token: str | None = None,
        port: int | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
        env: dict[str, str] | None = None,
        ui_port: int | None = None,
        services: bool = True,
    ) -> None:
        self._tmpdir: str | None = None
        if database_url is None:
            self._tmpdir = tempfile.mkdtemp(prefix="prefect-jupyter-server-")
            database_url = f"sqlite:///{Path(self._tmpdir) / 'server.db'}"
        self.database_url = database_url
        self.api_token = api_token
        self.host = "127.0.0.1"
        self._port_given = port is not None
        self.port = port or free_port(self.host)
        self.startup_timeout = startup_timeout
        self.env = env or {}
        self.ui_port = ui_port
        self.services = services
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ui_url(self) -> str | None:
        return f"http://{self.host}:{self.ui_port}" if self.ui_port else None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def command(self) -> list[str]:
        """The command line that starts the server."""
        cmd = [
            sys.executable, "-m", "prefect_jupyter.server",
            "--host", self.host, "--port", str(self.port), "--database-url", self.database_url,
        ]
        if self.api_token:
            cmd += ["--api-token", self.api_token]
        if self.ui_port:
            cmd += ["--ui-port", str(self.ui_port)]
        if not self.services:
            cmd.append("--no-services")
        return cmd

    def start(self) -> ServerProcess:
        """Start the process and wait until ``/health`` answers.

        Raises:
            ServerProcessError: the process exited, or did not answer within
                ``startup_timeout`` seconds; the message holds its output.
        """
        if self._process is not None:
            return self
        for attempt in range(3):
            self._log = tempfile.TemporaryFile()
            env = {**os.environ, **self.env}
            self._process = subprocess.Popen(
                self.command(), stdout=self._log, stderr=subprocess.STDOUT, env=env
            )
            try:
                self._wait_until_healthy()
                return self
            except ServerProcessError as exc:
                # another process took the free port between choosing and binding it
                if self._port_given or "address already in use" not in str(exc) or attempt == 2:
                    raise
                self.port = free_port(self.host)
        return self

    def _wait_until_healthy(self) -> None:
        import httpx

        deadline = time.monotonic() + self.startup_timeout
        assert self._process is not None
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                output = self.output()
                self.stop()
                raise ServerProcessError(
                    f"The server exited with code {code} before answering on {self.url}. "
                    f"Its output:\n{output}"
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200 and (
                    self.ui_url is None
                    or httpx.get(f"{self.ui_url}/api/health", timeout=1.0).status_code == 200
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        output = self.output()
        self.stop()
        raise ServerProcessError(
            f"The server did not answer on {self.url}/health within {self.startup_timeout} s. "
            f"Its output:\n{output}"
        )

    def output(self) -> str:
        """Everything the process has written to stdout and stderr so far."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> ServerProcess:
        """Stop the process and start it again on the same port and database."""
        self.stop()
        return self.start()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.pid else "stopped"
        return f"<ServerProcess {self.url} ({state}), database {self.database_url!r}>"

    def __del__(self) -> None:
        # a forgotten server must not outlive the interpreter that started it
        process: Any = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.kill()
