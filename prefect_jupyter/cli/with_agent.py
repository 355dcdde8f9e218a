"""The local agent that ``prefect-jupyter server start --with-agent`` runs beside the server.

The agent runs in a thread of the server's process: it starts once the server answers on
``/health`` (so it registers at once), and stops when the server stops. Runs it has started
are then stopped too (the server they report to is going away); the server's services find
them at its next start: Lazarus reschedules them, and they go on from their finished tasks.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prefect_jupyter.utilities.logging import get_logger

logger = get_logger("server")

#: seconds the agent waits for the server to answer before giving up
STARTUP_TIMEOUT = 60.0


@contextlib.contextmanager
def sigterm_exits() -> Iterator[None]:
    """Inside the block, SIGTERM raises ``SystemExit(143)`` instead of ending the process.

    uvicorn shuts the server down on SIGTERM, then raises the signal again with the handler it
    found; with the default handler the process would end on the spot, leaving the agent's runs
    behind. This handler lets the agent stop them first.
    """

    def exit_on_sigterm(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def api_address(host: str, port: int) -> str:
    """Where a local client reaches a server bound to ``host:port``."""
    if host in ("0.0.0.0", "", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


class AgentThread:
    """A :class:`~prefect_jupyter.agent.LocalAgent` in a daemon thread.

    Args:
        api: the server's address (``http://127.0.0.1:4200``).
        api_token: the server's token, if any.
        labels: the agent's labels (default: config ``cloud.agent.labels``).
    """

    def __init__(self, api: str, api_token: str | None, labels: Iterable[str] = ()) -> None:
        from prefect_jupyter.agent import LocalAgent

        self.api = api
        self.agent: Any = LocalAgent(api=api, api_token=api_token, labels=list(labels) or None)
        self._thread = threading.Thread(target=self._run, name="prefect_jupyter-agent", daemon=True)
        self._cancelled = threading.Event()

    def start(self) -> AgentThread:
        self._thread.start()
        return self

    def _run(self) -> None:
        import httpx

        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._cancelled.is_set():
            try:
                if httpx.get(f"{self.api}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                logger.error("The agent did not start: the server at %s did not answer within "
                             "%g s.", self.api, STARTUP_TIMEOUT)
                return
            self._cancelled.wait(0.1)
        if not self._cancelled.is_set():
            self.agent.start()

    def stop(self) -> None:
        """Stop the agent and the runs it started; wait for it (up to its kill grace period)."""
        self._cancelled.set()
        self.agent.stop(terminate_runs=True)
        if self._thread.is_alive():
            self._thread.join(self.agent.kill_grace_period + 5)
