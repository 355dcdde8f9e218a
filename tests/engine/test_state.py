"""States: the class hierarchy, predicates, colours, results, equality (checked against Prefect 1.4.1)."""

from __future__ import annotations

import datetime

import pytest

from prefect_jupyter import context
from prefect_jupyter.engine import state as st
from prefect_jupyter.engine.result import NoResult, Result
from prefect_jupyter.engine.state import (
    Cached,
    Cancelled,
    Cancelling,
    ClientFailed,
    Failed,
    Finished,
    Looped,
    Mapped,
    Paused,
    Pending,
    Queued,
    Resume,
    Retrying,
    Running,
    Scheduled,
    Skipped,
    State,
    Submitted,
    Success,
    TimedOut,
    TriggerFailed,
    ValidationFailed,
)

ALL_STATES = [
    State,
    Pending,
    Paused,
    Scheduled,
    Resume,
    Retrying,
    Submitted,
    Queued,
    ClientFailed,
    Running,
    Cancelling,
    Finished,
    Success,
    Cached,
    Mapped,
    Skipped,
    Looped,
    Failed,
    TimedOut,
    TriggerFailed,
    ValidationFailed,
    Cancelled,
]

# Prefect 1.4.1's colours, as shown in its UI.
COLOURS = {
    State: "#696969",
    Pending: "#7ebdff",
    Paused: "#99a8e8",
    Scheduled: "#ffab00",
    Resume: "#f58c0c",
    Retrying: "#f66a0a",
    Submitted: "#ffdf5d",
    Queued: "#ffea7f",
    ClientFailed: "#eb0000",
    Running: "#3d67ff",
    Cancelling: "#E8E8E8",
    Finished: "#003ccb",
    Success: "#28a745",
    Cached: "#34d058",
    Mapped: "#003ccb",
    Skipped: "#62757f",
    Looped: "#003ccb",
    Failed: "#eb0000",
    TimedOut: "#ff4e33",
    TriggerFailed: "#ff5131",
    ValidationFailed: "#ff5131",
    Cancelled: "#bdbdbd",
}

# The predicates each state answers True to in Prefect 1.4.1 (is_paused / is_cancelling are
# our additions and are checked separately).
PREFECT1_PREDICATES = {
    State: set(),
    Pending: {"is_pending"},
    Paused: {"is_pending", "is_scheduled"},
    Scheduled: {"is_pending", "is_scheduled"},
    Resume: {"is_pending", "is_scheduled"},
    Retrying: {"is_pending", "is_scheduled", "is_retrying"},
    Submitted: {"is_meta_state", "is_submitted"},
    Queued: {"is_meta_state", "is_queued", "is_scheduled"},
    ClientFailed: {"is_meta_state"},
    Running: {"is_running"},
    Cancelling: {"is_running"},
    Finished: {"is_finished"},
    Success: {"is_finished", "is_successful"},
    Cached: {"is_finished", "is_successful", "is_cached"},
    Mapped: {"is_finished", "is_successful", "is_mapped"},
    Skipped: {"is_finished", "is_successful", "is_skipped"},
    Looped: {"is_finished", "is_looped"},
    Failed: {"is_finished", "is_failed"},
    TimedOut: {"is_finished", "is_failed"},
    TriggerFailed: {"is_finished", "is_failed"},
    ValidationFailed: {"is_finished", "is_failed"},
    Cancelled: {"is_finished"},
}
PREFECT1_PREDICATE_NAMES = sorted(set().union(*PREFECT1_PREDICATES.values()))


