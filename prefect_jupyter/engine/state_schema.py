"""States as JSON-ready dicts, and back: the one serialization shared by client and server.

The shape follows Prefect Server 1's: ``type`` (the class name), ``message``, ``context``,
the class's own fields (``start_time``, ``run_count``, ``loop_count``, ``n_map_states``,
``cached_result_expiration``, ``cached_parameters``) and ``_result`` describing where the value
lives (``{"type": "LocalResult", "location": "/path"}``). Values themselves are not embedded,
except through a ``PrefectResult``, whose location *is* the JSON value. Messages that are
exceptions become their ``repr``.

Example:
    >>> data = state_to_dict(Retrying("again", run_count=2))
    >>> state_from_dict(data).run_count
    2
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from prefect_jupyter.engine import state as state_module

_FIELDS = ("run_count", "loop_count", "n_map_states", "cached_parameters")
_TIMES = ("start_time", "cached_result_expiration")


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def state_to_dict(state: state_module.State) -> dict[str, Any]:
    """``state`` as a dict of JSON values."""
    data: dict[str, Any] = {
        "type": type(state).__name__,
        "message": state.message if isinstance(state.message, (str, type(None))) else repr(state.message),
        "context": {k: _jsonable(v) for k, v in (state.context or {}).items()},
        "cached_inputs": {},
        "_result": _result_to_dict(state),
    }
    for name in _FIELDS:
        if hasattr(state, name):
            data[name] = _jsonable(getattr(state, name))
    for name in _TIMES:
        if hasattr(state, name):
            value = getattr(state, name)
            data[name] = value.isoformat() if value is not None else None
    return data


def _result_to_dict(state: state_module.State) -> dict[str, Any]:
    obj = state._result_obj
    if obj is None:
        return {"type": "NoResultType", "location": None}
    location = obj.location if isinstance(obj.location, str) else None
    return {"type": type(obj).__name__, "location": location}


def state_from_dict(data: dict[str, Any]) -> state_module.State:
    """The state ``data`` describes (see :func:`state_to_dict`).

    Raises:
        ValueError: if ``type`` names no state class.
    """
    name = data.get("type")
    cls = getattr(state_module, name, None) if isinstance(name, str) else None
    if not (isinstance(cls, type) and issubclass(cls, state_module.State)):
        raise ValueError(
            f"Unknown state type {name!r}; expected one of "
            f"{', '.join(state_module.__all__)}."
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
