"""The graph model: a flow (and optionally a run's states) as one plain, JSON-able dict.

graphviz output (:func:`prefect_jupyter.viz.visualize`), the notebook widget, the web UI and the
labextension all draw this one model. Its shape::

    {
      "flow": "my-flow",
      "nodes": [
        {"id": "inc-1", "name": "inc", "kind": "mapped",
         "state": "Mapped", "color": "#003ccb", "message": "...",
         "counts": {"Failed": 1, "Success": 9}, "n_children": 10,
         "x": 12.0, "y": 80.0, "w": 70.0, "h": 44.0},
        ...
      ],
      "edges": [
        {"source": "p", "target": "inc-1", "key": "x", "mapped": true, "flattened": false,
         "points": [[47.0, 44.0], ...]},
        ...
      ],
      "layout": {"width": 300.0, "height": 200.0, "engine": "dot"}
    }

* ``id`` is the task's slug in the flow (``flow.slugs[task]``). Constants that the flow folded
  into ``flow.constants`` become small ``"constant"`` nodes with the id ``"<slug>.<key>"`` (the
  task and argument they feed) and their value's short ``repr`` as ``name``.
* ``kind`` is ``"parameter"``, ``"constant"``, ``"mapped"`` (a task with a mapped upstream edge,
  or whose state is ``Mapped``) or ``"task"``. A mapped task is one node: ``counts`` counts its
  children's states by state name and ``n_children`` is how many children it has. Other kinds
  have ``counts`` and ``n_children`` set to ``None``. While any child of a ``Mapped`` node is
  not finished, the node's ``state``/``color`` read ``Running`` (the task as a whole is still
  running); once every child has finished they are ``Mapped``'s.
* ``state``/``color``/``message`` are the state's class name, colour and message, or ``None``
  when there is no state (no run, or the task did not run).
* Layout fields (``x, y, w, h`` on nodes, ``points`` on edges, and ``layout``) are described in
  :mod:`prefect_jupyter.viz.layout`; with ``layout=False`` they are left out and ``layout`` is
  ``None``.

Nodes are sorted by id in natural order (``inc-2`` before ``inc-10``: numbers in ids compare as
numbers, so a layout's columns come out in that order) and edges by (source, target, key), so the
model of a flow is the same on every call and can be compared or diffed.

Example:
    >>> from prefect_jupyter.viz import graph_model, state_update
    >>> model = graph_model(flow)                 # draw once
    >>> state = flow.run()
    >>> state_update(flow, state)["inc-1"]        # then send only the states
    {'state': 'Mapped', 'color': '#003ccb', 'message': '...', 'counts': {...}, 'n_children': 3}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from prefect_jupyter.core.flow import Flow
from prefect_jupyter.core.parameter import Parameter
from prefect_jupyter.core.task import Task
from prefect_jupyter.engine.state import Mapped, Running, State

__all__ = ["graph_model", "state_update", "node_state", "state_colors", "task_states"]

_DIGITS = re.compile(r"(\d+)")

#: how many characters of a constant's ``repr`` a node shows
CONSTANT_REPR_CHARS = 20

# node sizes in px (points for graphviz): wide enough for a 12px sans-serif label; mapped nodes
# have a second line for the children's counts. Sizes depend only on the flow's structure, so the
# layout never changes while a flow runs.
_CHAR_W = 7.0
_TASK_H = 32.0
_MAPPED_H = 44.0
_CONSTANT_H = 22.0
_MIN_W, _MAX_W = 48.0, 260.0


def graph_model(flow: Flow, flow_state: Any = None, layout: bool | str = True) -> dict[str, Any]:
    """The JSON-able graph model of ``flow``, coloured by ``flow_state`` when given.

    Args:
        flow: the flow to describe.
        flow_state: the flow run's final ``State`` (its ``result`` maps tasks to task states), or
            a mapping of tasks to states (e.g. gathered from state events while a flow runs).
        layout: ``True`` to add positions (graphviz ``dot`` when installed, else a pure-Python
            layered layout), ``"dot"`` or ``"layered"`` to pick the engine, ``False`` for none.

    Returns:
        ``{"flow", "nodes", "edges", "layout"}`` as described in :mod:`prefect_jupyter.viz.model`.

    Raises:
        ValueError: for an unknown ``layout`` engine, or ``"dot"`` when graphviz is not installed.
    """
    states = task_states(flow_state)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    mapped_tasks = {e.downstream_task for e in flow.edges if e.mapped}
    slugs = flow.slugs
    for task in flow.tasks:
        state = states.get(task)
        kind = _kind(task, task in mapped_tasks or isinstance(state, Mapped))
        node = {"id": slugs[task], "name": str(task.name), "kind": kind, **node_state(state, kind)}
        node["w"], node["h"] = _size(node["name"], kind)
        nodes.append(node)
    for e in flow.edges:
        edges.append(
            {
                "source": slugs[e.upstream_task],
                "target": slugs[e.downstream_task],
                "key": e.key,
                "mapped": bool(e.mapped),
                "flattened": bool(e.flattened),
            }
        )
    _add_constants(flow, nodes, edges)
    nodes.sort(key=lambda n: natural_key(n["id"]))
    edges.sort(key=_edge_sort_key)
    model: dict[str, Any] = {"flow": flow.name, "nodes": nodes, "edges": edges, "layout": None}
    if layout:
        from prefect_jupyter.viz.layout import apply_layout

        apply_layout(model, engine=None if layout is True else str(layout))
    else:
        for node in nodes:
            del node["w"], node["h"]
    return model


def state_update(flow: Flow, flow_state: Any) -> dict[str, dict[str, Any]]:
    """Just the states of ``flow``'s task nodes, by node id.

    Each value is ``{"state", "color", "message", "counts", "n_children"}`` as in the nodes of
    :func:`graph_model`. Cheap to compute and small to send: a live view sends :func:`graph_model` once, then this
    after each change. Tasks without a state get ``None`` fields, so an update is always complete.
    """
    states = task_states(flow_state)
    mapped_tasks = {e.downstream_task for e in flow.edges if e.mapped}
    update = {}
    for task, slug in flow.slugs.items():
        state = states.get(task)
        kind = _kind(task, task in mapped_tasks or isinstance(state, Mapped))
        update[slug] = node_state(state, kind)
    return dict(sorted(update.items()))


def node_state(state: State | None, kind: str = "task") -> dict[str, Any]:
    """The state fields of one node: ``{"state", "color", "message", "counts", "n_children"}``.

    ``counts`` and ``n_children`` are set only for ``kind == "mapped"`` (``{}`` and ``0`` until the
    task has mapped), and are ``None`` otherwise. A ``Mapped`` state with children that have not
    finished (or have no state yet) shows as ``Running``, with ``Running``'s colour: the parent
    becomes ``Mapped`` as soon as it spawns its children, but the task is done only when they are.
    """
    fields: dict[str, Any] = {
        "state": None if state is None else type(state).__name__,
        "color": None if state is None else state.color,
        "message": None if state is None or state.message is None else str(state.message),
        "counts": None,
        "n_children": None,
    }
    if kind == "mapped":
        children = state.map_states if isinstance(state, Mapped) else []
        counts: dict[str, int] = {}
        for child in children:
            if child is not None:
                name = type(child).__name__
                counts[name] = counts.get(name, 0) + 1
        fields["counts"] = dict(sorted(counts.items()))
        fields["n_children"] = state.n_map_states if isinstance(state, Mapped) else 0
        finished = sum(1 for c in children if c is not None and c.is_finished())
        if isinstance(state, Mapped) and finished < state.n_map_states:
            fields.update(state=Running.__name__, color=Running.color)
    return fields


def state_colors() -> dict[str, str]:
    """Every state class's name mapped to its colour (6-digit hex), e.g. for a stylesheet."""
    from prefect_jupyter.engine import state as state_module

    colors = {}
    for name in state_module.__all__:
        cls = getattr(state_module, name)
        colors[name] = cls.color
    return dict(sorted(colors.items()))


