"""The states a flow run or task run passes through.

States form a small class hierarchy, as in Prefect 1: every ``is_x()`` predicate is an
``isinstance`` check, so ``Retrying().is_pending()`` is true because ``Retrying`` is a kind of
``Scheduled``, which is a kind of ``Pending``. Subclasses only set their colour and extra fields.

A state carries an optional ``message`` and a ``result``. The result value is stored plainly and
wrapped in a :class:`~prefect_jupyter.engine.result.Result` only when someone asks for
``state._result`` — the engine creates several states per task run, and most never need the
wrapper (see :mod:`.state_result`, whose ``ResultCarrier`` is ``State``'s value-carrying half).

Example:
    >>> from prefect_jupyter.engine.state import Success, Retrying
    >>> Success("done", result=42).result
    42
    >>> Retrying().is_pending()
    True
"""

from __future__ import annotations

import datetime
import functools
import json
import sys
from typing import Any

from prefect_jupyter.context import context as _run_context

# ``_result_class`` (the task runner's) and ``_NOTHING`` (named by older pickles) stay importable
# from this module
from prefect_jupyter.engine import state_result as _state_result
from prefect_jupyter.engine.state_result import (
    _NOTHING,
    ResultCarrier,
    _result_class,
)

__all__ = [
    "State",
    "Pending",
    "Paused",
    "Scheduled",
    "Resume",
    "Retrying",
    "Submitted",
    "Queued",
    "ClientFailed",
    "Running",
    "Cancelling",
    "Finished",
    "Success",
    "Cached",
    "Mapped",
    "Skipped",
    "Looped",
    "Failed",
    "TimedOut",
    "TriggerFailed",
    "ValidationFailed",
    "Cancelled",
]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _aware(when: datetime.datetime | None) -> datetime.datetime | None:
    """A time without a time zone is taken as UTC (as Prefect 1 does), so it compares with now."""
    if when is not None and when.tzinfo is None:
        return when.replace(tzinfo=datetime.UTC)
    return when


