"""The live DAG widget: a flow's graph, coloured by task state, updated while the flow runs.

``FlowWidget`` is an anywidget: its front end is the plain ES module ``static/flow_widget.js``
(no build step), which draws the SVG once from the ``graph`` trait and then only recolours the
nodes whose entry in ``states`` changed. The graph (with its layout, computed in Python by
:func:`prefect_jupyter.viz.graph_model`) is sent once; during a run only ``states``, ``header``
and ``run_state`` change, at most ~10 times a second (see :mod:`prefect_jupyter.jupyter.live`).

Example:
    >>> w = FlowWidget(flow)
    >>> w                                            # shows the graph in a notebook
    >>> state = flow.run(observers=[w.observe_run()])   # colours change live
    >>> w.apply_state(state)                         # or colour it from a finished run
"""

from __future__ import annotations

import pathlib
from typing import Any

import anywidget
import traitlets

from prefect_jupyter.jupyter.live import LiveRun, RunTracker, Update, parse_selection
from prefect_jupyter.viz.model import graph_model, state_update

__all__ = ["FlowWidget", "show"]

STATIC = pathlib.Path(__file__).parent / "static"


class FlowWidget(anywidget.AnyWidget):
    """A flow's DAG, coloured by task state; live when given to a run as an observer.

    Args:
        flow: the flow to draw.
        flow_state: a finished run's state (what ``flow.run()`` returns), to colour the graph.
        **kwargs: passed on to ``anywidget.AnyWidget``.

    Example:
        >>> w = FlowWidget(flow); display(w)
        >>> flow.run(observers=[w.observe_run()])
    """

    _esm = STATIC / "flow_widget.js"
    _css = STATIC / "flow_widget.css"

    graph = traitlets.Dict(
        help="The flow's graph model (prefect_jupyter.viz.graph_model): nodes with id, name, kind, "
        "x, y, w, h and state fields; edges with Bézier control points. Sent once."
    ).tag(sync=True)
    states = traitlets.Dict(
        help="Node id -> {state, color, message, counts, n_children}; replaced (never mutated) "
        "on every update."
    ).tag(sync=True)
    run_state = traitlets.Unicode(
        "", help="The flow run's state class name ('' before any run)."
    ).tag(sync=True)
    header = traitlets.Dict(
        help="{flow, state, done, total, elapsed, running}: tasks done / total, seconds since "
        "the run started, whether it is still running."
    ).tag(sync=True)
    selected = traitlets.Unicode(
        "", help="The node id clicked in the browser ('' for none; 'id[3]' for a mapped child)."
    ).tag(sync=True)
    details = traitlets.Dict(
        help="The selected node's state, message, duration, inputs, result repr (truncated), "
        "traceback, log lines and, for mapped tasks, its children."
    ).tag(sync=True)

    def __init__(self, flow: Any, flow_state: Any = None, **kwargs: Any) -> None:
        graph = graph_model(flow)
        super().__init__(graph=graph, states=state_update(flow, None), **kwargs)
        self.flow = flow
        self._tracker = RunTracker(flow, graph)
        self.header = self._tracker.header()
        if flow_state is not None:
            self.apply_state(flow_state)

    @traitlets.validate("graph")
    def _check_graph(self, proposal: dict) -> dict:
        value = proposal["value"]
        if not {"nodes", "edges"} <= set(value):
            raise traitlets.TraitError(
                "FlowWidget.graph must be a graph model with 'nodes' and 'edges'; make one with "
                "prefect_jupyter.viz.graph_model(flow)."
            )
        return value

    @traitlets.observe("selected")
    def _on_selected(self, change: dict) -> None:
        self.details = self._tracker.details(change["new"])

    def observe_run(self) -> LiveRun:
        """An observer for the engine's state events that updates this widget live.

        Pass it to ``flow.run(observers=[...])`` or ``prefect_jupyter.engine.events.observe``.
        """
        return LiveRun(self._tracker, self._push)

    def apply_state(self, flow_state: Any) -> None:
        """Colour the graph from a finished run: ``flow.run()``'s state (or a dict of tasks to
        states). Times and log lines seen while observing the run are kept for the details."""
        self._tracker.load(flow_state)
        update = self._tracker.take_update()
        update.states = state_update(self.flow, flow_state)
        self._push(update)

    def run(self, **kwargs: Any) -> Any:
        """Run the flow (``flow.run(**kwargs)``) with this widget observing it; returns the state."""
        observers = [*kwargs.pop("observers", ()), self.observe_run()]
        state = self.flow.run(observers=observers, **kwargs)
        self.apply_state(state)
        return state

    def __repr__(self) -> str:
        return (
            f"FlowWidget(flow={self.flow.name!r}, tasks={len(self.flow.tasks)}, "
            f"run_state={self.run_state!r})"
        )

    def _push(self, update: Update) -> None:
        with self.hold_sync():
            if update.states:
                self.states = {**self.states, **update.states}
            self.header = update.header
            self.run_state = update.run_state
            if self.selected and parse_selection(self.selected)[0] in update.changed:
                self.details = self._tracker.details(self.selected)


def show(flow: Any, flow_state: Any = None) -> FlowWidget:
    """Display ``flow``'s graph in the notebook (coloured by ``flow_state``) and return the
    widget, e.g. to pass ``widget.observe_run()`` to a run."""
    from IPython.display import display

    widget = FlowWidget(flow, flow_state)
    display(widget)
    return widget
