"""Drawing flows: one JSON graph model of a flow (and a run's states), its layout, and
``flow.visualize``.

* :func:`graph_model` — the flow as a plain dict of nodes and edges with positions; the widget,
  the web UI and the labextension draw it.
* :func:`state_update` — just the node states, to send after each change of a live run.
* :func:`visualize` — a ``graphviz.Digraph`` (what ``flow.visualize()`` returns).

Importing this package does not import ``graphviz``.
"""

from prefect_jupyter.viz.graphviz import visualize
from prefect_jupyter.viz.layout import clear_cache, compute_layout, dot_available
from prefect_jupyter.viz.model import graph_model, node_state, state_colors, state_update

__all__ = [
    "graph_model",
    "state_update",
    "node_state",
    "state_colors",
    "compute_layout",
    "dot_available",
    "clear_cache",
    "visualize",
]
