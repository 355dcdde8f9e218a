"""A flow's graph as a MIME bundle that JupyterLab draws without a kernel.

Notebook outputs keep MIME data, not live widgets: a notebook reopened without its kernel can't
show a :class:`~prefect_jupyter.jupyter.widget.FlowWidget`. Next to the widget's view, a flow's
output therefore carries its graph model (:func:`prefect_jupyter.viz.graph_model`) as
``application/vnd.prefect-jupyter.graph+json``. The JupyterLab extension of this package draws it
with the widget's own drawing code; while the widget's kernel is alive, Lab shows the live widget
instead. Other front ends fall back to the widget or to ``text/plain``.

Example:
    >>> from IPython.display import display
    >>> display(graph_mime_bundle(flow), raw=True)          # the graph alone
    >>> display(widget_mime_bundle(FlowWidget(flow)), raw=True)  # live widget + saved graph
"""

from __future__ import annotations

from typing import Any

__all__ = ["GRAPH_MIME", "graph_mime_bundle", "widget_graph", "widget_mime_bundle"]

#: the MIME type of a graph model in notebook outputs
GRAPH_MIME = "application/vnd.prefect-jupyter.graph+json"


def graph_mime_bundle(flow: Any, flow_state: Any = None) -> dict[str, Any]:
    """``{GRAPH_MIME: graph model, "text/plain": ...}`` for ``flow``, coloured by ``flow_state``."""
    from prefect_jupyter.viz import graph_model

    return {GRAPH_MIME: graph_model(flow, flow_state), "text/plain": f"<Flow: name={flow.name!r}>"}


def widget_graph(widget: Any) -> dict[str, Any]:
    """A FlowWidget's graph model with the node states it shows now."""
    states = widget.states or {}
    graph = dict(widget.graph)
    graph["nodes"] = [{**node, **states.get(node["id"], {})} for node in graph.get("nodes", [])]
    return graph


def widget_mime_bundle(widget: Any) -> dict[str, Any]:
    """A FlowWidget's own MIME bundle plus its graph (:func:`widget_graph`) as :data:`GRAPH_MIME`.

    For ``display(widget_mime_bundle(w), raw=True)``. Inside ``FlowWidget._repr_mimebundle_``
    (to carry the graph in every display of the widget) add :func:`widget_graph` to the bundle
    the base class returns instead: this function calls ``_repr_mimebundle_``.
    """
    bundle = widget._repr_mimebundle_()
    data = dict(bundle[0] if isinstance(bundle, tuple) else bundle or {})
    data.setdefault(GRAPH_MIME, widget_graph(widget))
    return data
