"""FlowRunner and flow.run: final states, task states, handlers, context (as in Prefect 1.4.1)."""

from __future__ import annotations

import datetime
import logging

import pytest

from prefect_jupyter import Flow, Parameter, Task, context, resource_manager, task
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.flow_runner import FlowRunner
from prefect_jupyter.engine.state import (
    Cancelled,
    Failed,
    Paused,
    Pending,
    Running,
    Scheduled,
    Skipped,
    State,
    Success,
    TriggerFailed,
)
from prefect_jupyter.executors import LocalExecutor

calls: list[str] = []


@pytest.fixture(autouse=True)
def reset_calls():
    calls.clear()


@task
def one():
    calls.append("one")
    return 1


@task
def inc(x):
    calls.append("inc")
    return x + 1


@task
def boom():
    raise ValueError("boom")


def log_messages(caplog):
    return [r.getMessage() for r in caplog.records]


@pytest.fixture
def chain():
    with Flow("chain") as flow:
        o = one()
        i = inc(o)
    return flow, o, i


class TestFinalState:
    def test_all_success(self, chain):
        flow, o, i = chain
        state = flow.run()
        assert type(state) is Success
        assert state.message == "All reference tasks succeeded."
        assert state.result[i].result == 2

    def test_a_failed_reference_task_fails_the_flow(self):
        with Flow("fails") as flow:
            o = one()
            b = boom()
            d = inc(b)
        state = flow.run()
        assert type(state) is Failed
        assert state.message == "Some reference tasks failed."
        assert state.result[o].is_successful()
        assert type(state.result[b]) is Failed
        assert type(state.result[d]) is TriggerFailed

    def test_custom_reference_tasks(self):
        with Flow("fails") as flow:
            o = one()
            boom()
        flow.set_reference_tasks([o])
        state = flow.run()
        assert type(state) is Success
        assert state.message == "All reference tasks succeeded."

    def test_reference_tasks_given_to_the_flow(self):
        t = Task(name="ok")
        flow = Flow("ref", tasks=[t], reference_tasks=[t])
        assert flow.run().is_successful()

    def test_non_reference_failure_in_the_middle_still_fails_terminal(self):
        with Flow("middle") as flow:
            inc(boom())
        assert flow.run().is_failed()

    def test_skipped_terminal_tasks_count_as_success(self):
        @task
        def skipper():
            raise signals.SKIP("no")

        with Flow("skip") as flow:
            skipper()
        state = flow.run()
        assert type(state) is Success
        assert state.message == "All reference tasks succeeded."

    def test_empty_flow_succeeds(self):
        state = Flow("empty").run()
        assert type(state) is Success
        assert state.result == {}

    def test_result_maps_every_task_to_its_state(self, chain):
        flow, o, i = chain
        state = flow.run()
        assert set(state.result) == flow.tasks
        assert all(isinstance(s, State) for s in state.result.values())
        assert state.result[o] == Success(result=1)

    def test_final_states_are_in_order_of_dependencies(self, chain):
        flow, _, _ = chain
        flow.run()
        assert calls == ["one", "inc"]

    def test_unexpected_error_fails_the_flow(self, monkeypatch):
        def broken(self, *args, **kwargs):
            raise RuntimeError("engine broke")

        monkeypatch.setattr(FlowRunner, "get_flow_run_state", broken)
        state = FlowRunner(Flow("x", tasks=[Task()])).run()
        assert type(state) is Failed
        assert state.message == "Unexpected error while running flow: RuntimeError('engine broke')"
        assert isinstance(state.result, RuntimeError)


