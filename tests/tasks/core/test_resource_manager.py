"""Resource managers in real flow runs: setup, the block, cleanup, and failures at each step."""

from __future__ import annotations

from typing import Any

import pytest

from prefect_jupyter import Flow, resource_manager, task
from prefect_jupyter.engine.state import Skipped, Success, TriggerFailed
from prefect_jupyter.tasks.core.resource_manager import (
    ResourceCleanupTask,
    ResourceInitTask,
    ResourceManager,
    ResourceSetupTask,
)


@pytest.fixture
def calls() -> list:
    return []


@pytest.fixture
def resource_cls(calls: list) -> ResourceManager:
    @resource_manager
    class Resource:
        def __init__(self, scale: int = 1) -> None:
            calls.append(("init", scale))
            self.scale = scale

        def setup(self) -> int:
            calls.append("setup")
            return self.scale * 10

        def cleanup(self, resource: int) -> None:
            calls.append(("cleanup", resource))

    return Resource


@pytest.fixture
def use(calls: list) -> Any:
    @task
    def use(resource: int) -> int:
        calls.append(("use", resource))
        return resource + 1

    return use


def by_name(flow: Flow, name: str) -> Any:
    (found,) = [t for t in flow.tasks if t.name == name]
    return found


class TestDecorator:
    def test_without_arguments_names_tasks_after_the_class(
        self, resource_cls: ResourceManager, use: Any
    ) -> None:
        with Flow("plain") as flow:
            with resource_cls(3) as resource:
                use(resource)

        assert isinstance(resource_cls, ResourceManager)
        assert {t.name for t in flow.tasks} == {
            "Resource",
            "Resource.setup",
            "Resource.cleanup",
            "use",
        }
        assert isinstance(by_name(flow, "Resource"), ResourceInitTask)
        assert isinstance(by_name(flow, "Resource.setup"), ResourceSetupTask)
        assert isinstance(by_name(flow, "Resource.cleanup"), ResourceCleanupTask)

    def test_with_arguments_uses_the_name_and_task_options(self, use: Any) -> None:
        @resource_manager(name="Cluster", setup_task_kwargs={"tags": ["setup"]})
        class Anything:
            def setup(self) -> int:
                return 1

            def cleanup(self, resource: int) -> None:
                pass

        with Flow("named") as flow:
            with Anything() as resource:
                use(resource)

        assert {t.name for t in flow.tasks} == {
            "Cluster",
            "Cluster.setup",
            "Cluster.cleanup",
            "use",
        }
        assert by_name(flow, "Cluster.setup").tags == {"setup"}
        assert flow.run().is_successful()

    def test_a_class_without_cleanup_is_rejected_with_a_clear_error(self) -> None:
        with pytest.raises(TypeError, match="no `cleanup` method"):

            @resource_manager
            class NoCleanup:
                def setup(self) -> int:
                    return 1

    def test_using_the_block_outside_a_flow_is_an_error(
        self, resource_cls: ResourceManager
    ) -> None:
        with pytest.raises(ValueError, match="Could not infer an active Flow context"):
            resource_cls()

    def test_a_block_used_with_two_flows_is_an_error(
        self, resource_cls: ResourceManager, use: Any
    ) -> None:
        with Flow("one"):
            with resource_cls():
                with Flow("two"):
                    with pytest.raises(ValueError, match="Multiple flows cannot be used"):
                        use(1)


