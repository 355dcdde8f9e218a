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
