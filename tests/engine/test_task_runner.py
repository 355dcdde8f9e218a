"""TaskRunner driven directly with hand-built upstream states (behaviour of Prefect 1.4.1)."""

from __future__ import annotations

import datetime
import logging
import time

import pytest

from prefect_jupyter import Flow, Task, context, task, triggers
from prefect_jupyter.core.edge import Edge
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.result import Result
from prefect_jupyter.engine.signals import ENDRUN
from prefect_jupyter.engine.state import (
    Cached,
    Failed,
    Mapped,
    Paused,
    Pending,
    Resume,
    Retrying,
    Running,
    Scheduled,
    Skipped,
    Success,
    TimedOut,
    TriggerFailed,
)
from prefect_jupyter.engine.task_runner import TaskRunner
from prefect_jupyter.utilities.debug import raise_on_exception


class Add(Task):
    def run(self, x, y=1):
        return x + y


@task
def boom():
    raise ValueError("boom")


def messages(caplog, level=logging.DEBUG):
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


@pytest.fixture
def add():
    return Add()


@pytest.fixture
def edge(add):
    return Edge(Task(name="up"), add, key="x")


class TestRun:
    def test_upstream_result_becomes_the_input(self, add, edge):
        state = TaskRunner(add).run(upstream_states={edge: Success(result=2)})
        assert type(state) is Success
        assert state.message == "Task run succeeded."
        assert state.result == 3

    def test_no_upstream_and_no_state(self):
        state = TaskRunner(Task()).run()
        assert type(state) is Success
        assert state.result is None

    def test_failed_upstream_fails_the_trigger(self, add, edge):
        state = TaskRunner(add).run(upstream_states={edge: Failed(result=2)})
        assert type(state) is TriggerFailed
        assert (
            state.message == 'Trigger was "all_successful" but some of the upstream tasks failed.'
        )

    def test_unfinished_upstream_leaves_the_state_unchanged(self, add, edge):
        start = Pending()
        assert TaskRunner(add).run(state=start, upstream_states={edge: Running()}) is start

    def test_skipped_upstream_skips(self, add, edge):
        state = TaskRunner(add).run(upstream_states={edge: Skipped()})
        assert type(state) is Skipped
        assert state.message == (
            "Upstream task was skipped; if this was not the intended behavior, consider "
            "changing `skip_on_upstream_skip=False` for this task."
        )

    def test_finished_state_is_returned_as_is(self, add, edge):
        done = Success(result=3)
        assert TaskRunner(add).run(state=done, upstream_states={edge: Success(result=9)}) is done

    def test_running_state_is_returned_as_is(self, add, edge):
        running = Running()
        assert (
            TaskRunner(add).run(state=running, upstream_states={edge: Success(result=1)}) is running
        )

    def test_paused_state_stays_paused(self):
        paused = Paused()
        assert TaskRunner(Task()).run(state=paused) is paused

    def test_resume_state_runs_a_manual_only_task(self):
        t = Task(trigger=triggers.manual_only)
        assert type(TaskRunner(t).run(state=Resume())) is Success

    def test_manual_only_without_resume_pauses(self):
        state = TaskRunner(Task(trigger=triggers.manual_only)).run()
        assert type(state) is Paused
        assert state.message == 'Trigger function is "manual_only"'

    def test_scheduled_in_the_future_ends_the_run_unchanged(self):
        # as in Prefect 1: the runner never waits for a given state's time (flow.run does)
        scheduled = Scheduled(start_time=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1))
        assert TaskRunner(Task()).run(state=scheduled) is scheduled

    def test_scheduled_in_the_past_runs(self):
        start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
        assert type(TaskRunner(Task()).run(state=Scheduled(start_time=start))) is Success

    def test_unmapped_edge_from_a_mapped_upstream_waits_for_every_child(self, add):
        up = Task(name="up")
        upstream = {Edge(up, add): Mapped(map_states=[Success(), Running()])}
        start = Pending()
        assert TaskRunner(add).run(state=start, upstream_states=upstream, context={}) is start

    def test_unmapped_edge_from_a_mapped_upstream_sees_failed_children(self):
        t = Task()
        upstream = {Edge(Task(name="up"), t): Mapped(map_states=[Success(), Failed()])}
        assert type(TaskRunner(t).run(upstream_states=upstream)) is TriggerFailed

    def test_map_index_in_context_names_the_child(self):
        @task
        def who():
            return context.task_full_name, context.map_index

        state = TaskRunner(who).run(context={"map_index": 3})
        assert state.result == ("who[3]", 3)

    def test_context_values_reach_the_task(self):
        @task
        def read():
            return context.get("colour"), context.task_name, context.task_run_count

        state = TaskRunner(read).run(context={"colour": "blue"})
        assert state.result == ("blue", "read", 1)

    def test_the_runner_leaves_no_task_context_behind(self):
        TaskRunner(Task()).run(context={"colour": "blue"})
        assert "colour" not in context
        assert "task_name" not in context

    def test_timeout_through_the_runner(self):
        woke = []

        @task(timeout=1)
        def slow():
            time.sleep(3)
            woke.append(True)

        state = TaskRunner(slow).run()
        assert type(state) is TimedOut
        assert state.message == "Task timed out during execution."
        assert woke == []  # cut short, not waited for

    def test_start_and_finish_log_lines(self, caplog):
        caplog.set_level(logging.INFO)
        TaskRunner(Task(name="hello")).run()
        assert "Task 'hello': Starting task run..." in messages(caplog)
        assert "Task 'hello': Finished task run for task with final state: 'Success'" in messages(
            caplog
        )


