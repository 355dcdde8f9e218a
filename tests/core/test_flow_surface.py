"""Flow's memo of whole-graph answers, its logger, and saving a flow to a file and loading it."""

import logging
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from prefect_jupyter import Flow, Task, task
from prefect_jupyter.core.flow_surface import slugify
from prefect_jupyter.utilities.configuration import set_temporary_config


@task
def inc(x: int) -> int:
    return x + 1


class TestMemo:
    def test_answers_are_kept_until_the_graph_changes(self) -> None:
        flow = Flow("f")
        a, b, c = Task("a"), Task("b"), Task("c")
        flow.add_edge(a, b)
        assert flow.sorted_tasks() == (a, b)
        assert flow._cache[("_sorted_tasks", (("root_tasks", ()),))] == (a, b)
        assert flow.root_tasks() == {a}
        assert flow._cache[("root_tasks", ())] == {a}
        flow.add_edge(b, c)
        assert flow.sorted_tasks() == (a, b, c)
        assert flow.terminal_tasks() == {c}
        flow.set_reference_tasks([b])
        assert flow.reference_tasks() == {b}
        assert ("root_tasks", ()) not in flow._cache

    def test_changing_an_answer_leaves_the_memo_alone(self) -> None:
        flow = Flow("f")
        a, b = Task("a"), Task("b")
        flow.add_edge(a, b)
        flow.root_tasks().add(b)
        flow.all_upstream_edges()[b].clear()
        assert flow.root_tasks() == {a}
        assert len(flow.all_upstream_edges()[b]) == 1

    def test_replace_and_copy_do_not_see_stale_answers(self) -> None:
        flow = Flow("f")
        a, b, new = Task("a"), Task("b"), Task("new")
        flow.add_edge(a, b)
        copy = flow.copy()
        assert flow.sorted_tasks() == (a, b)
        flow.replace(a, new)
        assert flow.sorted_tasks() == (new, b)
        assert copy.sorted_tasks() == (a, b)

    def test_the_memo_travels_with_a_pickled_flow_and_is_cleared_there(self) -> None:
        flow = Flow("f")
        a, b = Task("a"), Task("b")
        flow.add_task(a)
        flow.root_tasks()
        clone = cloudpickle.loads(cloudpickle.dumps(flow))
        assert ("root_tasks", ()) in clone._cache
        clone.add_task(b)
        assert {t.name for t in clone.root_tasks()} == {"a", "b"}


def test_flow_logger_is_named_after_the_flow() -> None:
    flow = Flow("etl")
    assert isinstance(flow.logger, logging.Logger)
    assert flow.logger.name == "prefect_jupyter.etl"
    mine = logging.getLogger("mine")
    flow.logger = mine
    assert flow.logger is mine


class TestSaveLoad:
    def flow(self) -> Flow:
        with Flow("I aM a-test!") as flow:
            inc(1)
        return flow

    def test_save_to_a_path_and_load_runs(self, tmp_path: Path) -> None:
        target = tmp_path / "deep" / "flow.bin"
        assert self.flow().save(target) == str(target)
        loaded = Flow.load(str(target))
        assert loaded.name == "I aM a-test!"
        state = loaded.run()
        assert state.is_successful()
        assert [s.result for s in state.result.values()] == [2]

    def test_default_path_is_found_by_name_or_slug(self, tmp_path: Path) -> None:
        with set_temporary_config({"home_dir": str(tmp_path)}):
            path = self.flow().save()
            assert path == str(tmp_path / "flows" / "i-am-a-test.prefect")
            by_name, by_slug = Flow.load("I aM a-test!"), Flow.load("i-am-a-test")
        assert by_name.name == by_slug.name == "I aM a-test!"
        assert [t.slug for t in by_name.tasks] == [t.slug for t in by_slug.tasks]

    def test_missing_flow_names_both_places(self, tmp_path: Path) -> None:
        with set_temporary_config({"home_dir": str(tmp_path)}):
            with pytest.raises(FileNotFoundError, match=r"nowhere.*flows/nowhere\.prefect.*flow\.save"):
                Flow.load("nowhere")

    @pytest.mark.parametrize(
        ("name", "slug"), [("I aM a-test!", "i-am-a-test"), ("etl", "etl"), ("a  b__c", "a-b-c")]
    )
    def test_slugify(self, name: str, slug: Any) -> None:
        assert slugify(name) == slug


def test_a_flow_pickled_before_the_memo_existed_still_answers() -> None:
    flow = Flow("old")
    a, b = Task("a"), Task("b")
    flow.add_edge(a, b)
    del flow.__dict__["_cache"]  # as unpickled from an older version of this package
    assert flow.sorted_tasks() == (a, b)
    flow.add_task(Task("c"))
    assert len(flow.root_tasks()) == 2