class TestFlowRunnerDirectly:
    def test_return_tasks(self, chain):
        flow, o, i = chain
        state = FlowRunner(flow).run(return_tasks=[i])
        assert state.result == {i: Success(result=2)}

    def test_no_return_tasks_gives_an_empty_result(self, chain):
        flow, _, _ = chain
        state = FlowRunner(flow).run()
        assert state.is_successful()
        assert state.result == {}

    def test_unknown_return_tasks_fail_the_run_naming_them(self, chain):
        flow, _, _ = chain
        state = FlowRunner(flow).run(return_tasks=[Task(name="stranger")])
        assert type(state) is Failed  # as in Prefect 1
        assert "Some tasks in return_tasks were not found in the flow: ['<Task: stranger>']" in state.message

    def test_a_finished_flow_state_is_returned_as_is(self, chain):
        flow, _, _ = chain
        done = Success("done")
        assert FlowRunner(flow).run(state=done) is done
        assert calls == []

    def test_scheduled_flow_state_runs(self, chain):
        flow, _, _ = chain
        assert FlowRunner(flow).run(state=Scheduled()).is_successful()

    def test_a_paused_task_leaves_the_flow_running(self):
        @task
        def pause():
            raise signals.PAUSE("wait")

        with Flow("paused") as flow:
            p = pause()
        state = FlowRunner(flow).run(return_tasks=[p])
        assert type(state) is Running
        assert type(state.result[p]) is Paused

    def test_parameters(self):
        with Flow("params") as flow:
            x = Parameter("x")
            i = inc(x)
        state = FlowRunner(flow).run(parameters={"x": 41}, return_tasks=[i])
        assert state.result[i].result == 42

    def test_task_contexts(self):
        @task
        def read():
            return context.get("special")

        with Flow("ctx") as flow:
            r = read()
        state = FlowRunner(flow).run(return_tasks=[r], task_contexts={r: {"special": "yes"}})
        assert state.result[r].result == "yes"

    def test_task_runner_state_handlers(self, chain):
        flow, _, _ = chain
        seen = []
        FlowRunner(flow).run(
            task_runner_state_handlers=[lambda runner, old, new: seen.append(type(new).__name__)]
        )
        assert seen == ["Running", "Success", "Running", "Success"]


class TestTaskStates:
    def test_seeded_finished_states_are_not_rerun(self, chain):
        flow, o, i = chain
        state = flow.run(task_states={o: Success(result=10)})
        assert calls == ["inc"]
        assert state.result[i].result == 11

    def test_seeded_failed_state_fails_downstream(self, chain):
        flow, o, i = chain
        state = flow.run(task_states={o: Failed("earlier")})
        assert calls == []
        assert type(state.result[i]) is TriggerFailed
        assert state.is_failed()

    def test_seeded_pending_state_runs(self, chain):
        flow, o, i = chain
        flow.run(task_states={o: Pending()})
        assert calls == ["one", "inc"]


class TestHandlers:
    def test_flow_state_handlers(self, chain):
        flow, _, _ = chain
        seen = []
        flow.state_handlers.append(
            lambda fl, old, new: seen.append((fl.name, type(old).__name__, type(new).__name__))
        )
        flow.run()
        assert [(n, o) for n, _, o in seen] == [("chain", "Running"), ("chain", "Success")]
        assert seen[0][1] in ("Pending", "Scheduled")

    def test_flow_handler_can_replace_the_final_state(self):
        def handler(fl, old, new):
            if new.is_failed():
                return Success("overridden", result=new.result)

        with Flow("override", state_handlers=[handler]) as flow:
            boom()
        state = flow.run()
        assert type(state) is Success
        assert state.message == "overridden"

    def test_flow_handler_error_fails_the_flow(self):
        def handler(fl, old, new):
            raise KeyError("k")

        with Flow("broken", state_handlers=[handler]) as flow:
            one()
        state = flow.run()
        assert type(state) is Failed
        assert state.message == "Unexpected error while calling state handlers: KeyError('k')"

    def test_flow_on_failure(self):
        seen = []
        with Flow("f", on_failure=lambda fl, s: seen.append((fl.name, s.message))) as flow:
            boom()
        flow.run()
        assert seen == [("f", "Some reference tasks failed.")]

    def test_flow_on_failure_not_called_on_success(self, chain):
        flow, _, _ = chain
        seen = []
        flow.state_handlers.append(lambda fl, old, new: None)
        flow2 = Flow("ok", tasks=[Task()], on_failure=lambda fl, s: seen.append(s))
        flow.run()
        flow2.run()
        assert seen == []


