"""Triggers: each of Prefect 1.4.1's, called directly and inside flows (messages match Prefect 1)."""

from __future__ import annotations

import pytest

from prefect_jupyter import Flow, Task, task, triggers
from prefect_jupyter.core.edge import Edge
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.state import (
    Failed,
    Mapped,
    Paused,
    Pending,
    Running,
    Skipped,
    State,
    Success,
    TriggerFailed,
)

S, F, K, TF = Success, Failed, Skipped, TriggerFailed


def upstream(*states: State) -> dict:
    downstream = Task(name="down")
    return {Edge(Task(name=f"up{i}"), downstream): s for i, s in enumerate(states)}


def outcome(trigger, *states: State) -> str:
    """Return "run", or the name of the state the trigger's signal carries."""
    try:
        assert trigger(upstream(*states)) is True
        return "run"
    except signals.PrefectStateSignal as exc:
        return type(exc.state).__name__


MESSAGES = {
    "all_successful": 'Trigger was "all_successful" but some of the upstream tasks failed.',
    "all_failed": 'Trigger was "all_failed" but some of the upstream tasks succeeded.',
    "all_finished": 'Trigger was "all_finished" but some of the upstream tasks were not finished.',
    "any_successful": 'Trigger was "any_successful" but none of the upstream tasks succeeded.',
    "any_failed": 'Trigger was "any_failed" but none of the upstream tasks failed.',
    "not_all_skipped": 'Trigger was "not_all_skipped" but some of the upstream tasks failed.',
}


@pytest.mark.parametrize("name, message", MESSAGES.items())
def test_trigger_failed_messages(name, message):
    failing = {"all_failed": S(), "any_failed": S()}.get(name, F())
    if name == "all_finished":
        failing = Running()
    with pytest.raises(signals.TRIGGERFAIL) as info:
        getattr(triggers, name)(upstream(failing))
    assert info.value.state.message == message
    assert type(info.value.state) is TriggerFailed


class TestAllSuccessful:
    def test_all_success(self):
        assert outcome(triggers.all_successful, S(), S()) == "run"

    def test_one_failure(self):
        assert outcome(triggers.all_successful, S(), F()) == "TriggerFailed"

    def test_skipped_counts_as_success(self):
        assert outcome(triggers.all_successful, K(), S()) == "run"

    def test_unfinished_upstream_fails(self):
        assert outcome(triggers.all_successful, Pending()) == "TriggerFailed"

    def test_no_upstream(self):
        assert outcome(triggers.all_successful) == "run"

    def test_is_the_default_trigger(self):
        assert Task().trigger is triggers.all_successful


class TestAllFailed:
    def test_all_failed(self):
        assert outcome(triggers.all_failed, F(), F()) == "run"

    def test_trigger_failed_counts_as_failed(self):
        assert outcome(triggers.all_failed, TF(), F()) == "run"

    def test_one_success(self):
        assert outcome(triggers.all_failed, S(), F()) == "TriggerFailed"

    def test_skipped_counts_as_success(self):
        assert outcome(triggers.all_failed, K()) == "TriggerFailed"


class TestAllFinished:
    @pytest.mark.parametrize("trigger", [triggers.all_finished, triggers.always_run])
    def test_any_mix_of_finished_states(self, trigger):
        assert outcome(trigger, S(), F(), K(), TF()) == "run"

    @pytest.mark.parametrize("trigger", [triggers.all_finished, triggers.always_run])
    def test_unfinished(self, trigger):
        assert outcome(trigger, S(), Running()) == "TriggerFailed"

    def test_always_run_is_all_finished(self):
        assert triggers.always_run is triggers.all_finished


class TestAnySuccessfulAnyFailed:
    def test_any_successful(self):
        assert outcome(triggers.any_successful, S(), F()) == "run"
        assert outcome(triggers.any_successful, F(), F()) == "TriggerFailed"
        assert outcome(triggers.any_successful, K(), F()) == "run"
        assert outcome(triggers.any_successful) == "run"

    def test_any_failed(self):
        assert outcome(triggers.any_failed, S(), F()) == "run"
        assert outcome(triggers.any_failed, S(), S()) == "TriggerFailed"
        assert outcome(triggers.any_failed, TF()) == "run"
        assert outcome(triggers.any_failed, K()) == "TriggerFailed"
        assert outcome(triggers.any_failed) == "run"

    def test_empty_mapped_upstream(self):
        # Prefect 1 checks that there are upstream edges, not upstream children
        assert outcome(triggers.any_successful, Mapped(map_states=[])) == "TriggerFailed"
        assert outcome(triggers.any_failed, Mapped(map_states=[])) == "TriggerFailed"


