"""The state sets are the state classes' own predicates, and every layer uses them."""

from __future__ import annotations

import gc

import pytest

from prefect_jupyter.engine import state as state_module
from prefect_jupyter.engine import state_sets


@pytest.mark.parametrize(
    ("name", "finished", "failed", "successful"),
    [
        ("ValidationFailed", True, True, False),
        ("ClientFailed", False, False, False),
        ("Cancelled", True, False, False),
        ("TimedOut", True, True, False),
        ("Mapped", True, False, True),
        ("Looped", True, False, False),
        ("Retrying", False, False, False),
    ],
)
def test_sets_follow_prefect_1_predicates(name, finished, failed, successful):
    assert (name in state_sets.FINISHED) is finished
    assert (name in state_sets.FAILED) is failed
    assert (name in state_sets.SUCCESSFUL) is successful


def test_every_set_is_its_predicate_on_every_state_class():
    # the package's own classes: a subclass another test made after the sets were derived
    # is not in them (derive_state_sets() picks it up, see the next test)
    own = [c for c in state_module.State.children(include_self=True) if c.__module__ == state_module.__name__]
    assert len(own) == len(state_module.__all__)
    for cls in own:
        sample = cls()
        for predicate in state_sets.PREDICATES:
            assert (cls.__name__ in state_sets.STATE_SETS[predicate]) is getattr(
                sample, f"is_{predicate}"
            )(), (cls.__name__, predicate)


def test_a_new_subclass_joins_the_sets_of_its_parents():
    class Exploded(state_module.Failed):
        pass

    sets = state_sets.derive_state_sets()
    assert "Exploded" in sets["failed"] and "Exploded" in sets["finished"]
    assert "Exploded" not in sets["successful"]
    del Exploded
    gc.collect()  # drop the class from Failed.__subclasses__() for the tests that follow


def test_runnable_scheduled_leaves_paused_runs_to_a_person():
    assert state_sets.RUNNABLE_SCHEDULED == {"Scheduled", "Retrying", "Resume", "Queued"}


def test_layers_use_the_derived_sets():
    from prefect_jupyter.agent import agent
    from prefect_jupyter.backend import execution
    from prefect_jupyter.server.api import restart, states

    assert agent._FINISHED is state_sets.FINISHED  # ValidationFailed ends a run for the agent
    assert execution.FINISHED is state_sets.FINISHED
    assert set(states.FINISHED_STATES) == state_sets.FINISHED
    assert set(states.RUNNABLE_SCHEDULED_STATES) == state_sets.RUNNABLE_SCHEDULED
    assert restart.KEPT_STATES == state_sets.SUCCESSFUL | {"Pending"}
