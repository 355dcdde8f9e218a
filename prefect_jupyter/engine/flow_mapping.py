"""How a flow run's mapped tasks get their children's inputs: element ``i`` of each mapped upstream,
and Prefect 1's ``flatten`` of upstream results (used by :class:`~prefect_jupyter.engine.flow_runner.FlowRunner`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prefect_jupyter.engine.state import Mapped, State, Success

__all__ = ["child_upstream_states", "flattened", "flattened_children"]


def flattened(state: State) -> State:
    """A copy of a successful state whose list-of-lists result is flattened one level.

    A result that is not a list of lists is passed on as it is (as in Prefect 1).
    """
    if not state.is_successful() or state.is_mapped():
        return state
    try:
        flat = [item for part in state.result for item in part]
    except TypeError:
        return state
    return Success(message=state.message, result=flat)


def flattened_children(children: list, logger: Any) -> list:
    """Each successful child's result split into one state per element (others kept whole;
    a successful child whose result is not a sequence is passed on with a warning, as in Prefect 1).
    """
    flat: list = []
    for child in children:
        if not child.is_successful() or child.is_skipped():
            flat.append(child)
            continue
        value = child.result
        if hasattr(value, "__len__") and hasattr(value, "__getitem__"):
            flat.extend(Success(message=child.message, result=item) for item in value)
        else:
            logger.warning(
                "`flatten` was used on upstream task that did not return an iterable. "
                "The value will be passed downstream unmodified."
            )
            flat.append(child)
    return flat


def child_upstream_states(parent: Mapped, upstream_states: dict, mapped_children: dict) -> Iterator[dict]:
    """For each mapped child in turn, its upstream states: element ``i`` of each mapped upstream.

    Made one child at a time, so that a map over 100,000 items never holds every child's
    upstream states at once.
    """
    # per edge: a list of states to index, a result to index, or one state for every child
    sources: list[tuple[Any, int, Any]] = []
    for edge, s in upstream_states.items():
        if not edge.mapped:
            sources.append((edge, _SAME, s))
        elif isinstance(s, Mapped):
            elements = s.map_states if edge.flattened else (
                mapped_children.get(edge.upstream_task) or s.map_states
            )
            sources.append((edge, _STATES, elements))
        elif s.is_successful() and s.result is None:
            # no result to index: a rerun whose parent is already Mapped (its children's count
            # comes from its map_states) while the upstream's result is not here; each child gets
            # a Success without a result, as in Prefect 1
            sources.append((edge, _SAME, Success(message=s.message)))
        elif s.is_successful():
            sources.append((edge, _RESULTS, s))
        else:
            sources.append((edge, _SAME, s))
    for i in range(parent.n_map_states):
        child: dict = {}
        for edge, kind, source in sources:
            if kind == _STATES:
                child[edge] = source[i]
            elif kind == _RESULTS:
                child[edge] = Success(result=source.result[i], message=source.message)
            else:
                child[edge] = source
        yield child


_SAME, _STATES, _RESULTS = 0, 1, 2  # how a child gets an edge's state (see child_upstream_states)