def task_states(flow_state: Any) -> dict[Task, State]:
    """The task states in ``flow_state``: a flow ``State`` whose result maps tasks to states, a
    mapping of tasks to states, or ``None`` (no states)."""
    if flow_state is None:
        return {}
    if isinstance(flow_state, State):
        flow_state = flow_state.result
        if not isinstance(flow_state, Mapping):  # e.g. the flow failed before any task ran
            return {}
    if not isinstance(flow_state, Mapping):
        raise TypeError(
            "flow_state should be a flow run's State (as returned by flow.run()) or a dict of "
            f"tasks to states, got {type(flow_state).__name__}."
        )
    return {t: s for t, s in flow_state.items() if isinstance(s, State)}


#: what is shown instead of a secret task's value (its result is a ``SecretResult``)
SECRET_REPR = "<secret: hidden>"


def holds_secret(state: State) -> bool:
    """Whether ``state`` carries a secret task's output, which is never shown."""
    from prefect_jupyter.engine.results.secret_result import SecretResult

    template = state.__dict__.get("_result_template")
    return isinstance(template, SecretResult) or isinstance(state._result_obj, SecretResult)


def state_value_repr(state: State, value: Any, limit: int = CONSTANT_REPR_CHARS) -> str:
    """`short_repr` of a state's value, or `SECRET_REPR` for a secret task's output."""
    return SECRET_REPR if holds_secret(state) else short_repr(value, limit)


