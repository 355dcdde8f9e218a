import subprocess
import sys
import types
from datetime import UTC, datetime, timedelta, timezone

import pytest

from prefect_jupyter.engine.cache_validators import (
    all_inputs,
    all_parameters,
    duration_only,
    hash_inputs,
    never_use,
    partial_inputs_only,
    partial_parameters_only,
)
from prefect_jupyter.engine.result import Result

try:
    from prefect_jupyter.engine.state import Cached
except ImportError:  # the state module is written in parallel; the validators only duck-type
    Cached = None


def cached(expiration=None, inputs=None, parameters=None, hashed=None):
    """A Cached state: the real class when available, else a stand-in with the same fields."""
    cached_inputs = {k: Result(value=v) for k, v in (inputs or {}).items()}
    fields = dict(
        cached_result_expiration=expiration,
        cached_inputs=cached_inputs,
        cached_parameters=parameters,
        hashed_inputs=hashed,
    )
    if Cached is not None:
        return Cached(result=1, **fields)
    return types.SimpleNamespace(**fields)


def in_hours(hours):
    return datetime.now(UTC) + timedelta(hours=hours)


class ElementWise:
    """Compares like a numpy array: == gives something whose truth value is ambiguous."""

    def __init__(self, items):
        self.items = list(items)

    def __eq__(self, other):
        return self

    def __bool__(self):
        raise ValueError("truth value is ambiguous")


def test_never_use_is_always_false():
    assert never_use(cached(), {}, {}) is False


class TestDurationOnly:
    def test_no_expiration_never_expires(self):
        assert duration_only(cached(None), {}, {}) is True

    def test_future_and_past_expiration(self):
        assert duration_only(cached(in_hours(1)), {}, {}) is True
        assert duration_only(cached(in_hours(-1)), {}, {}) is False

    def test_naive_expiration_is_treated_as_utc(self):
        naive_future = (datetime.now(UTC) + timedelta(minutes=5)).replace(tzinfo=None)
        naive_past = (datetime.now(UTC) - timedelta(minutes=5)).replace(tzinfo=None)
        assert duration_only(cached(naive_future), {}, {}) is True
        assert duration_only(cached(naive_past), {}, {}) is False

    def test_other_timezones_compare_by_instant(self):
        tokyo = timezone(timedelta(hours=9))
        assert duration_only(cached(in_hours(1).astimezone(tokyo)), {}, {}) is True
        assert duration_only(cached(in_hours(-1).astimezone(tokyo)), {}, {}) is False

    def test_inputs_and_parameters_are_ignored(self):
        state = cached(in_hours(1), inputs={"x": 1}, parameters={"p": 1})
        assert duration_only(state, {"x": 2}, {"p": 2}) is True


class TestAllInputs:
    def test_same_inputs_reuse_the_cache(self):
        assert all_inputs(cached(inputs={"x": 1, "y": [2]}), {"x": 1, "y": [2]}, {}) is True

    def test_changed_missing_or_extra_inputs_do_not(self):
        state = cached(inputs={"x": 1, "y": 2})
        assert all_inputs(state, {"x": 1, "y": 3}, {}) is False
        assert all_inputs(state, {"x": 1}, {}) is False
        assert all_inputs(state, {"x": 1, "y": 2, "z": 0}, {}) is False

    def test_expired_cache_is_invalid_even_with_same_inputs(self):
        assert all_inputs(cached(in_hours(-1), inputs={"x": 1}), {"x": 1}, {}) is False

    def test_hashed_inputs_are_compared_when_present(self):
        state = cached(hashed=hash_inputs({"x": 1, "y": "a"}))
        assert all_inputs(state, {"x": 1, "y": "a"}, {}) is True
        assert all_inputs(state, {"x": 2, "y": "a"}, {}) is False

    def test_array_like_inputs_are_compared_by_content(self):
        state = cached(inputs={"a": ElementWise([1, 2])})
        assert all_inputs(state, {"a": ElementWise([1, 2])}, {}) is True
        assert all_inputs(state, {"a": ElementWise([1, 3])}, {}) is False


