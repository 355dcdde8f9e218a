"""A small ETL on a one-minute schedule: the flow the quick start registers with the server.

Register it with ``prefect-jupyter register --project quickstart -p examples/scheduled_flow.py``;
the server's scheduler then keeps its next runs queued and an agent runs them. Run it here,
without the server, with ``prefect-jupyter run -p examples/scheduled_flow.py``.
"""

import datetime

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.schedules import IntervalSchedule


@task(max_retries=2, retry_delay=datetime.timedelta(seconds=1))
def extract(n):
    return list(range(1, n + 1))


@task
def transform(x):
    return x * x


@task(log_stdout=True)
def load(values):
    print(f"Loaded {len(values)} squares, total {sum(values)}")
    return sum(values)


schedule = IntervalSchedule(interval=datetime.timedelta(minutes=1))

with Flow("quickstart-etl", schedule=schedule) as flow:
    n = Parameter("n", default=5)
    load(transform.map(extract(n)))
