"""The `Result` base class: a value, where it is (or will be) stored, and how to encode it.

Every task output travels through the engine wrapped in a `Result`. The base class keeps the
value in memory only; subclasses in `prefect_jupyter.engine.results` add storage by
implementing `read`, `write` and `exists`. `read` and `write` never change the result they are
called on: they return a new `Result` whose ``location`` is concrete and whose ``value`` is set.

A ``location`` may be a template such as ``"{flow_run_name}/{task_name}-{map_index}.pkl"``
(filled with `str.format` from the keyword arguments given to `format`/`write`, normally the
run context) or a callable ``location(**kwargs) -> str`` for naming logic `str.format` cannot
express.

`NoResult` marks "this state carries no result at all", as opposed to a result whose value is
``None``.
"""

from __future__ import annotations

import copy
import datetime
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from prefect_jupyter.engine.serializers import PickleSerializer, Serializer

__all__ = [
    "LocationError",
    "NoResult",
    "NoResultType",
    "Result",
    "ResultNotImplementedError",
    "render_location",
]

LocationTemplate = str | Callable[..., str]
Validator = Callable[["Result"], bool]


class ResultNotImplementedError(NotImplementedError):
    """A storage operation was called on a `Result` type that has no storage.

    The task runner catches this to fall back to keeping the value in memory.
    """


class LocationError(KeyError, ValueError):
    """A location template could not be filled from the given keyword arguments.

    Subclasses `KeyError` and `ValueError` because those are what `str.format` raises for a
    missing name or bad braces, so code written against Prefect 1 that catches them still works.
    """

    def __str__(self) -> str:
        # KeyError quotes its message; this one is a sentence meant for people.
        return str(self.args[0]) if self.args else ""


def render_location(template: LocationTemplate, **kwargs: Any) -> str:
    """Fill a location template from keyword arguments.

    Args:
        template: a `str.format` template, or a callable returning the location.
        **kwargs: the values to fill in (normally the run context, parameters and inputs).

    Returns:
        The concrete location.

    Raises:
        LocationError: the template names a field that ``kwargs`` does not provide.

    Example:
        >>> render_location("{task_name}/{map_index}.pkl", task_name="load", map_index=3)
        'load/3.pkl'
    """
    if callable(template):
        return os.fspath(template(**kwargs))
    try:
        return template.format(**kwargs)
    except (KeyError, IndexError, ValueError) as exc:
        raise LocationError(
            f"Result location {template!r} {_describe_format_error(exc, kwargs)}, or write "
            "literal braces as '{{' and '}}'."
        ) from exc


def _describe_format_error(exc: Exception, kwargs: dict[str, Any]) -> str:
    if isinstance(exc, KeyError):
        available = ", ".join(sorted(kwargs)) or "none"
        return (
            f"uses {{{exc.args[0]}}}, which was not provided (available: {available}). "
            "Use one of the available names"
        )
    if isinstance(exc, IndexError):
        return "has a positional field such as {} or {0}. Name every field, e.g. {task_name}"
    return f"is not a valid format string ({exc}). Check the braces"


def _values_equal(left: Any, right: Any) -> bool:
    if left is right:
        return True
    try:
        return bool(left == right)
    except (ValueError, TypeError):
        # Array-like values (numpy, pandas) compare element-wise and refuse bool(); treat them
        # as different rather than failing a state comparison.
        return False


