"""Child flows of the flow-of-flows tests; the agent's run processes import this module by name
(the tests give the agent this directory with ``--import-path``)."""

from __future__ import annotations

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.context import context
from prefect_jupyter.engine.results import LocalResult, PrefectResult


@task(result=PrefectResult())
def total(n: int) -> int:
    context.get("logger").info("adding up to %s", n)
    return sum(range(n + 1))


@task
def squares(n: int) -> list[int]:
    return [i * i for i in range(n)]


@task
def refuse(n: int) -> None:
    raise ValueError(f"child refuses n={n}")


def summing_flow(name: str, results_dir: str) -> Flow:
    """``total(n)`` (a PrefectResult) and ``squares(n)`` (a LocalResult in ``results_dir``)."""
    with Flow(name, result=LocalResult(dir=results_dir)) as flow:
        n = Parameter("n", default=3)
        total(n)
        squares(n)
    return flow


def refusing_flow(name: str) -> Flow:
    with Flow(name) as flow:
        refuse(Parameter("n", default=1))
    return flow


@task(log_stdout=True)
def token_length(token: str) -> int:
    print(f"the token has {len(token)} characters")
    return len(token)


def secret_flow(name: str) -> Flow:
    """A secret read in the agent's run process, used by a task whose result is persisted."""
    from prefect_jupyter.tasks.secrets import PrefectSecret

    with Flow(name, result=PrefectResult()) as flow:
        token_length(PrefectSecret("TOKEN"))
    return flow


def parent_flow(name: str, project: str) -> Flow:
    """Runs ``child-a`` with n=5 and reads its ``total-1`` (run by an agent, as the children are)."""
    from prefect_jupyter.tasks.prefect import (
        create_flow_run,
        get_task_run_result,
        wait_for_flow_run,
    )

    with Flow(name) as flow:
        child = create_flow_run(flow_name="child-a", project_name=project, parameters={"n": 5})
        done = wait_for_flow_run(child, raise_final_state=True, stream_logs=True)
        get_task_run_result(child, task_slug="total-1", upstream_tasks=[done],
                            task_args={"result": PrefectResult()})
    return flow
