"""Checkpointing and targets in real flow runs: which files get written, and when runs are cached."""

from __future__ import annotations

import datetime
import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prefect_jupyter import Flow, Parameter, task, unmapped
from prefect_jupyter.engine.results import LocalResult, PrefectResult
from prefect_jupyter.engine.state import Cached, Failed, Success, TriggerFailed
from prefect_jupyter.utilities.configuration import set_temporary_config


@pytest.fixture
def checkpointing() -> Iterator[None]:
    with set_temporary_config({"flows.checkpointing": True}):
        yield


def files_in(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def unpickle(path: str | Path) -> Any:
    return pickle.loads(Path(path).read_bytes())


@pytest.mark.usefixtures("checkpointing")
class TestCheckpointing:
    def test_each_mapped_child_writes_its_own_file(self, tmp_path: Path) -> None:
        @task(result=LocalResult(dir=tmp_path, location="{task_name}-{map_index}.pkl"))
        def square(x: int) -> int:
            return x * x

        with Flow("mapped") as flow:
            squares = square.map([1, 2, 3])

        state = flow.run()
        assert state.is_successful()
        assert files_in(tmp_path) == ["square-0.pkl", "square-1.pkl", "square-2.pkl"]
        for index, child in enumerate(state.result[squares].map_states):
            assert child._result.location == str(tmp_path / f"square-{index}.pkl")
            assert unpickle(child._result.location) == (index + 1) ** 2
            assert child.result == (index + 1) ** 2

    def test_an_unmapped_task_writes_one_file_at_its_location(self, tmp_path: Path) -> None:
        @task(result=LocalResult(dir=tmp_path, location="{task_name}.pkl"))
        def answer() -> int:
            return 42

        with Flow("single") as flow:
            result = answer()

        state = flow.run()
        written = state.result[result]._result
        assert isinstance(written, LocalResult)
        assert written.location == str(tmp_path / "answer.pkl")
        assert LocalResult(dir=tmp_path).read(written.location).value == 42

    def test_a_location_may_use_flow_parameters_and_run_details(self, tmp_path: Path) -> None:
        location = "{flow_name}/{parameters[p]}/{task_full_name}-{task_run_count}.pkl"

        @task(result=LocalResult(dir=tmp_path, location=location))
        def echo(x: int, p: str) -> int:
            return x

        with Flow("templated") as flow:
            echo.map([1, 2], p=unmapped(Parameter("p", default="pv")))

        flow.run()
        assert files_in(tmp_path) == ["templated/pv/echo[0]-1.pkl", "templated/pv/echo[1]-1.pkl"]

    def test_checkpoint_false_writes_nothing(self, tmp_path: Path) -> None:
        @task(result=LocalResult(dir=tmp_path, location="{task_name}.pkl"), checkpoint=False)
        def not_saved() -> int:
            return 1

        with Flow("no checkpoint") as flow:
            result = not_saved()

        state = flow.run()
        assert state.result[result].result == 1
        assert state.result[result]._result.location is None
        assert files_in(tmp_path) == []

    def test_none_results_and_failures_are_not_written(self, tmp_path: Path) -> None:
        @task(result=LocalResult(dir=tmp_path, location="{task_name}.pkl"))
        def nothing() -> None:
            return None

        @task(result=LocalResult(dir=tmp_path, location="{task_name}.pkl"))
        def broken() -> int:
            raise ValueError("broken")

        with Flow("nothing to write") as flow:
            nothing()
            broken()

        state = flow.run()
        assert state.is_failed()
        assert files_in(tmp_path) == []

    def test_the_flow_result_is_used_by_tasks_without_their_own(self, tmp_path: Path) -> None:
        flow_dir, task_dir = tmp_path / "flow", tmp_path / "task"

        @task
        def plain() -> str:
            return "plain"

        @task(result=LocalResult(dir=task_dir, location="own.pkl"))
        def own() -> str:
            return "own"

        with Flow(
            "flow result", result=LocalResult(dir=flow_dir, location="{task_name}.res")
        ) as flow:
            plain_task, own_task = plain(), own()

        state = flow.run()
        assert files_in(flow_dir) == ["plain.res"]
        assert files_in(task_dir) == ["own.pkl"]
        assert unpickle(state.result[plain_task]._result.location) == "plain"
        assert unpickle(state.result[own_task]._result.location) == "own"

    def test_prefect_result_keeps_the_json_value_in_its_location(self) -> None:
        @task(result=PrefectResult())
        def summary() -> dict:
            return {"rows": 3, "ok": True}

        with Flow("prefect result") as flow:
            result = summary()

        written = flow.run().result[result]._result
        assert isinstance(written, PrefectResult)
        assert json.loads(written.location) == {"rows": 3, "ok": True}
        assert written.value == {"rows": 3, "ok": True}

    def test_an_unknown_template_field_fails_the_task_with_its_name(self, tmp_path: Path) -> None:
        @task(result=LocalResult(dir=tmp_path, location="{nope}.pkl"))
        def bad_location() -> int:
            return 1

        @task
        def downstream(x: int) -> int:
            return x

        with Flow("bad location") as flow:
            bad = bad_location()
            after = downstream(bad)

        state = flow.run()  # the run finishes; only the task fails
        assert state.is_failed()
        assert isinstance(state.result[bad], Failed)
        assert "{nope}" in state.result[bad].message
        assert isinstance(state.result[after], TriggerFailed)
        assert files_in(tmp_path) == []


def test_nothing_is_written_when_checkpointing_is_off(tmp_path: Path) -> None:
    @task(result=LocalResult(dir=tmp_path, location="{task_name}-{map_index}.pkl"))
    def square(x: int) -> int:
        return x * x

    with Flow("off") as flow:
        squares = square.map([1, 2])

    with set_temporary_config({"flows.checkpointing": False}):
        state = flow.run()
    assert state.result[squares].result == [1, 4]
    assert files_in(tmp_path) == []


def test_checkpointing_is_off_by_default(tmp_path: Path) -> None:
    @task(result=LocalResult(dir=tmp_path, location="{task_name}.pkl"))
    def answer() -> int:
        return 42

    with Flow("default") as flow:
        answer()

    flow.run()
    assert files_in(tmp_path) == []


@pytest.mark.usefixtures("checkpointing")
class TestTargets:
    def test_the_first_run_writes_and_the_second_is_cached_without_running(
        self, tmp_path: Path
    ) -> None:
        calls: list[int] = []

        @task(result=LocalResult(dir=tmp_path), target="{task_name}.pkl")
        def expensive() -> int:
            calls.append(1)
            return 42

        with Flow("target") as flow:
            result = expensive()

        first = flow.run().result[result]
        assert isinstance(first, Success)
        assert first._result.location == str(tmp_path / "expensive.pkl")
        assert files_in(tmp_path) == ["expensive.pkl"]

        second = flow.run().result[result]
        assert isinstance(second, Cached)
        assert second.message == "Result found at task target expensive.pkl"
        assert second.result == 42
        assert len(calls) == 1

    def test_a_cached_target_result_feeds_downstream_tasks(self, tmp_path: Path) -> None:
        @task(result=LocalResult(dir=tmp_path), target="value.pkl")
        def produce() -> int:
            return 20

        @task
        def consume(x: int) -> int:
            return x + 1

        with Flow("downstream") as flow:
            result = consume(produce())

        flow.run()
        state = flow.run()
        assert state.is_successful()
        assert state.result[result].result == 21

    def test_an_existing_file_at_the_target_skips_even_the_first_run(self, tmp_path: Path) -> None:
        (tmp_path / "ready.pkl").write_bytes(pickle.dumps("precomputed"))
        calls: list[int] = []

        @task(result=LocalResult(dir=tmp_path), target="ready.pkl")
        def compute() -> str:
            calls.append(1)
            return "computed"

        with Flow("pre-existing") as flow:
            result = compute()

        state = flow.run().result[result]
        assert isinstance(state, Cached)
        assert state.result == "precomputed"
        assert calls == []

    def test_targets_may_use_today_parameters_and_inputs(self, tmp_path: Path) -> None:
        calls: list[tuple] = []

        @task(result=LocalResult(dir=tmp_path), target="{today}/{p}-{x}.pkl")
        def double(x: int, p: str) -> int:
            calls.append((x, p))
            return x * 2

        with Flow("templated target") as flow:
            result = double(3, Parameter("p", default="P"))

        assert flow.run().result[result].result == 6
        today = datetime.date.today().strftime("%Y-%m-%d")
        assert files_in(tmp_path) == [f"{today}/P-3.pkl"]

        cached = flow.run().result[result]
        assert isinstance(cached, Cached)
        assert cached.message == f"Result found at task target {today}/P-3.pkl"
        assert calls == [(3, "P")]

        # A new parameter value names a different target, so the task runs again.
        rerun = flow.run(parameters={"p": "Q"}).result[result]
        assert isinstance(rerun, Success) and not isinstance(rerun, Cached)
        assert calls == [(3, "P"), (3, "Q")]

    def test_a_callable_target(self, tmp_path: Path) -> None:
        calls: list[int] = []

        def name_it(**context: Any) -> str:
            return f"call-{context['task_name']}-{context['x']}.txt"

        @task(result=LocalResult(dir=tmp_path), target=name_it)
        def identity(x: int) -> int:
            calls.append(x)
            return x

        with Flow("callable target") as flow:
            result = identity(5)

        flow.run()
        assert files_in(tmp_path) == ["call-identity-5.txt"]
        cached = flow.run().result[result]
        assert isinstance(cached, Cached)
        assert cached.message == "Result found at task target call-identity-5.txt"
        assert calls == [5]

    def test_mapped_children_each_have_a_target(self, tmp_path: Path) -> None:
        calls: list[int] = []

        @task(result=LocalResult(dir=tmp_path), target="{task_name}-{map_index}.t")
        def square(x: int) -> int:
            calls.append(x)
            return x * x

        with Flow("mapped target") as flow:
            squares = square.map([5, 6])

        flow.run()
        assert files_in(tmp_path) == ["square-0.t", "square-1.t"]
        state = flow.run()
        children = state.result[squares].map_states
        assert [type(c) for c in children] == [Cached, Cached]
        assert [c.message for c in children] == [
            "Result found at task target square-0.t",
            "Result found at task target square-1.t",
        ]
        assert state.result[squares].result == [25, 36]
        assert calls == [5, 6]

    def test_target_replaces_a_result_location(self, tmp_path: Path) -> None:
        with pytest.warns(UserWarning, match="target"):

            @task(result=LocalResult(dir=tmp_path, location="ignored.pkl"), target="used.pkl")
            def both() -> int:
                return 1

        with Flow("both") as flow:
            both()

        flow.run()
        assert files_in(tmp_path) == ["used.pkl"]

    def test_an_unknown_field_in_a_target_fails_the_task_with_its_name(
        self, tmp_path: Path
    ) -> None:
        @task(result=LocalResult(dir=tmp_path), target="{nope}.pkl")
        def bad_target() -> int:
            return 1

        with Flow("bad target") as flow:
            bad = bad_target()

        state = flow.run()
        assert state.is_failed()
        assert isinstance(state.result[bad], Failed)
        assert "{nope}" in state.result[bad].message


def test_targets_are_ignored_when_checkpointing_is_off(tmp_path: Path) -> None:
    calls: list[int] = []

    @task(result=LocalResult(dir=tmp_path), target="off.pkl")
    def compute() -> int:
        calls.append(1)
        return 1

    with Flow("target off") as flow:
        result = compute()

    assert isinstance(flow.run().result[result], Success)
    assert isinstance(flow.run().result[result], Success)
    assert not isinstance(flow.run().result[result], Cached)
    assert calls == [1, 1, 1]
    assert files_in(tmp_path) == []


def test_unwritten_result_keeps_the_tasks_result_type(tmp_path) -> None:
    """Without checkpointing the value is not written, but ``_result`` has the task's type."""
    from prefect_jupyter import Flow, task
    from prefect_jupyter.engine.results import LocalResult

    @task(result=LocalResult(dir=str(tmp_path)), checkpoint=False)
    def five() -> int:
        return 5

    with Flow("typed") as flow:
        out = five()
    state = flow.run().result[out]
    assert type(state._result) is LocalResult
    assert state._result.value == 5 and state._result.location is None
    assert list(tmp_path.iterdir()) == []