class Result:
    """A task output: its value, its (possibly templated) location and its serializer.

    The base class stores nothing: `read`, `write` and `exists` raise
    `ResultNotImplementedError`. Use a subclass such as `LocalResult` to persist values.

    Args:
        value: the value held by this result.
        location: where the value is stored; a `str.format` template, a callable
            ``location(**kwargs) -> str``, or ``None`` for `default_location`.
        serializer: turns the value into bytes and back; defaults to `PickleSerializer`.
        validators: callables ``validator(result) -> bool`` that `validate` runs.
            (An extension: Prefect 0.x had them, Prefect 1.4 dropped them.)
        run_validators: whether the engine should call `validate` on this result.

    Example:
        >>> r = Result(location="{task_name}-{map_index}.pkl")
        >>> r.format(task_name="double", map_index=2).location
        'double-2.pkl'
        >>> r.location  # the template itself is left untouched
        '{task_name}-{map_index}.pkl'
    """

    def __init__(
        self,
        value: Any = None,
        location: LocationTemplate | os.PathLike[str] | None = None,
        serializer: Serializer | None = None,
        validators: Iterable[Validator] | None = None,
        run_validators: bool = True,
    ) -> None:
        self.value = value
        self.serializer = serializer if serializer is not None else PickleSerializer()
        self._location: str | None = None
        self._formatter: Callable[..., str] | None = None
        if not (location is None or isinstance(location, str | os.PathLike) or callable(location)):
            raise TypeError(
                f"Result location must be a string, a callable returning a string, or None; "
                f"got {type(location).__name__}. Give a template such as "
                f"'{{task_name}}-{{map_index}}.pkl', or a function of those fields."
            )
        self.location = location  # type: ignore[assignment]
        self.validators: list[Validator] = list(validators or [])
        self.run_validators = run_validators

    # -- location ------------------------------------------------------------------------------
    @property
    def location(self) -> str | None:
        """The location string (possibly a template), or ``None``.

        Assigning a callable makes it the location formatter: ``location`` then reads ``None``
        until `format` calls it. Assigning ``None`` removes any template or formatter. Any
        other value is kept as it is, a concrete location: a subclass's ``write`` may name
        where it stored a value with an index or a key (as in Prefect 1); only the constructor
        checks what a user gives.
        """
        return self._location

    @location.setter
    def location(self, value: LocationTemplate | os.PathLike[str] | None) -> None:
        if value is None:
            self._location = None
            self._formatter = None
        elif isinstance(value, str | os.PathLike):
            self._location = os.fspath(value)
            self._formatter = None
        elif callable(value):
            self._location = None
            self._formatter = value
        else:
            self._location = value
            self._formatter = None

    @property
    def default_location(self) -> str:
        """A fresh location used when no location was given: ``YYYY/M/D/<uuid>.prefect_result``."""
        today = datetime.datetime.now(datetime.UTC)
        return f"{today.year}/{today.month}/{today.day}/{uuid.uuid4()}.prefect_result"

    def format(self, **kwargs: Any) -> Result:
        """Return a copy whose location is concrete.

        A string location is filled with ``str.format(**kwargs)``, a callable location is
        called with ``**kwargs``, and a missing location becomes `default_location`.

        Args:
            **kwargs: values for the template, e.g. ``task_name``, ``map_index``,
                ``flow_run_name``, ``today``, parameters and task inputs.

        Returns:
            A new result with the concrete location.

        Raises:
            LocationError: the template names a field missing from ``kwargs``.
        """
        new = self.copy()
        if isinstance(self._location, str):
            new._location = render_location(self._location, **kwargs)
        elif self._location is not None:  # a subclass's own kind of location: nothing to fill
            pass
        elif self._formatter is not None:
            # Keep the formatter: a copy that is formatted again gets a fresh name from it.
            new._location = render_location(self._formatter, **kwargs)
        else:
            new._location = self.default_location
        return new

    # -- construction helpers ------------------------------------------------------------------
    def copy(self) -> Result:
        """Return a shallow copy (the value itself is shared, not copied)."""
        new = copy.copy(self)
        new.validators = list(self.validators)
        return new

    def from_value(self, value: Any) -> Result:
        """Return a copy holding ``value`` and no concrete location.

        A callable location (a task's callable ``target``) is kept, so the copy can still be
        formatted and written later.

        Args:
            value: the value for the new result.

        Returns:
            The new result.
        """
        new = self.copy()
        new._location = None
        new.value = value
        return new

    # -- validation ----------------------------------------------------------------------------
    def validate(self) -> bool:
        """Run every validator on this result.

        Returns:
            ``True`` when all validators return a truthy value (or there are none).
        """
        return all(validator(self) for validator in self.validators)

    # -- storage -------------------------------------------------------------------------------
    def exists(self, location: str, **kwargs: Any) -> bool:
        """Whether a stored value exists at ``location`` (formatted with ``kwargs``).

        Args:
            location: a location or location template.
            **kwargs: values for the template.

        Returns:
            Whether a value is stored there.
        """
        raise ResultNotImplementedError(self._no_storage_message("exists"))

    def read(self, location: str) -> Result:
        """Load the value stored at ``location``.

        Args:
            location: a concrete location (as found on a written result).

        Returns:
            A new result with ``value`` loaded and ``location`` set.
        """
        raise ResultNotImplementedError(self._no_storage_message("read"))

    def write(self, value_: Any, **kwargs: Any) -> Result:
        """Store ``value_`` at this result's location formatted with ``kwargs``.

        The argument is called ``value_`` so that ``value`` can be one of the ``kwargs``.

        Args:
            value_: the value to store.
            **kwargs: values for the location template.

        Returns:
            A new result with ``value`` and the concrete ``location`` set.
        """
        raise ResultNotImplementedError(self._no_storage_message("write"))

    def _no_storage_message(self, operation: str) -> str:
        return (
            f"{type(self).__name__}.{operation}() is not available: {type(self).__name__} keeps "
            "values in memory only. Use a Result with storage, e.g. "
            "prefect_jupyter.engine.results.LocalResult(dir=...) or PrefectResult()."
        )

    # -- comparison and display ----------------------------------------------------------------
    def _identity(self) -> dict[str, Any]:
        """The attributes that make two results of the same type equal."""
        return {"value": self.value, "location": self.location, "serializer": self.serializer}

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return False
        mine, theirs = self._identity(), other._identity()  # type: ignore[attr-defined]
        return all(_values_equal(mine[key], theirs[key]) for key in mine)

    __hash__ = None  # type: ignore[assignment]  # results hold arbitrary, mutable values

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.value!r}>"

    @property
    def logger(self) -> logging.Logger:
        """The logger for this result type (``prefect_jupyter.<ClassName>``)."""
        # A property rather than an attribute so results pickle and compare without it.
        return logging.getLogger(f"prefect_jupyter.{type(self).__name__}")


class NoResultType(Result):
    """The type of `NoResult`: a state that carries no result, not even ``None``."""

    def __repr__(self) -> str:
        return "NoResult"


NoResult = NoResultType()
