"""The live DAG widget: a flow's graph, coloured by task state, updated while the flow runs.

``FlowWidget`` is an anywidget: its front end is the plain ES module ``static/flow_widget.js``
(no build step), which draws the SVG once from the ``graph`` trait and then only recolours the
nodes whose state changed. The graph (with its layout, computed in Python by
:func:`prefect_jupyter.viz.graph_model`) is sent once. During a run, at most ~10 messages a
second (see :mod:`prefect_jupyter.jupyter.live`) carry ``changes`` — only the nodes that changed
since the last message — with ``header`` and ``run_state``; the complete ``states`` (every node)
is sent when a run starts, about once a second while it runs (so a view opened mid-run catches
up) and when it ends. At 1,000 nodes a message is a few kB instead of the ~120 kB of all states.

A mapped task is one node with a progress bar and counts of its children's states. It shows as
``Running`` while any child is still pending or running — the parent task is ``Mapped`` as soon
as it has spawned its children, but it is not done until they are — and takes ``Mapped``'s
colour once every child has finished; its bar and counts tell how they ended.

Example:
    >>> w = FlowWidget(flow)
    >>> w                                            # shows the graph in a notebook
    >>> state = flow.run(observers=[w.observe_run()])   # colours change live
    >>> w.apply_state(state)                         # or colour it from a finished run
"""

from __future__ import annotations

import pathlib
import re
import time
import weakref
from typing import Any

import anywidget
import traitlets

from prefect_jupyter.jupyter.details import parse_selection
from prefect_jupyter.jupyter.live import LiveRun, RunTracker, Update
from prefect_jupyter.viz.model import graph_model, state_update

__all__ = ["FlowWidget", "show"]

STATIC = pathlib.Path(__file__).parent / "static"
_STATES_IMPORT = re.compile(r'^import \{[^}]*\} from "\./states\.js";\n', re.M)


def bundled_esm() -> str:
    """``flow_widget.js`` with its import of ``states.js`` inlined.

    anywidget loads the widget's module from a blob URL, where a relative import cannot resolve;
    the web UI and the labextension import both files as they are.
    """
    source = (STATIC / "flow_widget.js").read_text()
    states = (STATIC / "states.js").read_text()
    return _STATES_IMPORT.sub(lambda _: states, source, count=1)