def short_repr(value: Any, limit: int = CONSTANT_REPR_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters (with an ellipsis) for a small label."""
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not break drawing the flow
        text = f"<{type(value).__name__}: repr failed: {type(exc).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def natural_key(text: str) -> tuple:
    """A sort key comparing the numbers in ``text`` as numbers: ``"t-2" < "t-10"``."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(text))


def _kind(task: Task, mapped: bool) -> str:
    from prefect_jupyter.tasks.core.constants import Constant

    if isinstance(task, Parameter):
        return "parameter"
    if isinstance(task, Constant):
        return "constant"
    return "mapped" if mapped else "task"


def _size(name: str, kind: str) -> tuple[float, float]:
    if kind == "constant":
        return (max(32.0, min(_MAX_W, len(name) * 6.0 + 12.0)), _CONSTANT_H)
    width = max(_MIN_W, min(_MAX_W, len(name) * _CHAR_W + 24.0))
    if kind == "mapped":
        # room for the counts line ("10 mapped: 9 Success, 1 Failed" is ~30 characters)
        return (max(width, 150.0), _MAPPED_H)
    return (width, _TASK_H)


def _add_constants(flow: Flow, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> None:
    """Add a small node and an edge for each constant folded into ``flow.constants``."""
    taken = set(flow.slugs.values())
    for task, constants in flow.constants.items():
        if task not in flow.slugs:
            continue
        target = flow.slugs[task]
        for key in sorted(constants):
            node_id = f"{target}.{key}"
            while node_id in taken:  # a task could, in theory, have that very slug
                node_id += "'"
            taken.add(node_id)
            name = short_repr(constants[key])
            node = {"id": node_id, "name": name, "kind": "constant", **node_state(None, "constant")}
            node["w"], node["h"] = _size(name, "constant")
            nodes.append(node)
            edges.append(
                {
                    "source": node_id,
                    "target": target,
                    "key": key,
                    "mapped": False,
                    "flattened": False,
                }
            )


def _edge_sort_key(edge: dict[str, Any]) -> tuple:
    return (edge["source"], edge["target"], edge["key"] or "", edge["mapped"], edge["flattened"])
