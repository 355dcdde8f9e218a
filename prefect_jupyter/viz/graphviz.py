"""``flow.visualize``: a flow (and a run's states) as a ``graphviz.Digraph``.

Drawn from the graph model (:func:`prefect_jupyter.viz.graph_model`), as Prefect 1 drew it:
tasks are ellipses, mapped tasks boxes, mapped edges dashed, edges labelled with their argument
names, and after a run each node is filled with its state's colour. Two deliberate differences:

* a mapped task is ONE box labelled with its children's states
  (``inc · 10 mapped: 9 Success, 1 Failed``) and striped in their colours, not one node per child
  (Prefect 1's drawing of 1,000 children was unreadable);
* constants the flow folded into its tasks are drawn as small plain-text nodes showing their value.

The Python ``graphviz`` package is imported only here, on first use.
"""

from __future__ import annotations

import shutil
from typing import Any

from prefect_jupyter.viz.model import graph_model

__all__ = ["visualize", "mapped_label"]

NO_STATE_COLOR = "#000000"  # a task with no state in a run's result (as Prefect 1)
_ALPHA = "80"  # fills are half transparent, so that labels stay readable


def visualize(
    flow: Any,
    flow_state: Any = None,
    filename: str | None = None,
    format: str | None = None,
    horizontal: bool = False,
) -> Any:
    """Draw ``flow`` as a ``graphviz.Digraph``, coloured by ``flow_state`` when given.

    In Jupyter the returned ``Digraph`` shows inline as SVG. With ``filename`` it is also
    rendered to ``{filename}.{format}`` (``format`` defaults to ``"pdf"``; any graphviz output
    format such as ``"svg"`` or ``"png"`` works). Unlike Prefect 1, no viewer window is opened
    outside Jupyter: call ``.view()`` on the result for that.

    Args:
        flow: the flow to draw.
        flow_state: the flow run's ``State`` (or a dict of tasks to states) to colour nodes by.
        filename: where to render the drawing (without the extension).
        format: the output format for ``filename``.
        horizontal: draw left to right instead of top to bottom.

    Returns:
        the ``graphviz.Digraph``.

    Raises:
        ImportError: if the Python ``graphviz`` package is not installed.
        graphviz.ExecutableNotFound: if graphviz's ``dot`` program is not installed.
    """
    graphviz = _import_graphviz()
    _require_dot(graphviz)
    model = graph_model(flow, flow_state=flow_state, layout=False)
    colored = flow_state is not None
    graph = graphviz.Digraph()
    if horizontal:
        graph.graph_attr["rankdir"] = "LR"
    names = _dot_names([node["id"] for node in model["nodes"]])
    for node in model["nodes"]:
        graph.node(names[node["id"]], **_node_attrs(graphviz, node, colored))
    for edge in model["edges"]:
        graph.edge(names[edge["source"]], names[edge["target"]], **_edge_attrs(graphviz, edge))
    if filename:
        graph.render(filename, view=False, format=format, cleanup=True)
    return graph


def mapped_label(node: dict[str, Any]) -> str:
    """A mapped node's label: its name, then its children's states once it has mapped.

    Example: ``inc · 10 mapped: 9 Success, 1 Failed`` (states by count, most first).
    """
    if node["state"] != "Mapped":
        return f"{node['name']} <map>"
    counts = sorted(node["counts"].items(), key=lambda kv: (-kv[1], kv[0]))
    summary = ", ".join(f"{n} {name}" for name, n in counts)
    label = f"{node['name']} · {node['n_children']} mapped"
    return f"{label}: {summary}" if summary else label


def _dot_names(ids: list[str]) -> dict[str, str]:
    """DOT node names: the model ids, except that in an edge ``a:b`` means port ``b`` of node
    ``a``, so ids with a colon get a plain stand-in name."""
    taken = set(ids)
    names = {}
    for i, node_id in enumerate(ids):
        if ":" in node_id:
            name = f"node{i}"
            while name in taken:
                name += "_"
            taken.add(name)
            names[node_id] = name
        else:
            names[node_id] = node_id
    return names


def _node_attrs(graphviz: Any, node: dict[str, Any], colored: bool) -> dict[str, str]:
    kind = node["kind"]
    if kind == "constant" and node["state"] is None:
        return {"label": graphviz.escape(node["name"]), "shape": "plaintext", "fontsize": "10"}
    if kind == "mapped":
        attrs = {"label": graphviz.escape(mapped_label(node)), "shape": "box"}
    else:
        attrs = {"label": graphviz.escape(node["name"]), "shape": "ellipse"}
    if not colored:
        return attrs
    color = node["color"] or NO_STATE_COLOR
    attrs.update(color=color, style="filled", fillcolor=color + _ALPHA)
    if kind == "mapped" and node["counts"]:
        # one stripe per child state, as wide as its share of the children
        total = sum(node["counts"].values())
        stripes = [
            f"{_child_color(name)}{_ALPHA};{n / total:.3f}"
            for name, n in sorted(node["counts"].items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        attrs.update(style="striped", fillcolor=":".join(stripes))
    return attrs


def _edge_attrs(graphviz: Any, edge: dict[str, Any]) -> dict[str, str]:
    attrs = {}
    label = edge["key"] or ""
    if edge["flattened"]:
        label = f"{label} (flattened)".strip()
    if label:
        attrs["label"] = graphviz.escape(label)
    if edge["mapped"]:
        attrs["style"] = "dashed"
    return attrs


def _child_color(state_name: str) -> str:
    from prefect_jupyter.engine import state as state_module

    cls = getattr(state_module, state_name, None)
    return getattr(cls, "color", NO_STATE_COLOR)


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError as exc:
        raise ImportError(
            "flow.visualize() needs the Python `graphviz` package. Install it with "
            "`pip install 'prefect-jupyter[viz]'` (and graphviz's `dot` program, e.g. "
            "`apt-get install graphviz`). graph_model(flow) from prefect_jupyter.viz works "
            "without it."
        ) from exc
    return graphviz


def _require_dot(graphviz: Any) -> None:
    if shutil.which("dot") is not None:
        return
    error = graphviz.ExecutableNotFound(["dot"])
    error.args = (
        "flow.visualize() needs graphviz's `dot` program, which was not found on the PATH "
        "(the Python `graphviz` package alone is not enough). Install graphviz: "
        "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
        "`conda install -c conda-forge graphviz`. Without it, "
        "prefect_jupyter.viz.graph_model(flow) still works (it uses a built-in layout).",
    )
    raise error
