"""Interrupting the kernel during ``%flow run``: the run ends Cancelled and the kernel stays usable."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import pytest

SLOW_FLOW = """
import time
from prefect_jupyter import task

@task
def nap():
    time.sleep(20)
    return "woke"
"""


def execute(client: Any, code: str, interrupt: Any = None, timeout: float = 60) -> tuple[str, dict]:
    """Run ``code``; return its text output (stdout, stderr, results, errors) and its reply content."""
    msg_id = client.execute(code)
    if interrupt is not None:
        interrupt()
    texts: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            msg = client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no idle status for {code!r} within {timeout}s; output so far: {texts}") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            texts.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            texts.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            texts.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=timeout)
    return "".join(texts), reply["content"]


@pytest.mark.slow
def test_interrupting_a_flow_run_cancels_it_and_the_kernel_stays_usable() -> None:
    from jupyter_client import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        for code in ("%load_ext prefect_jupyter", SLOW_FLOW, "%%flow sleepy\nnap()\n"):
            _, reply = execute(client, code)
            assert reply["status"] == "ok", reply

        timer: list[threading.Timer] = []

        def interrupt_soon() -> None:
            timer.append(threading.Timer(1.5, km.interrupt_kernel))
            timer[0].start()

        out, reply = execute(client, "%flow run sleepy", interrupt=interrupt_soon)
        # interrupted, so the 20 s task was stopped, not waited for (it would end in Success)
        assert "Flow run 'sleepy' was interrupted" in out, out

        out, reply = execute(client, "1 + 1")
        assert reply["status"] == "ok", reply
        assert out.strip() == "2"

        out, reply = execute(client, "%flow runs sleepy")
        assert reply["status"] == "ok", reply
        assert "Cancelled" in out and "interrupted" in out, out
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
