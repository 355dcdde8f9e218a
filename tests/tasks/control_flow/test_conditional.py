"""``switch``, ``ifelse`` and ``merge`` in real flow runs."""

from __future__ import annotations

from typing import Any

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter.engine.state import Skipped, Success
from prefect_jupyter.tasks.control_flow import ifelse, merge, switch
from prefect_jupyter.tasks.control_flow.conditional import CompareValue, Merge

UPSTREAM_SKIPPED = (
    "Upstream task was skipped; if this was not the intended behavior, consider changing "
    "`skip_on_upstream_skip=False` for this task."
)


@task
def value(x: Any) -> Any:
    return x


@task
def label(text: str) -> str:
    return text


@task
def nothing() -> None:
    return None


def compare_tasks(flow: Flow) -> dict[Any, CompareValue]:
    return {t.value: t for t in flow.tasks if isinstance(t, CompareValue)}


class TestSwitch:
    def test_only_the_matching_branch_runs(self) -> None:
        with Flow("switch") as flow:
            condition = value("b")
            a, b = label("A"), label("B")
            switch(condition, {"a": a, "b": b})

        state = flow.run()
        assert state.is_successful()
        assert state.result[b].result == "B"
        assert isinstance(state.result[a], Skipped)
        assert state.result[a].message == UPSTREAM_SKIPPED

    def test_the_non_matching_comparison_says_why(self) -> None:
        with Flow("switch") as flow:
            condition = value("b")
            switch(condition, {"a": label("A"), "b": label("B")})

        compares = compare_tasks(flow)
        assert compares["a"].name == 'CompareValue: "a"'
        state = flow.run()
        assert isinstance(state.result[compares["a"]], Skipped)
        assert state.result[compares["a"]].message == 'Provided value "b" did not match "a"'
        assert isinstance(state.result[compares["b"]], Success)

    def test_no_match_skips_every_branch(self) -> None:
        with Flow("no match") as flow:
            condition = value("z")
            a, b = label("A"), label("B")
            switch(condition, {"a": a, "b": b})

        state = flow.run()
        assert state.is_successful()
        assert isinstance(state.result[a], Skipped) and isinstance(state.result[b], Skipped)

    def test_tasks_downstream_of_a_skipped_branch_skip(self) -> None:
        with Flow("downstream") as flow:
            condition = value("b")
            a = label("A")
            switch(condition, {"a": a, "b": label("B")})
            after_a = label(a)

        assert isinstance(flow.run().result[after_a], Skipped)

    def test_switch_needs_a_non_empty_dict(self) -> None:
        with Flow("bad"):
            with pytest.raises(TypeError):
                switch(value(1), {})

    def test_mapped_switch_picks_a_branch_per_element(self) -> None:
        with Flow("mapped switch") as flow:
            condition = value(["a", "b", "a"])
            a = label.map(["A0", "A1", "A2"])
            b = label.map(["B0", "B1", "B2"])
            switch(condition, {"a": a, "b": b}, mapped=True)
            joined = merge(a, b, mapped=True)

        state = flow.run()
        assert state.is_successful()
        assert [type(s) for s in state.result[a].map_states] == [Success, Skipped, Success]
        assert [type(s) for s in state.result[b].map_states] == [Skipped, Success, Skipped]
        assert state.result[joined].result == ["A0", "B1", "A2"]
        skipped_compare = state.result[compare_tasks(flow)["a"]].map_states[1]
        assert skipped_compare.message == 'Provided value "b" did not match "a"'


class TestIfElse:
    @pytest.mark.parametrize("truthy", [1, "x", [0], True, 0.5])
    def test_truthy_values_run_the_true_task(self, truthy: Any) -> None:
        with Flow("ifelse") as flow:
            yes, no = label("yes"), label("no")
            ifelse(value(truthy), yes, no)

        state = flow.run()
        assert state.result[yes].result == "yes"
        assert isinstance(state.result[no], Skipped)

    @pytest.mark.parametrize("falsy", [0, "", [], None, False])
    def test_falsy_values_run_the_false_task(self, falsy: Any) -> None:
        with Flow("ifelse") as flow:
            yes, no = label("yes"), label("no")
            ifelse(value(falsy), yes, no)

        state = flow.run()
        assert state.result[no].result == "no"
        assert isinstance(state.result[yes], Skipped)
        assert state.result[yes].message == UPSTREAM_SKIPPED

    def test_mapped_ifelse(self) -> None:
        with Flow("mapped ifelse") as flow:
            yes = label.map(["y0", "y1", "y2"])
            no = label.map(["n0", "n1", "n2"])
            ifelse(value([1, 0, 1]), yes, no, mapped=True)
            joined = merge(yes, no, mapped=True)

        assert flow.run().result[joined].result == ["y0", "n1", "y2"]


class TestMerge:
    def test_merge_returns_the_result_of_the_branch_that_ran(self) -> None:
        with Flow("merge") as flow:
            condition = value("b")
            a, b = label("A"), label("B")
            switch(condition, {"a": a, "b": b})
            joined = merge(a, b)

        state = flow.run()
        assert isinstance(joined, Merge)
        assert state.result[joined].result == "B"
        assert state.result[joined].is_successful()

    def test_merge_returns_the_first_non_none_result_in_argument_order(self) -> None:
        with Flow("merge order") as flow:
            joined = merge(nothing(), label("second"), label("third"))

        assert flow.run().result[joined].result == "second"

    def test_merge_of_only_none_results_is_none(self) -> None:
        with Flow("merge none") as flow:
            joined = merge(nothing(), nothing())

        state = flow.run()
        assert state.result[joined].is_successful()
        assert state.result[joined].result is None

    def test_merge_of_all_skipped_branches_skips(self) -> None:
        with Flow("all skipped") as flow:
            condition = value("z")
            a, b = label("A"), label("B")
            switch(condition, {"a": a, "b": b})
            joined = merge(a, b)

        state = flow.run()
        assert isinstance(state.result[joined], Skipped)
        assert state.result[joined].message == "All upstreams were skipped"
        assert state.is_successful()

    def test_merge_orders_more_than_ten_branches_numerically(self) -> None:
        with Flow("many") as flow:
            branches = [nothing() for _ in range(10)] + [label("eleventh"), label("twelfth")]
            joined = merge(*branches)

        assert flow.run().result[joined].result == "eleventh"

    def test_merge_refuses_skip_on_upstream_skip(self) -> None:
        with Flow("bad merge"):
            with pytest.raises(ValueError, match="skip_on_upstream_skip=False"):
                merge(label("a"), label("b"), skip_on_upstream_skip=True)
