"""Plain-text summaries of flows, parameters and runs."""

from __future__ import annotations

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.jupyter import summaries


def test_summaries() -> None:
    with Flow("s") as flow:
        p = Parameter("p", default=2)
        task(lambda x: x)(p)
    assert summaries.parameters_summary(flow) == "Parameters of flow 's':\n  p (default 2)"
    assert summaries.flow_summary(flow).splitlines() == ["Flow 's': 2 tasks", "  parameter p", "  <lambda> ← p"]


def test_state_summary_names_each_failed_task_with_its_message() -> None:
    @task
    def ok() -> int:
        return 1

    @task
    def boom(x: int) -> None:
        raise ValueError("no data")

    with Flow("sum") as flow:
        boom(ok())
    lines = summaries.state_summary(flow, flow.run()).splitlines()
    assert lines[0].startswith("Flow run 'sum': Failed (")
    assert lines[1:] == ["  boom: Failed — Error during execution of task: ValueError('no data')"]
