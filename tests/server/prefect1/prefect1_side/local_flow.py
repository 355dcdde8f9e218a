"""A Prefect 1.4.1 flow (run by Prefect 1 itself): a mapped task, logs, and a task that sleeps
for the ``sleep`` parameter — longer than the server's heartbeat window in the test."""

import time

import prefect
from prefect import Flow, Parameter, task
from prefect.run_configs import LocalRun
from prefect.storage import Local


@task
def numbers(n):
    return list(range(n))


@task
def double(x):
    prefect.context.get("logger").info("doubling %s", x)
    return 2 * x


@task
def total(xs, seconds):
    time.sleep(float(seconds))
    prefect.context.get("logger").info("total is %s", sum(xs))
    return sum(xs)


with Flow(
    "p1-mapped",
    storage=Local(path=__file__, stored_as_script=True, add_default_labels=False),
    run_config=LocalRun(labels=["p1"]),
) as flow:
    n = Parameter("n", default=3)
    sleep = Parameter("sleep", default=0)
    total(double.map(numbers(n)), sleep)
