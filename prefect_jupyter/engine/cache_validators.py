"""Cache validators decide whether a task may reuse a cached output instead of running again.

A task caches its output when it has ``cache_for=timedelta(...)``; on a later run its
``cache_validator`` is called as ``validator(state, inputs, parameters)`` where

- ``state`` is the `Cached` state from the earlier run. Only three attributes are read:
  ``cached_result_expiration`` (a datetime, or ``None`` for "never expires"; a naive datetime
  is taken as UTC), ``cached_parameters`` (a dict) and either ``hashed_inputs`` (name -> hash
  from `hash_inputs`) or ``cached_inputs`` (name -> `Result`);
- ``inputs`` maps the task's argument names to this run's raw input values;
- ``parameters`` maps the flow's parameter names to this run's values.

It returns ``True`` to reuse the cache. Every validator except `never_use` first checks that
the cache has not expired.

Example:
    >>> from datetime import timedelta
    >>> from prefect_jupyter import task  # doctest: +SKIP
    >>> @task(cache_for=timedelta(hours=1), cache_validator=partial_inputs_only(["x"]))
    ... def slow_square(x, verbose=False):  # doctest: +SKIP
    ...     return x * x
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import cloudpickle

__all__ = [
    "all_inputs",
    "all_parameters",
    "duration_only",
    "hash_inputs",
    "never_use",
    "partial_inputs_only",
    "partial_parameters_only",
]

CacheValidator = Callable[[Any, dict[str, Any], dict[str, Any]], bool]


def hash_inputs(inputs: dict[str, Any]) -> dict[str, str]:
    """Hash each input value, for a `Cached` state's ``hashed_inputs``.

    The validators compare this run's inputs through the same function, so the engine must use
    it (and nothing else) to fill ``hashed_inputs``.

    Args:
        inputs: input name -> raw value.

    Returns:
        input name -> hex digest: Dask's ``tokenize`` of the value, as Prefect 1 made them (so a
        hash Prefect 1 stored still validates), when Dask is installed; else a SHA-256 of the
        value's cloudpickle (a cache made with one validates only with the same one: the other
        costs a rerun, never a wrong hit).
    """
    try:
        from dask.base import tokenize
    except ImportError:
        tokenize = _hash_value
    return {name: tokenize(value) for name, value in inputs.items()}


def _hash_value(value: Any) -> str:
    try:
        payload = cloudpickle.dumps(value)
    except (pickle.PicklingError, TypeError, AttributeError):
        # An unpicklable input can still be compared by its repr; a repr that embeds an object
        # id simply never matches, which costs a rerun, never a wrong cache hit.
        payload = repr(value).encode("utf-8", "backslashreplace")
    return hashlib.sha256(payload).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _values_equal(left: Any, right: Any) -> bool:
    if left is right:
        return True
    try:
        return bool(left == right)
    except (ValueError, TypeError):
        # numpy arrays and DataFrames compare element-wise and refuse bool(); compare their
        # serialized form instead.
        return _hash_value(left) == _hash_value(right)


def _same_mapping(left: dict[str, Any], right: dict[str, Any]) -> bool:
    return left.keys() == right.keys() and all(_values_equal(left[k], right[k]) for k in left)


def _cached_input_values(state: Any) -> dict[str, Any]:
    cached_inputs = getattr(state, "cached_inputs", None) or {}
    return {name: result.value for name, result in cached_inputs.items()}


def _names(validate_on: Iterable[str] | None, argument: str) -> frozenset[str] | None:
    if validate_on is None:
        return None
    if isinstance(validate_on, str):
        # A bare string would be treated as a set of characters and match the wrong names.
        raise TypeError(
            f"{argument}(validate_on=...) takes a list of names, got the string "
            f"{validate_on!r}; write validate_on=[{validate_on!r}]."
        )
    return frozenset(validate_on)


def never_use(state: Any, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Never reuse the cache.

    Args:
        state: the `Cached` state of an earlier run.
        inputs: this run's inputs.
        parameters: this run's flow parameters.

    Returns:
        ``False``.
    """
    return False


