"""Flow-run subprocesses: exit codes in words, stopping a whole process group, kept stderr."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from prefect_jupyter.agent.processes import FlowRunProcess, flow_run_command


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def wait_exit(process: FlowRunProcess, timeout: float = 10) -> int:
    process.popen.wait(timeout)
    return process.returncode


def test_the_command_runs_the_executor_module_with_the_run_id():
    command = flow_run_command("abc")
    assert command[0] == sys.executable
    assert command[1:] == ["-m", "prefect_jupyter.backend", "--id", "abc"]
    # its output kept only for a crash's tail: warnings and errors (the lines are on the server)
    assert flow_run_command("abc", show_flow_logs=False)[1:] == [
        "-m", "prefect_jupyter.backend", "--id", "abc", "--console-level", "WARNING"]


def test_an_unknown_console_level_is_a_usage_error_naming_the_levels():
    done = subprocess.run([*flow_run_command("abc")[:-2], "--id", "abc", "--console-level",
                           "LOUD"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Unknown logging level 'LOUD'" in done.stderr and "WARNING" in done.stderr


def test_a_crash_is_described_with_its_exit_code_and_last_stderr_lines():
    process = FlowRunProcess(
        "run-1",
        command=python("import os, sys; print('going down', file=sys.stderr, flush=True); os._exit(3)"),
    )
    try:
        assert wait_exit(process) == 3
        assert process.describe_exit() == "Flow run process exited with code 3"
        assert process.stderr_tail() == "going down"
    finally:
        process.close()


def test_a_kill_by_signal_is_named():
    process = FlowRunProcess("run-2", command=python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"))
    try:
        wait_exit(process)
        assert process.describe_exit() == "Flow run process was killed by SIGKILL (exit code -9)"
    finally:
        process.close()


def test_terminate_stops_the_process_and_what_it_started():
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    process = FlowRunProcess("run-3", command=python(code), show_flow_logs=False)
    try:
        deadline = time.monotonic() + 60
        children: list[psutil.Process] = []
        while not children and time.monotonic() < deadline:
            children = psutil.Process(process.pid).children()
            time.sleep(0.05)
        assert children, "the grandchild never started"
        grandchild = children[0]
        code_ = process.terminate(grace=5)
        assert code_ == -15  # SIGTERM was enough: no SIGKILL after the grace
        assert process.stopping
        psutil.wait_procs([grandchild], timeout=30)
        assert not grandchild.is_running() or grandchild.status() == psutil.STATUS_ZOMBIE
        assert not psutil.pid_exists(process.pid) or psutil.Process(process.pid).status() == psutil.STATUS_ZOMBIE
    finally:
        process.close()


def test_terminate_kills_a_process_that_ignores_sigterm_after_the_grace_period():
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', file=sys.stderr, flush=True)\n"
        "time.sleep(60)\n"
    )
    process = FlowRunProcess("run-4", command=python(code))
    try:
        deadline = time.monotonic() + 60
        while process.stderr_tail() != "ready" and time.monotonic() < deadline:
            time.sleep(0.02)  # until it ignores SIGTERM
        began = time.monotonic()
        assert process.terminate(grace=0.3) == -9
        assert time.monotonic() - began > 0.25  # it waited for the grace before SIGKILL
        assert process.describe_exit() == "Flow run process was killed by SIGKILL (exit code -9)"
    finally:
        process.close()


def test_the_environment_is_passed_on():
    process = FlowRunProcess(
        "run-5", command=python("import os, sys; sys.exit(int(os.environ['CODE']))"),
        env={"CODE": "7", "PATH": "/usr/bin:/bin"},
    )
    try:
        assert wait_exit(process) == 7
    finally:
        process.close()