class TestHierarchy:
    @pytest.mark.parametrize("cls", ALL_STATES, ids=lambda c: c.__name__)
    def test_colour_matches_prefect1(self, cls):
        assert cls.color == COLOURS[cls]

    @pytest.mark.parametrize("cls", ALL_STATES, ids=lambda c: c.__name__)
    def test_predicates_match_prefect1(self, cls):
        instance = cls()
        true_ones = {name for name in PREFECT1_PREDICATE_NAMES if getattr(instance, name)()}
        assert true_ones == PREFECT1_PREDICATES[cls]

    def test_predicates_are_isinstance_checks(self):
        assert Retrying().is_pending()
        assert Retrying().is_scheduled()
        assert Paused().is_pending()
        assert TimedOut().is_failed()
        assert Cached().is_successful()
        assert Skipped().is_successful()
        assert not Looped().is_successful()

    def test_a_user_subclass_answers_its_parents_predicates(self):
        class MyFailure(TriggerFailed):
            color = "#000000"

        assert MyFailure().is_failed() and MyFailure().is_finished()
        assert not MyFailure().is_successful()

    def test_is_paused_and_is_cancelling(self):
        assert Paused().is_paused()
        assert not Scheduled().is_paused()
        assert Cancelling().is_cancelling()
        assert not Running().is_cancelling()

    def test_children_of_state_lists_every_public_state(self):
        names = set(State.children(names_only=True))
        expected = {cls.__name__ for cls in ALL_STATES} - {"State"}
        assert expected <= names
        assert not any(name.startswith("_") for name in names)

    def test_children_include_meta_states_behind_the_private_base(self):
        assert {"Submitted", "Queued", "ClientFailed"} <= set(State.children(names_only=True))

    def test_children_of_failed(self):
        ours = {c for c in Failed.children() if c.__module__ == st.__name__}
        assert ours == {TimedOut, TriggerFailed, ValidationFailed}

    def test_children_of_a_leaf_is_empty(self):
        assert TimedOut.children() == []

    def test_children_include_self(self):
        assert Failed in Failed.children(include_self=True)

    def test_parents(self):
        assert Retrying.parents() == [Scheduled, Pending, State]
        assert Cached.parents(names_only=True) == ["Success", "Finished", "State"]

    def test_parents_hide_the_private_meta_base(self):
        assert Submitted.parents(names_only=True) == ["State"]

    def test_parents_include_self(self):
        assert Success.parents(include_self=True)[-1] is Success


class TestMessageAndResult:
    def test_defaults(self):
        s = State()
        assert s.message is None
        assert s.result is None
        assert s.context == {}
        assert s.cached_inputs == {}

    def test_message_and_result(self):
        s = Success("done", result=42)
        assert s.message == "done"
        assert s.result == 42

    def test_message_can_be_an_exception(self):
        exc = ValueError("bad")
        assert Failed(exc).message is exc

    def test_result_is_wrapped_in_a_result_object_on_request(self):
        s = Success(result=3)
        assert isinstance(s._result, Result)
        assert s._result.value == 3

    def test_no_result_is_noresult(self):
        assert Success()._result is NoResult
        assert Success().result is None

    def test_result_object_is_kept_and_unwrapped(self):
        res = Result(value=[1, 2])
        s = Success(result=res)
        assert s._result is res
        assert s.result == [1, 2]

    def test_setting_result_after_creation(self):
        s = Pending()
        s.result = "later"
        assert s.result == "later"
        assert s._result.value == "later"

    def test_a_falsy_result_is_kept(self):
        assert Success(result=0).result == 0
        assert Success(result=[]).result == []

    def test_context_and_cached_inputs_are_kept(self):
        inputs = {"x": Result(value=1)}
        s = Pending(context={"tags": ["a"]}, cached_inputs=inputs)
        assert s.context == {"tags": ["a"]}
        assert s.cached_inputs is inputs


class TestReprAndEquality:
    def test_repr_with_message(self):
        assert repr(Success("hi", result=3)) == '<Success: "hi">'

    def test_repr_without_message(self):
        assert repr(Failed()) == "<Failed>"
        assert repr(Retrying()) == "<Retrying>"

    def test_equal_when_type_and_result_match(self):
        assert Success(result=1) == Success(result=1)

    def test_message_does_not_count_for_equality(self):
        # as in Prefect 1: a task run's "Task run succeeded." equals a bare Success(result=...)
        assert Success("Task run succeeded.", result=1) == Success(result=1)

    def test_context_does_not_count_for_equality(self):
        assert Success(context={"a": 1}) == Success(context={"b": 2})

    def test_different_results_are_not_equal(self):
        assert Success(result=1) != Success(result=2)

    def test_different_types_are_not_equal(self):
        assert Success(result=1) != Cached(result=1)
        assert Success() != Failed()
        assert Success() != "Success"

    def test_data_fields_count_for_equality(self):
        when = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
        assert Scheduled(start_time=when) == Scheduled(start_time=when)
        assert Scheduled(start_time=when) != Scheduled(start_time=when + datetime.timedelta(1))

    def test_states_hash_by_identity(self):
        a, b = Success(result=1), Success(result=1)
        assert len({a, b}) == 2


