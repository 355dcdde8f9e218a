"""Flows the web UI's browser tests register. The agent's flow-run processes import this module
by name (the tests give the agent this directory as an import path), so the tasks are pickled
by reference."""

from __future__ import annotations

import time

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.context import context

#: the message of the failing task's error, looked for in the UI's logs
FAILURE_MESSAGE = "the failing task failed on purpose"
#: a task name that would run script if the UI put it into HTML unescaped
XSS_NAME = "<img src=x onerror=window.__xss=1>"


@task
def slow(seconds: float) -> float:
    context.get("logger").info("sleeping for %s s", seconds)
    time.sleep(seconds)
    return seconds


@task
def explode(_after: float) -> None:
    raise ValueError(FAILURE_MESSAGE)


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def square(i: int) -> int:
    return i * i


@task
def total(values: list[int]) -> int:
    return sum(values)


def demo_flow(name: str = "ui-demo", children: int = 10_000) -> Flow:
    """A slow task, a failing task after it, and a ``children``-wide map with a reduce."""
    with Flow(name) as flow:
        wait = Parameter("wait", default=3.0)
        n = Parameter("n", default=children)
        explode(slow(wait))
        total(square.map(numbers(n)))
    return flow


@task(name=XSS_NAME)
def html_named(text: str) -> str:
    context.get("logger").warning("logged by %s: %s", XSS_NAME, text)
    return text


def xss_flow(name: str = "<b>xss</b> flow") -> Flow:
    """A flow whose task, parameter default and log line hold HTML."""
    with Flow(name) as flow:
        html_named(Parameter("text", default="<script>window.__xss=2</script>"))
    return flow


@task
def greet(name: str) -> str:
    context.get("logger").info("hello %s", name)
    return f"hello {name}"


def greet_flow(name: str = "ui-greet") -> Flow:
    """One task and a required parameter."""
    with Flow(name) as flow:
        greet(Parameter("name"))
    return flow


def sleepy_flow(name: str = "ui-sleepy") -> Flow:
    """One task that sleeps long enough to be cancelled."""
    with Flow(name) as flow:
        slow(Parameter("wait", default=120.0))
    return flow


def scheduled_flow(name: str = "ui-scheduled") -> Flow:
    """A flow on an hourly schedule whose first run is a day away."""
    import datetime

    from prefect_jupyter.schedules import IntervalSchedule

    start = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    schedule = IntervalSchedule(start_date=start, interval=datetime.timedelta(hours=1))
    with Flow(name, schedule=schedule) as flow:
        greet("scheduled")
    return flow


@task
def picky(i: int) -> int:
    if i % 1000 == 999:
        raise ValueError(f"{i} is a thousandth")
    return i


def paged_flow(name: str = "ui-paged", children: int = 3_000) -> Flow:
    """A ``children``-wide map in which every 1,000th child fails."""
    with Flow(name) as flow:
        picky.map(numbers(Parameter("n", default=children)))
    return flow