class TestSteps:
    @pytest.mark.parametrize("state", [Pending(), Retrying(), Mapped(), Cached()], ids=repr)
    def test_check_task_is_ready_accepts(self, state):
        assert TaskRunner(Task()).check_task_is_ready(state) is state

    @pytest.mark.parametrize("state", [Running(), Success(), Failed(), Skipped()], ids=repr)
    def test_check_task_is_ready_ends_the_run(self, state):
        with pytest.raises(signals.ENDRUN) as info:
            TaskRunner(Task()).check_task_is_ready(state)
        assert info.value.state is state

    def test_check_upstream_finished_passes(self, add, edge):
        state = Pending()
        assert TaskRunner(add).check_upstream_finished(state, {edge: Failed()}) is state

    def test_check_upstream_finished_ends_with_the_same_state(self, add, edge):
        state = Pending()
        with pytest.raises(signals.ENDRUN) as info:
            TaskRunner(add).check_upstream_finished(state, {edge: Running()})
        assert info.value.state is state

    def test_check_upstream_skipped(self, add, edge):
        with pytest.raises(signals.ENDRUN) as info:
            TaskRunner(add).check_upstream_skipped(Pending(), {edge: Skipped()})
        assert type(info.value.state) is Skipped

    def test_check_upstream_skipped_respects_skip_on_upstream_skip(self, edge):
        t = Add(skip_on_upstream_skip=False)
        state = Pending()
        assert TaskRunner(t).check_upstream_skipped(state, {edge: Skipped()}) is state

    def test_check_task_trigger_passes(self, add, edge):
        state = Pending()
        assert TaskRunner(add).check_task_trigger(state, {edge: Success()}) is state

    def test_check_task_trigger_fails(self, add, edge):
        with pytest.raises(signals.ENDRUN) as info:
            TaskRunner(add).check_task_trigger(Pending(), {edge: Failed()})
        assert type(info.value.state) is TriggerFailed

    def test_a_trigger_returning_false(self):
        state = TaskRunner(Task(trigger=lambda upstream: False)).run()
        assert type(state) is TriggerFailed
        assert state.message == "Trigger failed"

    def test_a_trigger_raising_an_error(self):
        def bad_trigger(upstream):
            raise ZeroDivisionError("z")

        state = TaskRunner(Task(trigger=bad_trigger)).run()
        assert type(state) is TriggerFailed
        assert (
            state.message == "Unexpected error while checking task trigger: ZeroDivisionError('z')"
        )
        assert isinstance(state.result, ZeroDivisionError)

    def test_get_task_run_state_success(self, add):
        state = TaskRunner(add).get_task_run_state(Running(), {"x": 1, "y": 5})
        assert type(state) is Success
        assert state.result == 6

    def test_get_task_run_state_takes_prefect1_style_result_inputs(self, add):
        inputs = {"x": Result(value=1), "y": Result(value=5)}
        assert TaskRunner(add).get_task_run_state(Running(), inputs=inputs).result == 6

    def test_get_task_run_state_needs_a_running_state(self, add):
        pending = Pending()
        with pytest.raises(ENDRUN) as info:
            TaskRunner(add).get_task_run_state(pending, {"x": 1, "y": 5})
        assert info.value.state is pending

    def test_get_task_run_state_error(self):
        state = TaskRunner(boom).get_task_run_state(Running(), {})
        assert type(state) is Failed
        assert state.message == "Error during execution of task: ValueError('boom')"
        assert isinstance(state.result, ValueError)

    def test_check_for_retry_with_retries_left(self):
        t = Task(max_retries=2, retry_delay=datetime.timedelta(seconds=5))
        before = datetime.datetime.now(datetime.UTC)
        state = TaskRunner(t).check_for_retry(Failed("x"))
        assert type(state) is Retrying
        assert state.message == "Retrying Task (after attempt 1 of 3)"
        assert state.run_count == 1
        assert state.start_time >= before + datetime.timedelta(seconds=4)

    def test_check_for_retry_when_retries_are_used_up(self):
        t = Task(max_retries=1, retry_delay=datetime.timedelta(seconds=0))
        failed = Failed("x")
        with context(task_run_count=2):
            assert TaskRunner(t).check_for_retry(failed) is failed

    def test_check_for_retry_without_retries(self):
        failed = Failed("x")
        assert TaskRunner(Task()).check_for_retry(failed) is failed

    def test_check_for_retry_ignores_success(self):
        t = Task(max_retries=1, retry_delay=datetime.timedelta(seconds=0))
        done = Success()
        assert TaskRunner(t).check_for_retry(done) is done

    def test_cache_result_makes_a_cached_state(self):
        t = Task(cache_for=datetime.timedelta(minutes=1))
        with context(parameters={"p": 1}):
            state = TaskRunner(t).cache_result(Success("ok", result=5), {"x": 2})
        assert type(state) is Cached
        assert state.result == 5
        assert state.cached_inputs["x"].value == 2
        assert state.cached_parameters == {"p": 1}
        assert state.cached_result_expiration > datetime.datetime.now(datetime.UTC)

    def test_cache_result_without_cache_for(self):
        done = Success(result=5)
        assert TaskRunner(Task()).cache_result(done, {}) is done

    def test_get_task_inputs_uses_edge_keys(self, add, edge):
        no_key = Edge(Task(name="order-only"), add)
        inputs = TaskRunner(add).get_task_inputs(
            Pending(), {edge: Success(result=4), no_key: Success(result=7)}
        )
        assert inputs == {"x": 4}


