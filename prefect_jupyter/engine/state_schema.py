"""States as JSON-ready dicts, and back: the one serialization shared by client and server.

The shape follows Prefect Server 1's: ``type`` (the class name), ``message``, ``context``,
the class's own fields (``start_time``, ``run_count``, ``loop_count``, ``n_map_states``,
``cached_result_expiration``, ``cached_parameters``, ``hashed_inputs``) and ``_result``
describing where the value
lives (``{"type": "LocalResult", "location": "/path"}``). Values themselves are not embedded,
except through a ``PrefectResult``, whose location *is* the JSON value. Messages that are
exceptions become their ``repr``.

Example:
    >>> data = state_to_dict(Retrying("again", run_count=2))
    >>> state_from_dict(data).run_count
    2
"""

from __future__ import annotations

# The conversion lives beside the state classes (State.serialize and State.deserialize use it),
# so that this module depends on state.py and not the other way round.
from prefect_jupyter.engine.state import state_from_dict, state_to_dict

__all__ = ["state_to_dict", "state_from_dict"]
