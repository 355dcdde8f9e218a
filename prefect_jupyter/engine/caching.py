"""Cached task states kept for the life of the process, keyed by ``cache_key`` or task name.

Prefect 1 kept these in ``context.caches``; so do we, so that a task with ``cache_for`` reuses a
result across runs of the same flow, and across flows when tasks share a ``cache_key``.
"""

from __future__ import annotations

import threading
from typing import Any

from prefect_jupyter.context import context

_lock = threading.Lock()


def _store() -> dict[str, list[Any]]:
    caches = context.get("caches")
    if caches is None:
        caches = context["caches"] = {}
    return caches


def cached_states(key: str) -> list[Any]:
    """The cached states stored under ``key``, oldest first: the order a task tries them in
    (Prefect 1's), so the first still valid one is used."""
    return list(_store().get(key, []))


def remember(key: str, state: Any) -> None:
    """Store a ``Cached`` state under ``key``."""
    with _lock:
        _store().setdefault(key, []).append(state)