class TestStateHandlers:
    def test_handlers_get_task_old_and_new(self):
        seen = []

        def handler(t, old, new):
            seen.append((t.name, type(old).__name__, type(new).__name__))

        @task(state_handlers=[handler])
        def ok():
            return 1

        TaskRunner(ok).run()
        assert seen == [("ok", "Pending", "Running"), ("ok", "Running", "Success")]

    def test_a_handler_can_replace_the_new_state(self):
        def handler(t, old, new):
            if new.is_successful():
                return Failed("replaced")

        @task(state_handlers=[handler])
        def ok():
            return 1

        state = TaskRunner(ok).run()
        assert type(state) is Failed
        assert state.message == "replaced"

    def test_handlers_run_in_order_each_seeing_the_last(self):
        def first(t, old, new):
            if new.is_successful():
                return Success("first", result=new.result + 1)

        def second(t, old, new):
            if new.is_successful():
                return Success(new.message + "+second", result=new.result * 10)

        @task(state_handlers=[first, second])
        def ok():
            return 1

        state = TaskRunner(ok).run()
        assert state.message == "first+second"
        assert state.result == 20

    def test_an_error_in_a_handler_fails_the_task(self):
        def handler(t, old, new):
            raise KeyError("oops")

        @task(state_handlers=[handler])
        def ok():
            return 1

        state = TaskRunner(ok).run()
        assert type(state) is Failed
        assert state.message == "Unexpected error while calling state handlers: KeyError('oops')"
        assert isinstance(state.result, KeyError)

    def test_runner_handlers_get_the_runner(self):
        seen = []

        def handler(runner, old, new):
            seen.append((type(runner).__name__, type(new).__name__))

        TaskRunner(Task(), state_handlers=[handler]).run()
        assert seen == [("TaskRunner", "Running"), ("TaskRunner", "Success")]

    def test_runner_handlers_must_be_iterable(self):
        with pytest.raises(TypeError, match="iterable"):
            TaskRunner(Task(), state_handlers=lambda *a: None)

    def test_on_failure_is_called_once_with_task_and_state(self):
        calls = []

        @task(on_failure=lambda t, s: calls.append((t.name, s)))
        def fails():
            raise ValueError("x")

        TaskRunner(fails).run()
        assert len(calls) == 1
        assert calls[0][0] == "fails"
        assert type(calls[0][1]) is Failed

    def test_on_failure_is_not_called_on_success(self):
        calls = []

        @task(on_failure=lambda t, s: calls.append(s))
        def fine():
            return 1

        TaskRunner(fine).run()
        assert calls == []


