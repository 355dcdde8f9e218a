"""Output caching across flow runs: cache_for, expiry, cache_key, and every cache validator."""

from __future__ import annotations

import datetime
import time

import pytest

from prefect_jupyter import Flow, Parameter, context, task
from prefect_jupyter.engine import cache_validators as cv
from prefect_jupyter.engine.state import Cached, Failed, Success
from prefect_jupyter.engine.task_runner import TaskRunner

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def calls():
    return []


class TestCacheFor:
    def test_second_run_reuses_the_result(self, calls):
        @task(cache_for=MINUTE)
        def slow():
            calls.append(1)
            return 42

        with Flow("cache") as flow:
            s = slow()
        first = flow.run().result[s]
        second = flow.run().result[s]
        assert calls == [1]
        assert type(first) is Cached and type(second) is Cached
        assert second.result == 42

    def test_cached_state_fields(self):
        @task(cache_for=MINUTE)
        def slow(x):
            return x

        with Flow("fields") as flow:
            s = slow(Parameter("p", default=3))
        state = flow.run().result[s]
        assert state.cached_parameters == {"p": 3}
        assert state.cached_inputs["x"].value == 3
        expires = state.cached_result_expiration
        now = datetime.datetime.now(datetime.UTC)
        assert now < expires <= now + MINUTE

    def test_downstream_receives_the_cached_value(self, calls):
        @task(cache_for=MINUTE)
        def slow():
            calls.append(1)
            return 10

        @task
        def plus_one(x):
            return x + 1

        with Flow("downstream") as flow:
            p = plus_one(slow())
        flow.run()
        assert flow.run().result[p].result == 11
        assert calls == [1]

    def test_cache_expires(self, calls):
        @task(cache_for=datetime.timedelta(seconds=0.2))
        def quick():
            calls.append(1)
            return 1

        with Flow("expires") as flow:
            quick()
        flow.run()
        time.sleep(0.3)
        flow.run()
        assert calls == [1, 1]

    def test_without_cache_for_the_task_always_runs(self, calls):
        @task
        def plain():
            calls.append(1)
            return 1

        with Flow("plain") as flow:
            p = plain()
        flow.run()
        assert type(flow.run().result[p]) is Success
        assert calls == [1, 1]

    def test_failures_are_not_cached(self, calls):
        @task(cache_for=MINUTE)
        def fails():
            calls.append(1)
            raise ValueError("no")

        with Flow("fails") as flow:
            f = fails()
        flow.run()
        assert type(flow.run().result[f]) is Failed
        assert calls == [1, 1]

    def test_cache_key_shares_between_flows(self, calls):
        @task(cache_for=MINUTE, cache_key="shared")
        def make_a():
            calls.append("a")
            return "A"

        @task(cache_for=MINUTE, cache_key="shared")
        def make_b():
            calls.append("b")
            return "B"

        with Flow("flow-a") as flow_a:
            make_a()
        with Flow("flow-b") as flow_b:
            b = make_b()
        flow_a.run()
        state = flow_b.run().result[b]
        assert type(state) is Cached
        assert state.result == "A"
        assert calls == ["a"]

    def test_of_two_valid_caches_the_oldest_is_used(self, calls):
        # Prefect 1's order: a map's children with equal inputs each cache a value; a later
        # child with that input gets the first one cached
        @task(cache_for=MINUTE, cache_validator=cv.all_inputs)
        def draw(x):
            calls.append(x)
            return len(calls)

        with Flow("draws") as flow:
            drawn = draw.map([7, 7])
        first = flow.run().result[drawn].result
        again = flow.run().result[drawn].result
        assert first == [1, 2]
        assert again == [1, 1]
        assert calls == [7, 7]

    def test_without_cache_key_tasks_cache_by_name(self, calls):
        @task(cache_for=MINUTE, name="same-name")
        def first():
            calls.append("first")
            return 1

        with Flow("one") as flow:
            first()
        flow.run()
        assert "same-name" in context.caches

    def test_a_cached_starting_state_is_reused_while_valid(self, calls):
        @task(cache_for=MINUTE)
        def slow():
            calls.append(1)
            return 2

        expires = datetime.datetime.now(datetime.UTC) + MINUTE
        state = TaskRunner(slow).run(state=Cached(result=7, cached_result_expiration=expires))
        assert state.result == 7
        assert calls == []

    def test_an_expired_cached_starting_state_reruns(self, calls):
        @task(cache_for=MINUTE)
        def slow():
            calls.append(1)
            return 2

        expired = datetime.datetime.now(datetime.UTC) - MINUTE
        state = TaskRunner(slow).run(state=Cached(result=7, cached_result_expiration=expired))
        assert state.result == 2
        assert calls == [1]

    def test_validator_without_cache_for_warns(self):
        with pytest.warns(UserWarning, match="cache_for"):
            task(lambda: 1, cache_validator=cv.all_inputs)


def validator_flow(validator, calls: list):
    """A flow whose task ``t(x=p, y=q)`` caches with ``validator``."""

    @task(cache_for=MINUTE, cache_validator=validator)
    def t(x, y):
        calls.append((x, y))
        return x

    with Flow("validators") as flow:
        r = t(Parameter("p"), Parameter("q", default=0))
    return flow, r


# (validator, unchanged → cached?, p changed → cached?, q changed → cached?), as Prefect 1 does.
# ``p`` feeds input x and ``q`` feeds input y.
VALIDATORS = [
    ("all_inputs", cv.all_inputs, True, False, False),
    ("all_parameters", cv.all_parameters, True, False, False),
    ("duration_only", cv.duration_only, True, True, True),
    ("never_use", cv.never_use, False, False, False),
    ("partial_inputs_only_x", cv.partial_inputs_only(["x"]), True, False, True),
    ("partial_parameters_only_p", cv.partial_parameters_only(["p"]), True, False, True),
    ("partial_inputs_only_none", cv.partial_inputs_only(None), True, True, True),
]


@pytest.mark.parametrize(
    "name, validator, same, p_changed, q_changed", VALIDATORS, ids=[v[0] for v in VALIDATORS]
)
class TestValidators:
    def test_unchanged(self, name, validator, same, p_changed, q_changed, calls):
        flow, r = validator_flow(validator, calls)
        flow.run(p=1, q=0)
        state = flow.run(p=1, q=0).result[r]
        assert (len(calls) == 1) is same
        assert state.result == 1

    def test_parameter_feeding_x_changed(self, name, validator, same, p_changed, q_changed, calls):
        flow, r = validator_flow(validator, calls)
        flow.run(p=1, q=0)
        state = flow.run(p=2, q=0).result[r]
        assert (len(calls) == 1) is p_changed
        assert state.result == (1 if p_changed else 2)

    def test_parameter_feeding_y_changed(self, name, validator, same, p_changed, q_changed, calls):
        flow, r = validator_flow(validator, calls)
        flow.run(p=1, q=0)
        flow.run(p=1, q=5)
        assert (len(calls) == 1) is q_changed