class TestContext:
    def test_context_values_are_visible_to_tasks(self):
        @task
        def read():
            return context.get("foo")

        with Flow("ctx") as flow:
            r = read()
        assert flow.run(context={"foo": "bar"}).result[r].result == "bar"

    def test_context_keys_prefect1_provides(self):
        keys = [
            "today",
            "yesterday",
            "tomorrow",
            "today_nodash",
            "yesterday_nodash",
            "tomorrow_nodash",
            "date",
            "flow_name",
            "flow_run_id",
            "flow_run_name",
            "task_name",
            "task_full_name",
            "task_slug",
            "task_tags",
            "task_run_count",
            "map_index",
            "parameters",
            "logger",
            "scheduled_start_time",
            "flow_id",
            "task_run_id",
        ]

        @task(tags=["blue"])
        def read(p):
            return {k: context.get(k, "MISSING") for k in keys}

        with Flow("ctx-flow") as flow:
            r = read(Parameter("p", default=3))
        seen = flow.run().result[r].result
        assert [k for k, v in seen.items() if v == "MISSING"] == []
        now = datetime.datetime.now(datetime.UTC)
        assert seen["today"] == now.strftime("%Y-%m-%d")
        assert seen["today_nodash"] == now.strftime("%Y%m%d")
        assert seen["yesterday"] == (now - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
        assert seen["tomorrow_nodash"] == (now + datetime.timedelta(days=1)).strftime("%Y%m%d")
        assert isinstance(seen["date"], datetime.datetime)
        assert isinstance(seen["scheduled_start_time"], datetime.datetime)
        assert seen["flow_name"] == "ctx-flow"
        assert seen["task_name"] == "read"
        assert seen["task_full_name"] == "read"
        assert seen["task_tags"] == {"blue"}
        assert seen["task_run_count"] == 1
        assert seen["map_index"] is None
        assert seen["parameters"] == {"p": 3}
        assert isinstance(seen["logger"], logging.Logger)
        assert isinstance(seen["flow_run_id"], str) and seen["flow_run_id"]
        assert seen["task_slug"] == flow.slugs[r]

    def test_flow_run_id_can_be_given(self):
        @task
        def read():
            return context.flow_run_id, context.flow_run_name

        with Flow("ids") as flow:
            r = read()
        state = flow.run(flow_run_id="abc", flow_run_name="my-run")
        assert state.result[r].result == ("abc", "my-run")

    def test_passed_parameters_override_defaults(self):
        @task
        def read(p):
            return context.parameters

        with Flow("params") as flow:
            r = read(Parameter("p", default=3))
        assert flow.run(p=5).result[r].result == {"p": 5}

    def test_run_context_does_not_leak(self, chain):
        flow, _, _ = chain
        flow.run(context={"foo": "bar"})
        assert "foo" not in context
        assert "flow_name" not in context


class TestExecutorAndLogs:
    def test_local_executor(self, chain):
        flow, _, i = chain
        state = flow.run(executor=LocalExecutor())
        assert state.is_successful()
        assert state.result[i].result == 2

    def test_flow_executor_attribute(self):
        flow = Flow("with-executor", executor=LocalExecutor(), tasks=[Task()])
        assert flow.run().is_successful()

    def test_success_log_lines(self, chain, caplog):
        caplog.set_level(logging.INFO)
        flow, _, _ = chain
        flow.run()
        logs = log_messages(caplog)
        assert "Beginning Flow run for 'chain'" in logs
        assert "Flow run SUCCESS: all reference tasks succeeded" in logs

    def test_failure_log_line(self, caplog):
        caplog.set_level(logging.INFO)
        with Flow("fails") as flow:
            boom()
        flow.run()
        assert "Flow run FAILED: some reference tasks failed." in log_messages(caplog)


@resource_manager
class Resource:
    def __init__(self, fail_cleanup: bool = False) -> None:
        self.fail_cleanup = fail_cleanup

    def setup(self):
        calls.append("setup")
        return "resource"

    def cleanup(self, resource):
        calls.append("cleanup")
        if self.fail_cleanup:
            raise ValueError("cleanup failed")


@task
def use(resource):
    calls.append("use")
    return resource


class TestResourceManager:
    def test_setup_use_cleanup(self):
        with Flow("res") as flow:
            with Resource() as r:
                u = use(r)
        state = flow.run()
        assert state.is_successful()
        assert state.result[u].result == "resource"
        assert calls == ["setup", "use", "cleanup"]

    def test_cleanup_is_not_a_reference_task(self):
        with Flow("res") as flow:
            with Resource(fail_cleanup=True) as r:
                u = use(r)
        assert flow.reference_tasks() == {u}
        state = flow.run()
        assert type(state) is Success
        cleanup_states = [s for t, s in state.result.items() if t.name.endswith(".cleanup")]
        assert [type(s) for s in cleanup_states] == [Failed]

    def test_cleanup_runs_when_the_body_fails(self):
        with Flow("res") as flow:
            with Resource() as r:
                boom(upstream_tasks=[r])
        state = flow.run()
        assert state.is_failed()
        assert calls[-1] == "cleanup"

    def test_skipped_body_still_skips_cleanup_gracefully(self):
        @task
        def skipper(resource):
            raise signals.SKIP("skip")

        with Flow("res") as flow:
            with Resource() as r:
                skipper(r)
        state = flow.run()
        assert state.is_successful()
        assert any(type(s) is Skipped for s in state.result.values())


class TestPrefect1Behaviour:
    """Behaviour that once differed silently from Prefect 1.4.1 (issue 11)."""

    def test_flow_run_handlers_see_scheduled_then_running(self, chain):
        flow, _, _ = chain
        seen = []
        flow.state_handlers.append(lambda fl, old, new: seen.append(f"{type(old).__name__} -> {type(new).__name__}"))
        flow.run()
        assert seen == ["Scheduled -> Running", "Running -> Success"]

    def test_terminal_state_handler_sets_the_final_state(self):
        seen = []

        def handler(fl, state, reference_states):
            seen.append((fl.name, type(state).__name__, sorted(type(s).__name__ for s in reference_states)))
            return Failed(f"overruled: {state.message}", result=state.result)

        with Flow("terminal", terminal_state_handler=handler) as flow:
            o = one()
        state = flow.run()
        assert seen == [("terminal", "Success", ["Success"])]
        assert type(state) is Failed and state.message == "overruled: All reference tasks succeeded."
        assert state.result[o].result == 1

    def test_terminal_state_handler_returning_none_keeps_the_state(self, chain):
        flow, _, _ = chain
        flow.terminal_state_handler = lambda fl, state, refs: None
        assert flow.run().message == "All reference tasks succeeded."

    def test_finished_but_not_successful_reference_tasks_mean_no_failure(self):
        a, b = Task(name="a"), Task(name="b")
        flow = Flow("mixed", tasks=[a, b])
        state = FlowRunner(flow).run(task_states={a: Success(), b: Cancelled()}, return_tasks=[a, b])
        assert state.message == "No reference tasks failed."

    def test_context_dates_are_pendulum(self):
        import pendulum

        @task
        def dates():
            return context.date, context.scheduled_start_time, context.today, context.yesterday

        with Flow("dates") as flow:
            d = dates()
        date, start, today, yesterday = flow.run().result[d].result
        assert isinstance(date, pendulum.DateTime) and isinstance(start, pendulum.DateTime)
        assert today == date.format("YYYY-MM-DD")
        assert yesterday == date.add(days=-1).strftime("%Y-%m-%d")

    def test_date_given_as_text_is_parsed(self):
        @task
        def dates():
            return context.date, context.tomorrow_nodash

        with Flow("dates") as flow:
            d = dates()
        date, tomorrow = flow.run(context={"date": "2021-02-28T10:00:00+00:00"}).result[d].result
        assert (date.year, date.month, date.day) == (2021, 2, 28)
        assert tomorrow == "20210301"

    def test_a_date_that_is_not_a_date_is_warned_about(self, caplog):
        Flow("w", tasks=[Task()]).run(context={"date": 42})
        assert any("`date` was set in the context (42) but could not be parsed" in r.getMessage() for r in caplog.records)