class TestAllParameters:
    def test_same_parameters_reuse_the_cache(self):
        assert all_parameters(cached(parameters={"n": 5}), {}, {"n": 5}) is True

    def test_changed_parameters_do_not(self):
        assert all_parameters(cached(parameters={"n": 5}), {}, {"n": 6}) is False
        assert all_parameters(cached(parameters={"n": 5}), {}, {"n": 5, "m": 1}) is False

    def test_none_and_empty_both_mean_no_parameters(self):
        assert all_parameters(cached(parameters=None), {}, {}) is True
        assert all_parameters(cached(parameters={}), {}, None) is True

    def test_expired_cache_is_invalid(self):
        assert all_parameters(cached(in_hours(-1), parameters={"n": 5}), {}, {"n": 5}) is False


class TestPartialParametersOnly:
    def test_only_named_parameters_count(self):
        validator = partial_parameters_only(validate_on=["nrows"])
        state = cached(parameters={"nrows": 500, "runtime": "monday"})
        assert validator(state, {}, {"nrows": 500, "runtime": "tuesday"}) is True
        assert validator(state, {}, {"nrows": 1000, "runtime": "monday"}) is False

    def test_no_names_means_only_expiration_counts(self):
        validator = partial_parameters_only()
        assert validator(cached(parameters={"a": 1}), {}, {"a": 2}) is True
        assert validator(cached(in_hours(-1)), {}, {}) is False

    def test_missing_cached_parameters(self):
        validator = partial_parameters_only(["a"])
        assert validator(cached(parameters=None), {}, {"a": 1}) is False
        assert validator(cached(parameters=None), {}, {"b": 1}) is True

    def test_a_bare_string_is_rejected(self):
        with pytest.raises(TypeError, match=r"validate_on=\['nrows'\]"):
            partial_parameters_only(validate_on="nrows")


class TestPartialInputsOnly:
    def test_only_named_inputs_count(self):
        validator = partial_inputs_only(validate_on=["x", "y"])
        state = cached(inputs={"x": 1, "y": 2, "as_string": False})
        assert validator(state, {"x": 1, "y": 2, "as_string": True}, {}) is True
        assert validator(state, {"x": 1, "y": 3, "as_string": False}, {}) is False

    def test_with_hashed_inputs(self):
        validator = partial_inputs_only(validate_on=["x"])
        state = cached(hashed=hash_inputs({"x": [1, 2], "noise": 0.5}))
        assert validator(state, {"x": [1, 2], "noise": 0.9}, {}) is True
        assert validator(state, {"x": [1], "noise": 0.5}, {}) is False

    def test_no_names_means_only_expiration_counts(self):
        assert partial_inputs_only()(cached(inputs={"x": 1}), {"x": 2}, {}) is True
        assert (
            partial_inputs_only(["x"])(cached(in_hours(-1), inputs={"x": 1}), {"x": 1}, {}) is False
        )

    def test_a_bare_string_is_rejected(self):
        with pytest.raises(TypeError, match="takes a list of names"):
            partial_inputs_only(validate_on="x")


class TestHashInputs:
    def test_hashes_are_stable_and_distinguish_values(self):
        assert hash_inputs({"x": [1, 2]}) == hash_inputs({"x": [1, 2]})
        assert hash_inputs({"x": [1, 2]})["x"] != hash_inputs({"x": [2, 1]})["x"]

    def test_unpicklable_values_still_hash(self):
        hashes = hash_inputs({"gen": (i for i in range(3))})
        assert isinstance(hashes["gen"], str) and hashes["gen"]

    def test_hashes_are_prefect_1s_dask_tokens(self):
        from dask.base import tokenize

        assert hash_inputs({"x": 1, "s": "str"}) == {"x": tokenize(1), "s": tokenize("str")}

    def test_plain_values_hash_the_same_in_another_process(self):
        # an agent run checks the hashes an earlier process stored on the server
        code = ("from prefect_jupyter.engine.cache_validators import hash_inputs; "
                "print(hash_inputs({'x': [1, 2], 's': 'a', 'd': {'k': 1.5}}))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout
        assert out.strip() == str(hash_inputs({"x": [1, 2], "s": "a", "d": {"k": 1.5}}))

    def test_without_dask_values_are_hashed_by_their_pickle(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "dask.base", None)  # import fails
        hashes = hash_inputs({"x": [1, 2]})
        assert len(hashes["x"]) == 64 and hashes == hash_inputs({"x": [1, 2]})