class State(ResultCarrier):
    """The base state: a message, a result and the context it was created in.

    Args:
        message: a human-readable message; an exception is also accepted and kept as is.
        result: the value this state carries, or a ``Result`` object wrapping it.
        context: extra data (e.g. ``task_tags``) recorded with the state.
        cached_inputs: the inputs (name -> ``Result``) a task received, kept for reruns.
    """

    color = "#696969"

    # __slots__ would make states slightly faster, but Prefect 1 users attach attributes to
    # states in state handlers; keep the plain __dict__.

    def __init__(
        self,
        message: str | Exception | None = None,
        result: Any = None,
        context: dict | None = None,
        cached_inputs: dict | None = None,
    ) -> None:
        self.message = message
        self._result_obj = None
        if result is None:
            self._result_value = _NOTHING
        elif isinstance(result, _state_result._RESULT_CLASS or _result_class()):
            self._result_obj, self._result_value = result, _NOTHING  # a Result object, kept
        else:
            self._result_value = result  # a plain value: wrapped only if asked (see _result)
        self.context = context if context is not None else {}
        self.cached_inputs = cached_inputs if cached_inputs is not None else {}
        tags = _run_context.__dict__.get("task_tags")
        if tags is not None:  # a state made in a task run records the task's tags, as in Prefect 1
            self.context.setdefault("tags", list(tags))

    def __sizeof__(self) -> int:
        # what Dask counts when it weighs a state: the object and the value it carries
        return super().__sizeof__() + sys.getsizeof(self.result, 0)

    # -- comparison and display -------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        # As in Prefect 1: the type, the result and the data fields count; message and context
        # do not (so a flow's ``Success("Task run succeeded.", result=1) == Success(result=1)``).
        if type(self) is not type(other):
            return False
        assert isinstance(other, State)
        if not self.result == other.result:
            return False
        return all(
            value == getattr(other, attr, _NOTHING)
            for attr, value in self.__dict__.items()
            if not attr.startswith("_") and attr not in ("message", "context")
        )

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        if self.message:
            return f'<{type(self).__name__}: "{self.message}">'
        return f"<{type(self).__name__}>"

    # -- hierarchy ----------------------------------------------------------------------------
    @classmethod
    def children(cls, include_self: bool = False, names_only: bool = False) -> list:
        """Every subclass of this state, recursively (sorted by name; private ones hidden)."""
        found: set[type] = set()
        todo = list(cls.__subclasses__())
        while todo:
            sub = todo.pop()
            if sub not in found:
                found.add(sub)
                todo.extend(sub.__subclasses__())
        ordered = sorted((c for c in found if not c.__name__.startswith("_")), key=lambda c: c.__name__)
        if include_self:
            ordered.append(cls)
        return [c.__name__ for c in ordered] if names_only else ordered

    @classmethod
    def parents(cls, include_self: bool = False, names_only: bool = False) -> list:
        """Every state class this one derives from, nearest first."""
        ordered = [c for c in cls.__mro__[1:] if issubclass(c, State) and not c.__name__.startswith("_")]
        if include_self:
            ordered.append(cls)
        return [c.__name__ for c in ordered] if names_only else ordered

    # -- predicates (all isinstance checks) --------------------------------------------------
    def is_pending(self) -> bool:
        return isinstance(self, Pending)

    def is_scheduled(self) -> bool:
        return isinstance(self, (Scheduled, Queued))

    def is_queued(self) -> bool:
        return isinstance(self, Queued)

    def is_submitted(self) -> bool:
        return isinstance(self, Submitted)

    def is_running(self) -> bool:
        return isinstance(self, Running)

    def is_cancelling(self) -> bool:
        return isinstance(self, Cancelling)

    def is_finished(self) -> bool:
        return isinstance(self, Finished)

    def is_successful(self) -> bool:
        return isinstance(self, Success)

    def is_cached(self) -> bool:
        return isinstance(self, Cached)

    def is_mapped(self) -> bool:
        return isinstance(self, Mapped)

    def is_skipped(self) -> bool:
        return isinstance(self, Skipped)

    def is_looped(self) -> bool:
        return isinstance(self, Looped)

    def is_failed(self) -> bool:
        return isinstance(self, Failed)

    def is_retrying(self) -> bool:
        return isinstance(self, Retrying)

    def is_paused(self) -> bool:
        return isinstance(self, Paused)

    def is_meta_state(self) -> bool:
        return isinstance(self, _MetaState)

    # -- serialization -------------------------------------------------------------------------
    def serialize(self) -> dict:
        """This state as JSON-ready data (see :mod:`prefect_jupyter.engine.state_schema`)."""
        return state_to_dict(self)

    @staticmethod
    def deserialize(data: dict) -> State:
        """The state described by ``data`` (the output of :meth:`serialize`)."""
        return state_from_dict(data)


