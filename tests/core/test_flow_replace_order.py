"""Flow.replace keeps the insertion order unique: the sort never has to compare two tasks."""

from __future__ import annotations

from prefect_jupyter import Flow, task


@task
def src() -> list[int]:
    return [1, 2, 3]


@task
def dbl(x: int) -> int:
    return 2 * x


@task
def tot(xs: list[int]) -> int:
    return sum(xs)


@task
def side() -> str:
    return "side"


def build() -> tuple[Flow, dict[str, object]]:
    with Flow("rp") as flow:
        doubled = dbl.map(src())
        total = tot(doubled)
        other = side()
    return flow, {"doubled": doubled, "total": total, "side": other}


def test_replacing_a_task_keeps_the_sort_and_the_run_working() -> None:
    flow, tasks = build()
    before = [t.name for t in flow.sorted_tasks()]
    triple = dbl.copy(name="dbl")
    flow.replace(tasks["doubled"], triple)
    # the replacement sits where the old task was, so the order does not change shape
    assert [t.name for t in flow.sorted_tasks()] == before
    state = flow.run()
    assert state.is_successful()
    assert state.result[tasks["total"]].result == 12
    assert state.result[tasks["side"]].result == "side"


def test_replacing_repeatedly_and_adding_tasks_afterwards() -> None:
    flow, tasks = build()
    old = tasks["doubled"]
    for _ in range(3):
        new = dbl.copy()
        flow.replace(old, new)
        old = new
    extra = side.copy(name="extra")
    flow.add_task(extra)
    order = flow.sorted_tasks()
    assert len(order) == len(flow.tasks) == 5
    assert order[-1] is extra  # added last, no upstream: sorted last among the roots' followers
    assert flow.run().is_successful()


def test_replacing_with_a_task_already_in_the_flow() -> None:
    flow, tasks = build()
    flow.replace(tasks["side"], tasks["total"])
    assert tasks["side"] not in flow.tasks
    assert len(flow.sorted_tasks()) == 3
