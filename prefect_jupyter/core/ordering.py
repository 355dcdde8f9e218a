"""Ordering a flow's tasks: a deterministic topological sort, and the message for a cycle.

Kept apart from :class:`~prefect_jupyter.core.flow.Flow`, which only holds the graph: these
functions read its edge maps (task → edges) and insertion order (task → position).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping
from typing import Any

Edges = Mapping[Any, Any]  # task -> set of Edge (upstream or downstream)


def toposort(
    tasks: set[Any], order: Mapping[Any, int], upstream: Edges, downstream: Edges, flow_name: str
) -> tuple[Any, ...]:
    """``tasks`` with every task after its upstream tasks (Kahn's algorithm; ties broken by
    insertion order, so runs are deterministic).

    Raises:
        ValueError: if the tasks have a cycle, naming the tasks on it.
    """
    # Usually the tasks were added after their upstream tasks (the functional API does so):
    # then insertion order is the answer, which is what the sort below would give too
    in_order = True
    for t in tasks:  # plain loops: every first run of a flow sorts it
        position = order[t]
        for e in upstream[t]:
            if order[e.upstream_task] > position and e.upstream_task in tasks:
                in_order = False
                break
        if not in_order:
            break
    if in_order:
        return tuple(sorted(tasks, key=order.__getitem__))
    waiting: dict[Any, int] = {}
    for t in tasks:
        n = 0
        for e in upstream[t]:
            if e.upstream_task in tasks:
                n += 1
        waiting[t] = n
    # Heap entries carry a unique sequence number after the order, so the heap never compares
    # two tasks (Task's ``<`` builds a LessThan task rather than answering).
    seq = itertools.count()
    ready = [(order[t], next(seq), t) for t, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    result: list[Any] = []
    while ready:
        t = heapq.heappop(ready)[2]
        result.append(t)
        for e in downstream[t]:
            d = e.downstream_task
            if d in waiting:
                waiting[d] -= 1
                if waiting[d] == 0:
                    heapq.heappush(ready, (order[d], next(seq), d))
    if len(result) < len(tasks):
        stuck = {t for t, n in waiting.items() if n > 0}
        raise ValueError(describe_cycle(stuck, order, upstream, flow_name))
    return tuple(result)


def describe_cycle(
    stuck: set[Any], order: Mapping[Any, int], upstream: Edges, flow_name: str
) -> str:
    """The error message for a cycle among ``stuck`` (tasks a sort could not place)."""
    # Walk upstream inside the stuck set until a task repeats: that loop is a cycle.
    start = min(stuck, key=order.__getitem__)
    path: list[Any] = []
    seen: dict[Any, int] = {}
    t = start
    while t not in seen:
        seen[t] = len(path)
        path.append(t)
        t = next(e.upstream_task for e in upstream[t] if e.upstream_task in stuck)
    cycle = list(reversed(path[seen[t]:]))
    names = " -> ".join(x.name for x in [*cycle, cycle[0]])
    return (
        f"Cycle found; flows must be acyclic! Flow \"{flow_name}\" has a cycle: {names}. "
        "Remove one of these dependencies."
    )