class _MetaState(State):
    """A state that wraps another state (``Submitted``, ``Queued``, ``ClientFailed``)."""

    def __init__(
        self,
        message: str | Exception | None = None,
        result: Any = None,
        state: State | None = None,
        context: dict | None = None,
        cached_inputs: dict | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.state = state


# -- pending ---------------------------------------------------------------------------------
class Pending(State):
    """The run has not started yet."""

    color = "#7ebdff"


class Scheduled(Pending):
    """The run is due at ``start_time`` (now when not given)."""

    color = "#ffab00"

    def __init__(
        self,
        message: str | Exception | None = None,
        result: Any = None,
        start_time: datetime.datetime | None = None,
        cached_inputs: dict | None = None,
        context: dict | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.start_time = _aware(start_time) if start_time is not None else _now()
        run_count = _run_context.__dict__.get("task_run_count")
        if run_count is not None:  # carried to the next run (e.g. of a retry), as in Prefect 1
            self.context["task_run_count"] = run_count


class Paused(Scheduled):
    """The run waits for approval (``manual_only`` trigger or a ``PAUSE`` signal) — without a
    ``start_time`` until it is given, or until ``start_time`` if one is set."""

    color = "#99a8e8"

    def __init__(
        self,
        message: str | Exception | None = None,
        result: Any = None,
        start_time: datetime.datetime | None = None,
        cached_inputs: dict | None = None,
        context: dict | None = None,
    ) -> None:
        super().__init__(message, result, start_time, cached_inputs, context)
        self.start_time = _aware(start_time)


class Resume(Scheduled):
    """A paused run was approved and may start."""

    color = "#f58c0c"


class Retrying(Scheduled):
    """The run failed and will be tried again at ``start_time``; ``run_count`` runs so far."""

    color = "#f66a0a"

    def __init__(
        self,
        message: str | Exception | None = None,
        result: Any = None,
        start_time: datetime.datetime | None = None,
        cached_inputs: dict | None = None,
        context: dict | None = None,
        run_count: int | None = None,
    ) -> None:
        super().__init__(message, result, start_time, cached_inputs, context)
        if run_count is None:
            from prefect_jupyter import context as ctx

            run_count = int(ctx.get("task_run_count", 1))
        self.run_count = run_count


class Submitted(_MetaState):
    """The run was handed to an executor; ``state`` is the state it had before."""

    color = "#ffdf5d"


class Queued(_MetaState):
    """The run waits for a concurrency slot until ``start_time``."""

    color = "#ffea7f"

    def __init__(
        self,
        message: str | Exception | None = None,
        result: Any = None,
        state: State | None = None,
        start_time: datetime.datetime | None = None,
        context: dict | None = None,
        cached_inputs: dict | None = None,
    ) -> None:
        super().__init__(message, result, state, context, cached_inputs)
        self.start_time = _aware(start_time) if start_time is not None else _now()


class ClientFailed(_MetaState):
    """Setting ``state`` through the API failed."""

    color = "#eb0000"


# -- running ---------------------------------------------------------------------------------
class Running(State):
    """The run is in progress."""

    color = "#3d67ff"


class Cancelling(Running):
    """The run was asked to stop and is stopping."""

    color = "#E8E8E8"


# -- finished --------------------------------------------------------------------------------
class Finished(State):
    """The run ended."""

    color = "#003ccb"


class Success(Finished):
    """The run ended well."""

    color = "#28a745"


class Cached(Success):
    """The result came from the cache (or an existing target) instead of running the task.

    Args:
        cached_parameters: the flow parameters when the value was cached.
        cached_result_expiration: when the cached value stops being valid (``None``: never).
        hashed_inputs: input hashes, kept for compatibility with Prefect 1.
    """

    color = "#34d058"

    def __init__(
        self,
        message: str | Exception | None = None,
        result: Any = None,
        cached_inputs: dict | None = None,
        cached_parameters: dict | None = None,
        cached_result_expiration: datetime.datetime | None = None,
        context: dict | None = None,
        hashed_inputs: dict | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.cached_parameters = cached_parameters
        self.cached_result_expiration = cached_result_expiration
        self.hashed_inputs = hashed_inputs


class Mapped(Success):
    """A mapped task: it ran as ``n_map_states`` children whose states are ``map_states``."""

    color = "#003ccb"

    def __init__(
        self,
        message: str | Exception | None = None,
        result: Any = None,
        map_states: list[State] | None = None,
        context: dict | None = None,
        cached_inputs: dict | None = None,
        n_map_states: int | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        self.map_states = map_states if map_states is not None else []
        self._n_map_states = n_map_states

    @property
    def n_map_states(self) -> int:
        """How many children this mapped task has."""
        return max(len(self.map_states), self._n_map_states or 0)

    @n_map_states.setter
    def n_map_states(self, value: int) -> None:
        self._n_map_states = value

    @property
    def result(self) -> Any:  # type: ignore[override]
        """The children's results, in map order (an explicitly set result wins)."""
        if self.has_result:
            return State.result.fget(self)  # type: ignore[attr-defined]
        return [s.result for s in self.map_states if s is not None]

    @result.setter
    def result(self, value: Any) -> None:
        self._result = value


class Skipped(Success):
    """The task did not run (skip signal, skipped upstream, or a false ``case``)."""

    color = "#62757f"


class Looped(Finished):
    """One iteration of a looping task ended; ``loop_count`` iterations so far."""

    color = "#003ccb"

    def __init__(
        self,
        message: str | Exception | None = None,
        result: Any = None,
        loop_count: int | None = None,
        context: dict | None = None,
        cached_inputs: dict | None = None,
    ) -> None:
        super().__init__(message, result, context, cached_inputs)
        if loop_count is None:
            from prefect_jupyter import context as ctx

            loop_count = ctx.get("task_loop_count") or 1
        self.loop_count = loop_count


class Failed(Finished):
    """The run ended badly; ``result`` usually holds the exception."""

    color = "#eb0000"


class TimedOut(Failed):
    """The task ran longer than its ``timeout``."""

    color = "#ff4e33"


class TriggerFailed(Failed):
    """The task's trigger did not pass, so it did not run."""

    color = "#ff5131"


class ValidationFailed(Failed):
    """The task's result did not pass validation."""

    color = "#ff5131"


class Cancelled(Finished):
    """The run was stopped before it ended."""

    color = "#bdbdbd"


# -- JSON form (shared by client and server; see prefect_jupyter.engine.state_schema) -----
_FIELDS = ("run_count", "loop_count", "n_map_states", "cached_parameters", "hashed_inputs")
_TIMES = ("start_time", "cached_result_expiration")


_PLAIN = frozenset((str, int, float, bool, type(None)))


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:  # most fields of most states: no encoding needed to know
        return value
    if (kind is list or kind is dict) and not value:  # e.g. a task's tags: []
        return value
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def state_to_dict(state: State) -> dict[str, Any]:
    """``state`` as a dict of JSON values (the shape is described in :mod:`.state_schema`)."""
    data: dict[str, Any] = {
        "type": type(state).__name__,
        "message": state.message if isinstance(state.message, (str, type(None))) else repr(state.message),
        "context": {k: _jsonable(v) for k, v in (state.context or {}).items()},
        "cached_inputs": {},
        "_result": _result_to_dict(state),
    }
    # hasattr, without the AttributeError it raises inside for each name most states lack
    own, on_class = state.__dict__, _class_fields(type(state))
    for name in _FIELDS:
        if name in own or (name in on_class and hasattr(state, name)):
            data[name] = _jsonable(getattr(state, name))
    for name in _TIMES:
        if name in own or (name in on_class and hasattr(state, name)):
            value = getattr(state, name)
            data[name] = value.isoformat() if value is not None else None
    return data


@functools.cache
def _class_fields(cls: type) -> frozenset[str]:
    """The optional fields a state class has as class attributes (e.g. a property)."""
    return frozenset(name for name in (*_FIELDS, *_TIMES) if hasattr(cls, name))


def _result_to_dict(state: State) -> dict[str, Any]:
    obj = state._result_obj
    if obj is None:
        return {"type": "NoResultType", "location": None}
    location = obj.location if isinstance(obj.location, str) else None
    return {"type": type(obj).__name__, "location": location}


def state_from_dict(data: dict[str, Any]) -> State:
    """The state ``data`` describes (see :func:`state_to_dict`).

    Raises:
        ValueError: if ``type`` names no state class.
    """
    name = data.get("type")
    cls = globals().get(name) if isinstance(name, str) else None
    if not (isinstance(cls, type) and issubclass(cls, State)):
        raise ValueError(
            f"Unknown state type {name!r}; expected one of "
            f"{', '.join(__all__)}."
        )
    new = cls(message=data.get("message"), context=dict(data.get("context") or {}))
    for name in _FIELDS:
        if name in data and hasattr(new, name):
            setattr(new, name, data[name])
    for name in _TIMES:
        if name in data and hasattr(new, name):
            raw = data[name]
            setattr(new, name, datetime.datetime.fromisoformat(raw) if raw else None)
    result = data.get("_result") or {}
    if result.get("type") == "PrefectResult" and result.get("location") is not None:
        from prefect_jupyter.engine.results import PrefectResult

        new._result = PrefectResult().read(result["location"])
    elif result.get("location"):
        from prefect_jupyter.engine.result import Result

        new._result = Result(location=result["location"])
    return new