def duration_only(state: Any, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Reuse the cache until it expires, whatever the inputs and parameters.

    Args:
        state: the `Cached` state of an earlier run.
        inputs: this run's inputs (ignored).
        parameters: this run's flow parameters (ignored).

    Returns:
        Whether ``state.cached_result_expiration`` is ``None`` or still in the future.
    """
    expiration = getattr(state, "cached_result_expiration", None)
    if expiration is None:
        return True
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    return expiration > _now()


def all_inputs(state: Any, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Reuse the unexpired cache only if every input equals the cached run's.

    Args:
        state: the `Cached` state of an earlier run.
        inputs: this run's inputs.
        parameters: this run's flow parameters (ignored).

    Returns:
        Whether the cache is unexpired and the inputs are unchanged.
    """
    if not duration_only(state, inputs, parameters):
        return False
    inputs = inputs or {}
    hashed = getattr(state, "hashed_inputs", None)
    if hashed is not None:
        return hashed == hash_inputs(inputs)
    return _same_mapping(_cached_input_values(state), inputs)


def all_parameters(state: Any, inputs: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """Reuse the unexpired cache only if every flow parameter equals the cached run's.

    Args:
        state: the `Cached` state of an earlier run.
        inputs: this run's inputs (ignored).
        parameters: this run's flow parameters.

    Returns:
        Whether the cache is unexpired and the parameters are unchanged.
    """
    if not duration_only(state, inputs, parameters):
        return False
    return _same_mapping(getattr(state, "cached_parameters", None) or {}, parameters or {})


def partial_parameters_only(validate_on: Iterable[str] | None = None) -> CacheValidator:
    """Build a validator that compares only the named flow parameters.

    Args:
        validate_on: the parameter names to compare; ``None`` compares none, so only the
            expiration counts.

    Returns:
        A cache validator.

    Raises:
        TypeError: ``validate_on`` is a single string instead of a list of names.
    """
    _names(validate_on, "partial_parameters_only")  # refuse bad names now, not at run time

    # closes over `validate_on` only, so serialization writes it as the factory's argument
    def _partial_parameters_only(
        state: Any, inputs: dict[str, Any], parameters: dict[str, Any]
    ) -> bool:
        names = _names(validate_on, "partial_parameters_only")
        if not duration_only(state, inputs, parameters):
            return False
        if names is None:
            return True
        provided = {k: v for k, v in (parameters or {}).items() if k in names}
        cached_parameters = getattr(state, "cached_parameters", None) or {}
        cached = {k: v for k, v in cached_parameters.items() if k in names}
        return _same_mapping(provided, cached)

    return _partial_parameters_only


def partial_inputs_only(validate_on: Iterable[str] | None = None) -> CacheValidator:
    """Build a validator that compares only the named task inputs.

    Args:
        validate_on: the input names to compare; ``None`` compares none, so only the
            expiration counts.

    Returns:
        A cache validator.

    Raises:
        TypeError: ``validate_on`` is a single string instead of a list of names.
    """
    _names(validate_on, "partial_inputs_only")  # refuse bad names now, not at run time

    # closes over `validate_on` only, so serialization writes it as the factory's argument
    def _partial_inputs_only(
        state: Any, inputs: dict[str, Any], parameters: dict[str, Any]
    ) -> bool:
        names = _names(validate_on, "partial_inputs_only")
        if not duration_only(state, inputs, parameters):
            return False
        if names is None:
            return True
        provided = {k: v for k, v in (inputs or {}).items() if k in names}
        hashed = getattr(state, "hashed_inputs", None)
        if hashed is not None:
            cached_hashes = {k: v for k, v in hashed.items() if k in names}
            return cached_hashes == hash_inputs(provided)
        cached = {k: v for k, v in _cached_input_values(state).items() if k in names}
        return _same_mapping(provided, cached)

    return _partial_inputs_only
