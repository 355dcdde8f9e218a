"""The flow of the bulk-reporting test; the agent's flow-run process imports this module by name
(the test gives the agent this directory with ``--import-path``)."""

from __future__ import annotations

from prefect_jupyter import Flow, task


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def inc(x: int) -> int:
    return x + 1


def map_flow(n: int) -> Flow:
    """``numbers(n)`` then ``inc.map`` over it: ``n`` mapped children."""
    with Flow(f"bulk-map-{n}") as flow:
        inc.map(numbers(n))
    return flow