class TestSomeSuccessfulSomeFailed:
    def test_some_failed_at_least_count(self):
        trigger = triggers.some_failed(at_least=1)
        assert outcome(trigger, S(), F()) == "run"
        assert outcome(trigger, S(), S()) == "TriggerFailed"

    def test_some_failed_at_most_count(self):
        trigger = triggers.some_failed(at_most=1)
        assert outcome(trigger, S(), F()) == "run"
        assert outcome(trigger, F(), F()) == "TriggerFailed"

    def test_some_failed_fraction(self):
        trigger = triggers.some_failed(at_least=0.5)
        assert outcome(trigger, S(), F()) == "run"
        assert outcome(trigger, S(), S(), S(), F()) == "TriggerFailed"

    def test_some_successful_at_least_count(self):
        trigger = triggers.some_successful(at_least=2)
        assert outcome(trigger, S(), K(), F()) == "run"
        assert outcome(trigger, S(), F(), F()) == "TriggerFailed"

    def test_some_successful_at_most_fraction(self):
        trigger = triggers.some_successful(at_most=0.5)
        assert outcome(trigger, S(), F()) == "run"
        assert outcome(trigger, S(), S()) == "TriggerFailed"

    def test_some_successful_both_bounds(self):
        trigger = triggers.some_successful(at_least=1, at_most=1)
        assert outcome(trigger, S(), F()) == "run"
        assert outcome(trigger, S(), S()) == "TriggerFailed"
        assert outcome(trigger, F(), F()) == "TriggerFailed"

    def test_no_upstream_runs(self):
        assert outcome(triggers.some_failed(at_least=1)) == "run"

    def test_thresholds_message(self):
        with pytest.raises(signals.TRIGGERFAIL) as info:
            triggers.some_successful(at_least=2)(upstream(F()))
        assert (
            info.value.state.message == 'Trigger was "some_successful" but thresholds were not met.'
        )
        with pytest.raises(signals.TRIGGERFAIL) as info:
            triggers.some_failed(at_least=1)(upstream(S()))
        assert info.value.state.message == 'Trigger was "some_failed" but thresholds were not met.'

    @pytest.mark.parametrize("kwargs", [{"at_least": -1}, {"at_most": -2}, {"at_least": "a"}])
    def test_invalid_thresholds_are_a_clear_error(self, kwargs):
        name = next(iter(kwargs))
        with pytest.raises(ValueError, match=f"some_failed: {name} must be a non-negative number"):
            triggers.some_failed(**kwargs)

    def test_invalid_some_successful(self):
        with pytest.raises(ValueError, match="some_successful: at_most"):
            triggers.some_successful(at_most=-0.5)


class TestNotAllSkipped:
    def test_some_skipped(self):
        assert outcome(triggers.not_all_skipped, K(), S()) == "run"

    def test_all_skipped_skips(self):
        with pytest.raises(signals.SKIP) as info:
            triggers.not_all_skipped(upstream(K(), K()))
        assert info.value.state.message == "All upstreams were skipped"

    def test_a_failure(self):
        assert outcome(triggers.not_all_skipped, S(), F()) == "TriggerFailed"


