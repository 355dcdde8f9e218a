"""A task run's mapped upstream tasks: a reduce's view of their children, a mapped parent's size.

:class:`MappingSteps` is mixed into :class:`~prefect_jupyter.engine.task_runner.TaskRunner`; its
step ``check_task_ready_to_map`` decides how many children a mapped task has (the ``Mapped``
parent state). :func:`all_upstream` gives the upstream states a task run's checks look at: a
mapped upstream task reached by an unmapped edge (a reduce) counts as all its children.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prefect_jupyter.engine import signals
from prefect_jupyter.engine.state import Failed, Mapped, State

__all__ = ["MappingSteps", "all_upstream"]


def all_upstream(upstream_states: dict) -> Iterable[State]:
    """Upstream states, with unmapped edges from mapped tasks expanded into their children."""
    for state in upstream_states.values():
        if isinstance(state, Mapped):  # rare: then see whether the edge is a reduce
            return _expanded(upstream_states)
    return upstream_states.values()


def _expanded(upstream_states: dict) -> list[State]:
    flat: list[State] = []
    for edge, state in upstream_states.items():
        if isinstance(state, Mapped) and not edge.mapped:
            flat.extend(state.map_states)
        else:
            flat.append(state)
    return flat


class MappingSteps:
    """The mapping step of ``TaskRunner`` (see the module docstring)."""

    handle_state_change: Callable[[State, State], State]

    def check_task_ready_to_map(self, state: State, upstream_states: dict) -> State:
        """Decide the ``Mapped`` parent state: how many children the upstream results give.

        A parent that is ``Mapped`` already (a rerun: retries, a restart) keeps its state, and
        so its children's states; its ``cached_inputs`` are refreshed from upstream.
        """
        if state.is_mapped():
            if not state.map_states and state.n_map_states:
                state.map_states = [None] * state.n_map_states
            state.cached_inputs = {e.key: s._result for e, s in upstream_states.items() if e.key}
            raise signals.ENDRUN(state)
        mapped = [(e, s) for e, s in upstream_states.items() if e.mapped]
        if upstream_states and not any(s.is_successful() for _, s in mapped):
            raise signals.ENDRUN(
                self.handle_state_change(state, Failed("No upstream states can be mapped over."))
            )
        sizes = []
        for _, s in mapped:
            if not s.is_successful():
                continue
            if s.is_mapped():
                sizes.append(s.n_map_states)
            elif isinstance(s.result, Mapping):
                raise signals.ENDRUN(
                    self.handle_state_change(
                        state,
                        Failed(
                            "At least one upstream state has an unmappable result: a dict can't "
                            "be mapped over by position; map over list(d.values()), "
                            "list(d.keys()) or list(d.items()) instead."
                        ),
                    )
                )
            elif not hasattr(s.result, "__getitem__"):
                raise signals.ENDRUN(
                    self.handle_state_change(
                        state, Failed("At least one upstream state has an unmappable result.")
                    )
                )
            else:
                sizes.append(len(s.result))
        new = Mapped("Ready to proceed with mapping.", n_map_states=min(sizes, default=0))
        raise signals.ENDRUN(self.handle_state_change(state, new))