#: seconds between two sends of every node's state while a run goes on (``changes`` in between)
FULL_STATES_INTERVAL = 1.0
#: flow -> the final state of its last run seen by a widget (a flow shown later shows it)
LAST_STATES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


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

    _esm = bundled_esm()
    _css = STATIC / "flow_widget.css"

    graph = traitlets.Dict(
        help="The flow's graph model (prefect_jupyter.viz.graph_model): nodes with id, name, kind, "
        "x, y, w, h and state fields; edges with Bézier control points. Sent once."
    ).tag(sync=True)
    states = traitlets.Dict(
        help="Node id -> {state, color, message, counts, n_children} for every node; replaced "
        "(never mutated) when a run starts, about once a second while it runs, and when it ends."
    ).tag(sync=True)
    changes = traitlets.Dict(
        help="Node id -> state fields of the nodes the latest live update changed (the front end "
        "applies them on top of `states`); empty when `states` was just sent."
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
    node_details = traitlets.Dict(
        help="Node id -> details (as in `details`) of the nodes whose details changed in the "
        "latest live update; the front end keeps them, so a node clicked while the kernel is busy "
        "running the flow (and reads no message from the browser) still shows its result, "
        "traceback and log lines."
    ).tag(sync=True)

    reused = traitlets.List(
        traitlets.Unicode(),
        help="Ids of the nodes whose last result a rerun reuses (drawn faded, with a dashed outline).",
    ).tag(sync=True)
    log_lines = traitlets.Dict(
        help="{'start': n, 'lines': [...]}: the run's log lines ('HH:MM:SS LEVEL who: message') "
        "logged since the previous live update, the first being the run's line number n; the front "
        "end appends them to the run log it shows (with a level filter)."
    ).tag(sync=True)

    def __init__(self, flow: Any, flow_state: Any = None, **kwargs: Any) -> None:
        graph = graph_model(flow)
        super().__init__(graph=graph, states=state_update(flow, None), **kwargs)
        self.flow = flow
        self._current = dict(self.states)  # every node's latest state, sent or not
        self._states_sent = 0.0  # time.monotonic() when `states` was last sent
        self._tracker = RunTracker(flow, graph)
        self._display: Any = None  # the DisplayHandle of display(), updated when a run ends
        self._displayed_run: tuple = ()
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

    def observe_run(self, executor: Any = None) -> LiveRun:
        """An observer for the engine's state events that updates this widget live.

        Pass it to ``flow.run(observers=[...])`` or ``prefect_jupyter.engine.events.observe``.
        Given the run's ``executor``, the header links to the Dask dashboard while a
        ``DaskExecutor`` runs on a cluster that has one.
        """
        return LiveRun(self._tracker, self._push, executor=executor)

    def watch_server_run(self, flow_run_id: str, client: Any = None, start: bool = True) -> Any:
        """Show flow run ``flow_run_id`` of the server (an agent's run) live in this widget: a
        thread polls the server's GraphQL API until the run finishes. Returns the
        :class:`~prefect_jupyter.jupyter.server_watch.ServerWatch` (``.wait()`` blocks)."""
        from prefect_jupyter.jupyter.server_watch import ServerWatch

        tracker = self._tracker
        watch = ServerWatch(
            self.flow, flow_run_id, self.observe_run(),
            lambda line: tracker.add_log(None, None, line), client=client,
        )
        return watch.start() if start else watch

    def apply_state(self, flow_state: Any) -> None:
        """Colour the graph from a finished run: ``flow.run()``'s state (or a dict of tasks to
        states). Times and log lines seen while observing the run are kept for the details."""
        self._tracker.load(flow_state)
        update = self._tracker.take_update()
        update.states = state_update(self.flow, flow_state)
        update.full = True
        self._push(update)

    def run(self, **kwargs: Any) -> Any:
        """Run the flow (``flow.run(**kwargs)``) with this widget observing it; returns the state."""
        executor = kwargs.get("executor") or self.flow.executor
        observers = [*kwargs.pop("observers", ()), self.observe_run(executor)]
        state = self.flow.run(observers=observers, **kwargs)
        self.apply_state(state)
        return state

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget's view plus its graph as static MIME data (drawn by our JupyterLab
        extension when the notebook is reopened without a kernel)."""
        from prefect_jupyter.jupyter.graph_mime import GRAPH_MIME, widget_graph

        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            data, metadata = bundle
            return {**data, GRAPH_MIME: widget_graph(self)}, metadata
        return {**(bundle or {}), GRAPH_MIME: widget_graph(self)}

    def __repr__(self) -> str:
        return (
            f"FlowWidget(flow={self.flow.name!r}, tasks={len(self.flow.tasks)}, "
            f"run_state={self.run_state!r})"
        )

    def _push(self, update: Update) -> None:
        with self.hold_sync():
            # a full update sends `states` even without changes: the timer's last delta may
            # have taken them just before a run's final flush
            if update.states or update.full:
                self._current = {**self._current, **update.states}
                now = time.monotonic()
                full = update.full or len(update.states) >= len(self._current)
                if full or now - self._states_sent >= FULL_STATES_INTERVAL:
                    self.changes = {}  # first: `states` observers must not see an older delta
                    self.states = self._current
                    self._states_sent = now
                else:
                    self.changes = update.states
            if update.details:
                self.node_details = update.details
            if update.log_lines:
                self.log_lines = {"start": update.log_start, "lines": update.log_lines}
            self.header = update.header
            self.run_state = update.run_state
            if self.selected and parse_selection(self.selected)[0] in update.changed:
                self.details = self._tracker.details(self.selected)
        if update.full and not update.header.get("running"):
            self._run_ended()

    def _run_ended(self) -> None:
        """Remember the run's final state for the flow, and refresh the displayed output: its
        static graph (what a notebook reopened without a kernel shows) gets the final states."""
        state = self._tracker.flow_state
        if state is not None and state.is_finished() and isinstance(state.result, dict):
            LAST_STATES[self.flow] = state
        shown = (self._tracker.flow_run_id, self.run_state, self.header.get("done"))
        if self._display is not None and shown != self._displayed_run:
            self._displayed_run = shown
            self._display.update(self)

    def display(self) -> FlowWidget:
        """Show the widget as the current cell's output (and return it). When a run it observes
        ends, that output is updated, so the graph saved in the notebook has the final states."""
        from IPython.display import display

        self._display = display(self, display_id=True)
        return self


def show(flow: Any, flow_state: Any = None) -> FlowWidget:
    """Display ``flow``'s graph in the notebook (coloured by ``flow_state``) and return the
    widget, e.g. to pass ``widget.observe_run()`` to a run."""
    return FlowWidget(flow, flow_state).display()