class TestManualOnly:
    def test_pauses(self):
        with pytest.raises(signals.PAUSE) as info:
            triggers.manual_only(upstream(S()))
        assert type(info.value.state) is Paused
        assert info.value.state.message == 'Trigger function is "manual_only"'

    def test_runs_when_resumed(self):
        from prefect_jupyter import context

        with context(resume=True):
            assert triggers.manual_only(upstream(S())) is True

    def test_in_a_flow_answer_y_runs_the_task(self, monkeypatch):
        ran = []

        @task(trigger=triggers.manual_only)
        def approve(x):
            ran.append(x)
            return x

        with Flow("manual") as flow:
            a = approve(1)
        monkeypatch.setattr("builtins.input", lambda prompt="": "y")
        state = flow.run()
        assert state.is_successful()
        assert state.result[a].result == 1
        assert ran == [1]

    def test_in_a_flow_answer_n_leaves_it_paused(self, monkeypatch):
        @task(trigger=triggers.manual_only)
        def approve(x):
            return x

        with Flow("manual") as flow:
            a = approve(1)
        monkeypatch.setattr("builtins.input", lambda prompt="": "n")
        state = flow.run()
        assert type(state) is Running
        assert type(state.result[a]) is Paused


class TestMappedUpstreams:
    def test_children_are_counted(self):
        mixed = Mapped(map_states=[S(), F()])
        assert outcome(triggers.all_successful, mixed) == "TriggerFailed"
        assert outcome(triggers.any_successful, mixed) == "run"
        assert outcome(triggers.any_failed, mixed) == "run"
        assert outcome(triggers.all_finished, mixed) == "run"

    def test_all_good_children(self):
        good = Mapped(map_states=[S(), S()])
        assert outcome(triggers.all_successful, good) == "run"
        assert outcome(triggers.all_failed, good) == "TriggerFailed"

    def test_some_failed_counts_children(self):
        children = Mapped(map_states=[S(), F(), F(), S()])
        assert outcome(triggers.some_failed(at_least=2), children) == "run"
        assert outcome(triggers.some_failed(at_least=3), children) == "TriggerFailed"
        assert outcome(triggers.some_failed(at_least=0.5), children) == "run"


@task
def fine():
    return 1


@task
def fails():
    raise ValueError("x")


class TestInFlows:
    def test_any_failed_runs_an_alert(self):
        @task(trigger=triggers.any_failed)
        def alert(a, b):
            return "alert"

        with Flow("alert") as flow:
            al = alert(fine(), fails())
        assert flow.run().result[al].result == "alert"

    def test_all_finished_runs_after_a_failure_and_gets_the_exception(self):
        @task(trigger=triggers.all_finished)
        def cleanup(x):
            return type(x).__name__

        with Flow("cleanup") as flow:
            c = cleanup(fails())
        assert flow.run().result[c].result == "ValueError"

    def test_some_successful_over_a_mapped_task(self):
        @task
        def maybe(x):
            if x > 2:
                raise ValueError("too big")
            return x

        @task(trigger=triggers.some_successful(at_least=0.5))
        def summary(xs):
            return [x for x in xs if isinstance(x, int)]

        with Flow("mapped") as flow:
            s = summary(maybe.map([1, 2, 3]))
        assert flow.run().result[s].result == [1, 2]

    def test_all_failed_is_trigger_failed_when_upstream_succeeded(self):
        @task(trigger=triggers.all_failed)
        def only_on_failure(x):
            return x

        with Flow("all-failed") as flow:
            o = only_on_failure(fine())
        state = flow.run().result[o]
        assert type(state) is TriggerFailed
        assert state.message == MESSAGES["all_failed"]

    def test_not_all_skipped_in_a_flow(self):
        @task
        def skipper():
            raise signals.SKIP("skip")

        @task(trigger=triggers.not_all_skipped, skip_on_upstream_skip=False)
        def after(a, b):
            return "ran"

        with Flow("not-all-skipped") as flow:
            some = after(skipper(), fine())
            none = after(skipper(), skipper())
        state = flow.run()
        assert state.result[some].result == "ran"
        assert type(state.result[none]) is Skipped


@pytest.mark.parametrize("trigger", [triggers.some_failed, triggers.some_successful])
def test_some_x_given_uncalled_passes_with_a_warning_like_prefect_1(trigger):
    @task
    def up():
        return 1

    @task(trigger=trigger)
    def down(x):
        return x + 1

    with Flow("uncalled trigger") as flow:
        result = down(up())
    with pytest.warns(UserWarning, match=rf"{trigger.__name__} was used without calling it"):
        state = flow.run()
    assert state.result[result].is_successful() and state.result[result].result == 2