class TestErrorsAndLogging:
    def test_failure_message_and_result(self):
        state = TaskRunner(boom).run()
        assert type(state) is Failed
        assert state.message == "Error during execution of task: ValueError('boom')"
        assert isinstance(state.result, ValueError)
        assert str(state.result) == "boom"

    def test_failure_is_logged_with_the_traceback(self, caplog):
        TaskRunner(boom).run()
        records = [
            r
            for r in caplog.records
            if r.getMessage() == "Task 'boom': Exception encountered during task execution!"
        ]
        assert records and records[0].levelno == logging.ERROR
        assert records[0].exc_info is not None

    def test_raise_on_exception_reraises_from_the_runner(self):
        with raise_on_exception(), pytest.raises(ValueError, match="boom"):
            TaskRunner(boom).run()

    def test_raise_on_exception_reraises_from_flow_run(self):
        with Flow("debug") as flow:
            boom()
        with raise_on_exception(), pytest.raises(ValueError, match="boom"):
            flow.run()

    def test_raise_on_exception_reraises_a_handler_error(self):
        def handler(t, old, new):
            raise KeyError("oops")

        with raise_on_exception(), pytest.raises(KeyError):
            TaskRunner(Task(state_handlers=[handler])).run()

    def test_log_stdout_turns_prints_into_info_records(self, caplog, capsys):
        @task(log_stdout=True)
        def talk():
            print("hello there")
            print("second line")
            return 1

        caplog.set_level(logging.INFO)
        state = TaskRunner(talk).run()
        assert state.result == 1
        records = [r for r in caplog.records if r.getMessage() in ("hello there", "second line")]
        assert [r.getMessage() for r in records] == ["hello there", "second line"]
        assert all(r.levelno == logging.INFO for r in records)
        assert "hello there" not in capsys.readouterr().out

    def test_without_log_stdout_prints_go_to_stdout(self, caplog, capsys):
        @task
        def talk():
            print("plain print")

        TaskRunner(talk).run()
        assert "plain print" in capsys.readouterr().out
        assert "plain print" not in messages(caplog)


class TestPrefect1Behaviour:
    """Behaviour that once differed silently from Prefect 1.4.1 (issue 11)."""

    def test_success_signal_keeps_the_signal_as_result(self):
        class Early(Task):
            def run(self):
                raise signals.SUCCESS("done early")

        state = TaskRunner(Early()).run()
        assert type(state) is Success and state.message == "done early"
        assert isinstance(state.result, signals.SUCCESS)

    def test_success_signal_with_a_result_keeps_the_result(self):
        class Early(Task):
            def run(self):
                raise signals.SUCCESS("done", result=7)

        assert TaskRunner(Early()).run().result == 7

    def test_loop_without_result_loops_on_the_signals_repr(self):
        assert signals.LOOP("again").state.result == "LOOP('again')"

    def test_mapped_children_log_under_their_index(self, caplog):
        @task
        def shout(x):
            context.logger.info("child %s", x)

        with Flow("map") as flow:
            shout.map([1, 2])
        flow.run()
        names = {r.name for r in caplog.records if r.getMessage().startswith("child")}
        assert names == {"prefect_jupyter.shout[0]", "prefect_jupyter.shout[1]"}

    def test_engine_debug_lines(self, caplog):
        caplog.set_level(logging.DEBUG, logger="prefect_jupyter")
        TaskRunner(Task(name="t")).run()
        lines = messages(caplog)
        assert "Task 't': Handling state change from Pending to Running" in lines
        assert "Task 't': Calling task.run() method..." in lines
        assert "Task 't': Handling state change from Running to Success" in lines

    def test_debug_lines_are_not_made_at_info(self, caplog):
        caplog.set_level(logging.INFO, logger="prefect_jupyter")
        TaskRunner(Task(name="t")).run()
        assert not [r for r in caplog.records if r.levelno < logging.INFO]

    def test_error_line_before_raise_on_exception_reraises(self, caplog):
        with raise_on_exception(), pytest.raises(ValueError, match="boom"):
            TaskRunner(boom).run()
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert errors and "Unexpected error while running task: ValueError('boom')" in errors[-1].getMessage()

    def test_cache_invalid_warning(self, caplog):
        t = Task(name="cached", cache_for=datetime.timedelta(minutes=1))
        TaskRunner(t).run()
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert "Task 'cached': Can't use cache because it is now invalid" in warnings

    def test_tags_recorded_on_states_made_in_a_run(self):
        state = TaskRunner(Task(tags=["etl"])).run()
        assert state.context["tags"] == ["etl"]
