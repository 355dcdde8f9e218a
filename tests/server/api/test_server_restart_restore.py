"""What a restarted run's process reuses (``backend/restore.py``): the server's finished
task-run states with their persisted results become the FlowRunner's ``task_states``.

The server side is replaced by the task-run rows it would return (made from a real first run
of the flow, with results written by LocalResult), so each case runs the real engine twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.backend.restore import restore_task_states
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.engine.results import LocalResult
from prefect_jupyter.engine.state_schema import state_to_dict

CALLS: list[str] = []


@task
def numbers() -> list[int]:
    CALLS.append("numbers")
    return [1, 2, 3]


@task
def square(x: int) -> int:
    CALLS.append(f"square({x})")
    return x * x


@task
def total(xs: list[int]) -> int:
    CALLS.append("total")
    return sum(xs)


class FakeServer:
    """The calls ``restore_task_states`` makes, answered from task-run rows."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.writes: list[dict[str, Any]] = []
        self.logs: list[tuple[str, str]] = []

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return {"task_run": self.rows}

    def set_task_run_states(self, items: list[dict[str, Any]]) -> None:
        self.writes.extend(items)

    def write_run_log(self, run_id: str, message: str, level: str = "ERROR",
                      name: str = "") -> None:
        self.logs.append((level, message))


@pytest.fixture
def flow(tmp_path: Path) -> Flow:
    with Flow("squares", result=LocalResult(dir=tmp_path)) as flow:
        total(square.map(numbers()))
    return flow


def first_run(flow: Flow) -> dict[Any, Any]:
    """Run the flow with checkpointing; the states the server would hold, by task."""
    CALLS.clear()
    state = FlowRunner(flow).run(return_tasks=flow.tasks, context={"checkpointing": True})
    assert state.is_successful()
    return state.result


def rows_from(flow: Flow, states: dict[Any, Any], pending: set[str]) -> list[dict[str, Any]]:
    """Task-run rows for ``states`` (tasks named in ``pending`` were reset by a restart)."""
    rows = []
    for task_, state in states.items():
        slug = flow.slugs[task_]
        if task_.name in pending:
            rows.append(row(slug, -1, {"type": "Pending", "_result": {}}, f"{slug}"))
            continue
        rows.append(row(slug, -1, state_to_dict(state), slug))
        for index, child in enumerate(getattr(state, "map_states", []) or []):
            rows.append(row(slug, index, state_to_dict(child), f"{slug}-{index}"))
    return rows


def row(slug: str, map_index: int, serialized: dict[str, Any], row_id: str) -> dict[str, Any]:
    return {"id": row_id, "version": 3, "map_index": map_index, "state": serialized["type"],
            "serialized_state": serialized, "task": {"slug": slug}}


def run_info(rows: list[dict[str, Any]]) -> dict[str, Any]:
    parents = [r for r in rows if r["map_index"] == -1]
    return {"id": "run-1", "task_runs": [dict(id=r["id"], version=r["version"], state=r["state"])
                                         for r in parents]}


def test_only_the_reset_task_runs_and_it_reads_the_mapped_results(flow):
    server = FakeServer(rows_from(flow, first_run(flow), pending={"total"}))
    CALLS.clear()
    seeded = restore_task_states(server, run_info(server.rows), flow)
    assert {t.name: type(s).__name__ for t, s in seeded.items()} == {
        "numbers": "Success", "square": "Success"}
    state = FlowRunner(flow).run(task_states=seeded, return_tasks=flow.tasks)
    assert CALLS == ["total"]
    results = {t.name: s.result for t, s in state.result.items()}
    assert results["total"] == 14 and results["square"] == [1, 4, 9]
    assert server.writes == []
    assert server.logs == [("INFO", "Reusing the states task runs reached before this run started "
                                    "again: numbers (Success), square (Success).")]


def test_a_lost_result_makes_its_task_run_again_and_resets_it(flow, tmp_path):
    rows = rows_from(flow, first_run(flow), pending={"total"})
    lost = next(r for r in rows if r["id"].endswith("-1") and r["map_index"] == 1)
    Path(lost["serialized_state"]["_result"]["location"]).unlink()
    server = FakeServer(rows)
    info = run_info(rows)
    CALLS.clear()
    seeded = restore_task_states(server, info, flow)
    assert {t.name for t in seeded} == {"numbers"}
    # the mapped task's parent and children go back to Pending on the server, version-checked
    square_slug = flow.slugs[next(t for t in flow.tasks if t.name == "square")]
    reset = {w["task_run_id"] for w in server.writes}
    assert reset == {square_slug, f"{square_slug}-0", f"{square_slug}-1", f"{square_slug}-2"}
    assert {w["version"] for w in server.writes} == {3}
    assert {w["state"]["type"] for w in server.writes} == {"Pending"}
    assert next(tr for tr in info["task_runs"] if tr["id"] == square_slug)["version"] == 4
    level, message = server.logs[0]
    assert level == "WARNING"
    assert message.startswith("Task 'square' finished before (Mapped), but it runs again: a task "
                              "that runs needs its value, and child 1: its result at ")
    state = FlowRunner(flow).run(task_states=seeded, return_tasks=flow.tasks)
    assert CALLS == ["square(1)", "square(2)", "square(3)", "total"]  # numbers is not run again
    assert {t.name: s.result for t, s in state.result.items()}["total"] == 14


def test_a_first_run_asks_nothing(flow):
    class Untouchable:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"{name} called for a new run")

    info = {"id": "run-1", "task_runs": [{"id": "a", "version": 1, "state": "Pending"}]}
    assert restore_task_states(Untouchable(), info, flow) == {}
