"""Cached task states kept for the life of the process, keyed by ``cache_key`` or task name.

Prefect 1 kept these in ``context.caches``; so do we, so that a task with ``cache_for`` reuses a
result across runs of the same flow, and across flows when tasks share a ``cache_key``.
``flow.run()`` adds each run's cached states (``engine.flow_run``); a run an agent executes
starts with the server's (``backend.server_caches``).
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.context import context


def _store() -> dict[str, list[Any]]:
    caches = context.get("caches")
    if caches is None:
        caches = context["caches"] = {}
    return caches


def cached_states(key: str) -> list[Any]:
    """The cached states stored under ``key``, in the order a task tries them (Prefect 1's):
    ``flow.run()``'s oldest first, the server's newest first; the first valid one is used."""
    return list(_store().get(key, []))
