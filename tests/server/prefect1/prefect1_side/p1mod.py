"""A Prefect 1.4.1 flow with ``Module`` storage (importable from this directory)."""

import prefect
from prefect import Flow, task
from prefect.run_configs import LocalRun
from prefect.storage import Module


@task
def hello():
    prefect.context.get("logger").info("hello from a module")


with Flow("p1-module", storage=Module("p1mod"), run_config=LocalRun(labels=["p1"])) as flow:
    hello()