class TestRuns:
    def test_setup_result_is_passed_into_the_block_and_cleanup_runs_last(
        self, resource_cls: ResourceManager, use: Any, calls: list
    ) -> None:
        with Flow("ok") as flow:
            with resource_cls(3) as resource:
                first = use(resource)
                second = use(first)

        state = flow.run()
        assert state.is_successful()
        assert state.result[first].result == 31
        assert state.result[second].result == 32
        assert calls == [("init", 3), "setup", ("use", 30), ("use", 31), ("cleanup", 30)]

    def test_only_block_tasks_without_block_upstreams_depend_on_setup(
        self, resource_cls: ResourceManager, use: Any
    ) -> None:
        with Flow("graph") as flow:
            with resource_cls() as resource:
                first = use(resource)
                second = use(first)

        setup, cleanup = by_name(flow, "Resource.setup"), by_name(flow, "Resource.cleanup")
        assert flow.upstream_tasks(first) == {setup}
        assert setup not in flow.upstream_tasks(second)
        assert second in flow.upstream_tasks(cleanup)
        assert first not in flow.upstream_tasks(cleanup)

    def test_a_class_without_setup_gives_none_and_still_cleans_up(
        self, use: Any, calls: list
    ) -> None:
        @resource_manager
        class NoSetup:
            def cleanup(self, resource: Any) -> None:
                calls.append(("cleanup", resource))

        with Flow("no setup") as flow:
            with NoSetup() as resource:
                assert resource is None
                result = use(5)

        state = flow.run()
        assert state.is_successful()
        assert state.result[result].result == 6
        assert calls == [("use", 5), ("cleanup", None)]
        assert {t.name for t in flow.tasks} == {"NoSetup", "NoSetup.cleanup", "use"}

    def test_cleanup_runs_after_a_failed_block_task_and_the_flow_still_fails(
        self, resource_cls: ResourceManager, use: Any, calls: list
    ) -> None:
        @task
        def boom(resource: int) -> None:
            calls.append("boom")
            raise ValueError("block failed")

        with Flow("block fails") as flow:
            with resource_cls(2) as resource:
                failing = boom(resource)
                fine = use(resource)

        state = flow.run()
        cleanup = state.result[by_name(flow, "Resource.cleanup")]
        assert cleanup.is_successful() and not cleanup.is_skipped()
        assert state.result[failing].is_failed()
        assert state.result[fine].result == 21
        assert calls[-1] == ("cleanup", 20)
        assert state.is_failed()
        assert state.message == "Some reference tasks failed."

    def test_cleanup_is_not_a_reference_task(self, resource_cls: ResourceManager, use: Any) -> None:
        with Flow("refs") as flow:
            with resource_cls() as resource:
                result = use(resource)

        assert flow.reference_tasks() == {result}

    def test_a_failing_cleanup_does_not_fail_the_flow(self, use: Any) -> None:
        @resource_manager
        class LeakyCleanup:
            def setup(self) -> int:
                return 1

            def cleanup(self, resource: int) -> None:
                raise ValueError("cleanup bad")

        with Flow("cleanup fails") as flow:
            with LeakyCleanup() as resource:
                use(resource)

        state = flow.run()
        assert state.is_successful()
        cleanup = state.result[by_name(flow, "LeakyCleanup.cleanup")]
        assert cleanup.is_failed()
        assert "cleanup bad" in cleanup.message

    def test_cleanup_is_skipped_when_setup_fails(self, use: Any, calls: list) -> None:
        @resource_manager
        class BrokenSetup:
            def setup(self) -> int:
                raise RuntimeError("no setup")

            def cleanup(self, resource: int) -> None:
                calls.append("cleanup")

        with Flow("setup fails") as flow:
            with BrokenSetup() as resource:
                result = use(resource)

        state = flow.run()
        assert state.is_failed()
        assert state.result[by_name(flow, "BrokenSetup.setup")].is_failed()
        assert isinstance(state.result[result], TriggerFailed)
        cleanup = state.result[by_name(flow, "BrokenSetup.cleanup")]
        assert isinstance(cleanup, Skipped)
        assert cleanup.message == "Resource manager setup failed"
        assert calls == []

    def test_init_failure_fails_the_flow_and_nothing_else_runs(self, use: Any, calls: list) -> None:
        @resource_manager
        class BrokenInit:
            def __init__(self) -> None:
                raise KeyError("init bad")

            def setup(self) -> None:
                calls.append("setup")

            def cleanup(self, resource: Any) -> None:
                calls.append("cleanup")

        with Flow("init fails") as flow:
            with BrokenInit() as resource:
                result = use(resource)

        state = flow.run()
        assert state.is_failed()
        init = state.result[by_name(flow, "BrokenInit")]
        assert init.is_failed() and isinstance(init.result, KeyError)
        assert isinstance(state.result[by_name(flow, "BrokenInit.setup")], TriggerFailed)
        assert isinstance(state.result[result], TriggerFailed)
        cleanup = state.result[by_name(flow, "BrokenInit.cleanup")]
        assert isinstance(cleanup, Skipped)
        # Prefect 1 names init or setup depending on edge order; we always name the first cause.
        assert cleanup.message == "Resource manager init failed"
        assert calls == []

    def test_init_arguments_may_be_tasks(
        self, resource_cls: ResourceManager, use: Any, calls: list
    ) -> None:
        with Flow("task arguments") as flow:
            with resource_cls(use(4)) as resource:
                result = use(resource)

        assert flow.run().result[result].result == 51
        assert ("init", 5) in calls

    def test_nested_blocks_set_up_outside_in_and_clean_up_inside_out(self, calls: list) -> None:
        @resource_manager
        class Outer:
            def setup(self) -> str:
                calls.append("outer.setup")
                return "o"

            def cleanup(self, resource: str) -> None:
                calls.append("outer.cleanup")

        @resource_manager
        class Inner:
            def __init__(self, outer: str) -> None:
                self.outer = outer

            def setup(self) -> str:
                calls.append("inner.setup")
                return self.outer + "i"

            def cleanup(self, resource: str) -> None:
                calls.append("inner.cleanup")

        @task
        def shout(text: str) -> str:
            calls.append(("shout", text))
            return text + "!"

        with Flow("nested") as flow:
            with Outer() as outer:
                with Inner(outer) as inner:
                    result = shout(inner)

        state = flow.run()
        assert state.is_successful()
        assert state.result[result].result == "oi!"
        assert calls == [
            "outer.setup",
            "inner.setup",
            ("shout", "oi"),
            "inner.cleanup",
            "outer.cleanup",
        ]
        assert by_name(flow, "Inner.cleanup") in flow.upstream_tasks(by_name(flow, "Outer.cleanup"))

    def test_finished_setup_and_cleanup_in_task_states_run_again(
        self, resource_cls: ResourceManager, use: Any, calls: list
    ) -> None:
        with Flow("rerun") as flow:
            with resource_cls(4) as resource:
                result = use(resource)

        manager = resource_cls.resource_class(7)
        calls.clear()
        seeded = {
            by_name(flow, "Resource"): Success(result=manager),
            by_name(flow, "Resource.setup"): Success(result=999),
            by_name(flow, "Resource.cleanup"): Success(),
            result: Success(result=5),
        }
        state = flow.run(task_states=seeded)

        assert state.is_successful()
        # init is not rerun (its seeded manager is used); setup and cleanup are.
        assert calls == ["setup", ("cleanup", 70)]
        assert state.result[by_name(flow, "Resource.setup")].result == 70
        assert state.result[result].result == 5

    def test_a_rerun_block_task_gets_the_fresh_resource(
        self, resource_cls: ResourceManager, use: Any, calls: list
    ) -> None:
        with Flow("rerun block") as flow:
            with resource_cls(4) as resource:
                result = use(resource)

        manager = resource_cls.resource_class(7)
        calls.clear()
        seeded = {
            by_name(flow, "Resource"): Success(result=manager),
            by_name(flow, "Resource.setup"): Success(result=999),
        }
        state = flow.run(task_states=seeded)

        assert state.result[result].result == 71
        assert calls == ["setup", ("use", 70), ("cleanup", 70)]