class TestScheduledAndRetrying:
    def test_scheduled_start_time_defaults_to_now_utc(self):
        before = datetime.datetime.now(datetime.UTC)
        s = Scheduled()
        after = datetime.datetime.now(datetime.UTC)
        assert before <= s.start_time <= after
        assert s.start_time.tzinfo is not None

    def test_scheduled_start_time_given(self):
        when = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
        assert Scheduled(start_time=when).start_time == when
        assert Paused(start_time=when).start_time == when

    def test_retrying_run_count_defaults_to_one(self):
        assert Retrying().run_count == 1

    def test_retrying_run_count_comes_from_context(self):
        with context(task_run_count=3):
            assert Retrying().run_count == 3

    def test_retrying_run_count_given(self):
        assert Retrying(run_count=5).run_count == 5

    def test_queued_keeps_its_state_and_start_time(self):
        inner = Running()
        q = Queued(state=inner)
        assert q.state is inner
        assert q.start_time is not None
        assert Submitted(state=inner).state is inner


class TestMappedCachedLooped:
    def test_mapped_counts_and_results_of_children(self):
        m = Mapped(map_states=[Success(result=1), Failed(result=2)])
        assert m.n_map_states == 2
        assert m.result == [1, 2]

    def test_mapped_defaults(self):
        m = Mapped()
        assert m.map_states == []
        assert m.n_map_states == 0
        assert m.result == []

    def test_mapped_n_map_states_given(self):
        assert Mapped(n_map_states=3).n_map_states == 3

    def test_mapped_explicit_result_wins(self):
        assert Mapped(result="x", map_states=[Success(result=1)]).result == "x"

    def test_cached_fields(self):
        expires = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
        c = Cached(
            result=1,
            cached_inputs={"x": Result(value=2)},
            cached_parameters={"p": 3},
            cached_result_expiration=expires,
        )
        assert c.result == 1
        assert c.cached_inputs["x"].value == 2
        assert c.cached_parameters == {"p": 3}
        assert c.cached_result_expiration == expires

    def test_cached_defaults(self):
        c = Cached()
        assert c.cached_inputs == {}
        assert c.cached_parameters is None
        assert c.cached_result_expiration is None

    def test_looped_loop_count_defaults_to_one(self):
        assert Looped().loop_count == 1

    def test_looped_loop_count_from_context(self):
        with context(task_loop_count=4):
            assert Looped().loop_count == 4

    def test_looped_loop_count_given(self):
        assert Looped(loop_count=7).loop_count == 7


@pytest.mark.parametrize("cls", ALL_STATES, ids=lambda c: c.__name__)
def test_serialize_round_trip_keeps_type_and_message(cls):
    pytest.importorskip("prefect_jupyter.engine.state_schema")
    restored = State.deserialize(cls("a message").serialize())
    assert type(restored) is cls
    assert restored.message == "a message"


def test_serialize_round_trip_keeps_fields():
    pytest.importorskip("prefect_jupyter.engine.state_schema")
    when = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    retrying = State.deserialize(Retrying("again", start_time=when, run_count=2).serialize())
    assert retrying.start_time == when
    assert retrying.run_count == 2
    assert State.deserialize(Looped(loop_count=3).serialize()).loop_count == 3


def test_module_exports_every_state():
    assert {cls.__name__ for cls in ALL_STATES} <= set(st.__all__)


@pytest.mark.parametrize("cls", [st.Scheduled, st.Paused, st.Retrying, st.Queued])
def test_a_start_time_without_a_time_zone_is_taken_as_utc(cls):
    naive = datetime.datetime(2030, 1, 2, 3, 4, 5)
    state = cls(start_time=naive)
    assert state.start_time == naive.replace(tzinfo=datetime.UTC)
    assert state.start_time > datetime.datetime.now(datetime.UTC)  # compares with now


def test_a_start_time_with_a_time_zone_is_kept():
    when = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert st.Scheduled(start_time=when).start_time.utcoffset() == datetime.timedelta(hours=2)


def test_a_retry_signal_with_a_naive_time_waits_until_then_in_utc():
    from prefect_jupyter import Task
    from prefect_jupyter.engine import signals
    from prefect_jupyter.engine.task_runner import TaskRunner

    later = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(minutes=5)

    class Later(Task):
        def run(self):
            raise signals.RETRY(start_time=later)

    state = TaskRunner(task=Later()).run()
    assert state.is_retrying()
    assert state.start_time == later.replace(tzinfo=datetime.UTC)
