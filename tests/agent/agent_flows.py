"""Flows the agent tests register; agents' flow-run processes import this module by name
(the tests give the agent this directory with ``--import-path``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.context import context


@task
def mark(out_dir: str) -> str:
    """Append one line to ``out_dir/<flow run id>``: a file with two lines means two executions."""
    path = Path(out_dir) / str(context.get("flow_run_id"))
    with path.open("a") as f:
        f.write(f"{os.getpid()}\n")
    return str(path)


@task
def say(text: str) -> str:
    context.get("logger").info("saying %s", text)
    return text


@task
def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@task
def fail() -> None:
    raise ValueError("no luck here")


@task
def crash() -> None:
    os._exit(3)


def marking_flow(name: str = "marking") -> Flow:
    """``mark(out_dir)`` then ``say("done")``."""
    with Flow(name) as flow:
        out_dir = Parameter("out_dir")
        say("done", upstream_tasks=[mark(out_dir)])
    return flow


def failing_flow() -> Flow:
    with Flow("failing") as flow:
        say("before")
        fail()
    return flow


def napping_flow(name: str = "napping") -> Flow:
    """``say("hello")`` → ``nap(seconds)`` → ``say("goodbye")``."""
    with Flow(name) as flow:
        seconds = Parameter("seconds", default=1.0)
        hello = say("hello")
        slept = nap(seconds, upstream_tasks=[hello])
        say("goodbye", upstream_tasks=[slept])
    return flow


def crashing_flow() -> Flow:
    with Flow("crashing") as flow:
        crash()
    return flow


def greeting_flow() -> Flow:
    """Needs the parameter ``who``."""
    with Flow("greeting") as flow:
        say(Parameter("who"))
    return flow


# greeting_flow as changed after it was registered: its parameter is now called "whom"
with Flow("greeting") as renamed_greeting:
    say(Parameter("whom"))


@task
def wait_for_gate(gate: str) -> str:
    """Wait until the file ``gate`` exists: the test decides when the run goes on."""
    deadline = time.monotonic() + 300
    while not os.path.exists(gate):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the gate {gate} never opened")
        time.sleep(0.05)
    return gate


@task
def say_twice(number: int) -> int:
    logger = context.get("logger")
    logger.info("line %d a", number)
    logger.info("line %d b", number)
    return number


def gated_flow(name: str = "gated", width: int = 15) -> Flow:
    """``wait_for_gate(gate)`` then ``width`` tasks that log two lines each."""
    with Flow(name) as flow:
        opened = wait_for_gate(Parameter("gate"))
        for number in range(width):
            say_twice(number, upstream_tasks=[opened])
    return flow


@task
def hang_the_first_time(marker: str) -> str:
    """The first run writes its pid to ``marker`` and hangs (to be killed); later ones return."""
    if os.path.exists(marker):
        return "ran again"
    Path(marker).write_text(str(os.getpid()))
    while True:
        time.sleep(1)


def hanging_flow() -> Flow:
    """``hang_the_first_time(marker)`` then ``say("after")``."""
    with Flow("hanging") as flow:
        hung = hang_the_first_time(Parameter("marker"))
        say("after", upstream_tasks=[hung])
    return flow


@task
def where(out_dir: str) -> str:
    """Write the process's working directory and two environment variables to
    ``out_dir/<flow run id>`` (one per line)."""
    path = Path(out_dir) / str(context.get("flow_run_id"))
    lines = [os.getcwd(), os.environ.get("RUN_STAGE", "-"), os.environ.get("AGENT_ONLY", "-")]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def local_run_flow(labels: list[str], **run_config: object) -> Flow:
    """``where(out_dir)``, run with ``LocalRun(**run_config)``."""
    from prefect_jupyter.run_configs import LocalRun

    with Flow("local-run") as flow:
        where(Parameter("out_dir"))
    flow.run_config = LocalRun(labels=labels, **run_config)
    return flow


@task
def count_to(n: int) -> list[int]:
    return list(range(n))


@task
def tick(number: int) -> int:
    time.sleep(0.001)  # children take a while: the run is still reporting them later
    return number


def ticking_map_flow(name: str = "ticking map") -> Flow:
    """``count_to(n)`` → ``tick.map(...)``: ``n`` mapped children of a millisecond each."""
    with Flow(name) as flow:
        tick.map(count_to(Parameter("n", default=100)))
    return flow
