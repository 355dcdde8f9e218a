"""Where the nodes and edges of a graph model go: computed in Python, once per flow structure.

Two engines give the same output:

* ``"dot"``: graphviz's ``dot -Tjson`` (needs the ``dot`` program, e.g. Debian's ``graphviz``
  package; the Python ``graphviz`` package is not needed for layout). Used when
  ``shutil.which("dot")`` finds it.
* ``"layered"``: a pure-Python layered layout (:mod:`prefect_jupyter.viz.layered`), used when
  ``dot`` is missing or fails.

Both draw top to bottom, in px (= graphviz points) with the origin at the top-left corner:

* each node gets ``x, y`` (its box's top-left corner) beside its size ``w, h``;
* each edge gets ``points``: cubic Bézier control points ``[p0, c1, c2, p1, c1, c2, p2, ...]``,
  i.e. the SVG path ``M p0 C c1 c2 p1 C ...``, from the source box to the target box's border
  (draw the arrowhead at the last point);
* the model gets ``layout = {"width", "height", "engine"}``.

The layout depends only on the nodes' ids and sizes and the edges, never on states, so it is
computed once and cached; later calls for the same flow structure are dictionary lookups.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prefect_jupyter.viz.layered import PAD, layered_layout, total_span

__all__ = ["Layout", "apply_layout", "compute_layout", "dot_available", "clear_cache"]

ENGINES = ("dot", "layered")
DOT_TIMEOUT = 10.0  # seconds; a flow that makes dot this slow gets the layered layout instead
# dot's time grows quickly with the number of ranks that edges cross in all (here ~2,000 for a
# typical 1,000-task flow: under 1.5 s). One parameter feeding every task of a chain crosses
# n²/2 ranks: 5,000 took dot 2.6 s, 20,000 over 10 s, 500,000 made it crash after 28 s. Past this
# many, the automatic choice is the layered layout, which caps its dummy nodes.
DOT_MAX_SPAN = 4_000
_CACHE_SIZE = 32

Point = tuple[float, float]


@dataclass(frozen=True)
class Layout:
    """A computed layout: node top-left corners by id, edge control points (in the order the
    edges were given), the drawing's size, and which engine made it."""

    positions: dict[str, Point]
    points: tuple[tuple[Point, ...], ...]
    width: float
    height: float
    engine: str


_cache: OrderedDict[tuple, Layout] = OrderedDict()
_cache_lock = threading.Lock()


def dot_available() -> bool:
    """Whether graphviz's ``dot`` program is on the PATH."""
    return shutil.which("dot") is not None


def clear_cache() -> None:
    """Forget all cached layouts."""
    with _cache_lock:
        _cache.clear()


def apply_layout(model: dict[str, Any], engine: str | None = None) -> None:
    """Add positions to a graph model in place (see the module docstring)."""
    nodes = model["nodes"]
    edges = model["edges"]
    layout = compute_layout(
        [(n["id"], n["w"], n["h"]) for n in nodes],
        [(e["source"], e["target"]) for e in edges],
        engine=engine,
    )
    for node in nodes:
        node["x"], node["y"] = layout.positions[node["id"]]
    for edge, points in zip(edges, layout.points, strict=True):
        edge["points"] = [[x, y] for x, y in points]
    model["layout"] = {"width": layout.width, "height": layout.height, "engine": layout.engine}


def compute_layout(
    nodes: Sequence[tuple[str, float, float]],
    edges: Sequence[tuple[str, str]],
    engine: str | None = None,
) -> Layout:
    """Lay out ``nodes`` (``(id, w, h)``) and ``edges`` (``(source id, target id)``).

    Args:
        nodes: the boxes to place.
        edges: the edges between them.
        engine: ``"dot"``, ``"layered"``, or ``None`` for dot when installed, else layered.

    Raises:
        ValueError: for an unknown engine, or ``"dot"`` when the ``dot`` program is missing.
        RuntimeError: when ``engine="dot"`` was asked for and dot failed.
    """
    if engine not in (None, *ENGINES):
        raise ValueError(f"Unknown layout engine {engine!r}; use one of {ENGINES} (or True).")
    dot = shutil.which("dot") if engine != "layered" else None
    if engine == "dot" and dot is None:
        raise ValueError(
            "The 'dot' layout needs graphviz's `dot` program, which is not on the PATH. Install "
            "graphviz (`apt-get install graphviz`, `brew install graphviz` or `conda install "
            "graphviz`), or use layout='layered'."
        )
    # keyed by what was asked for, so that a dot that failed or was skipped is not tried again
    key = (engine, dot, tuple(nodes), tuple(edges))
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    if dot and engine is None and total_span(nodes, edges) > DOT_MAX_SPAN:
        dot = None
    layout = None
    if dot:
        try:
            layout = _dot_layout(dot, nodes, edges)
        except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
            if engine == "dot":
                raise RuntimeError(f"graphviz dot could not lay out the flow: {exc}") from exc
            warnings.warn(
                f"graphviz dot failed ({exc}); using the built-in layered layout instead.",
                RuntimeWarning,
                stacklevel=4,  # the caller of graph_model
            )
    if layout is None:
        positions, points, width, height = layered_layout(nodes, edges)
        layout = Layout(
            positions, tuple(tuple(map(tuple, p)) for p in points), width, height, "layered"
        )
    with _cache_lock:
        _cache[key] = layout
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return layout


def _dot_layout(
    dot: str, nodes: Sequence[tuple[str, float, float]], edges: Sequence[tuple[str, str]]
) -> Layout:
    """Run ``dot -Tjson0`` (``-Tjson`` without drawing instructions) on boxes of fixed size and
    no labels: the front ends draw the labels."""
    index = {node_id: i for i, (node_id, _, _) in enumerate(nodes)}
    lines = [
        "digraph G {",
        "graph [rankdir=TB, nodesep=0.28, ranksep=0.5];",
        'node [shape=box, fixedsize=true, label=""];',
    ]
    for i, (_, w, h) in enumerate(nodes):  # sizes in inches
        lines.append(f"n{i} [width={w / 72:.4f}, height={h / 72:.4f}];")
    lines += [f"n{index[s]} -> n{index[t]} [id=e{j}];" for j, (s, t) in enumerate(edges)]
    lines.append("}")
    done = subprocess.run(
        [dot, "-Tjson0"],
        input="\n".join(lines),
        capture_output=True,
        text=True,
        timeout=DOT_TIMEOUT,
        check=False,
    )
    if done.returncode < 0:
        raise ValueError(f"dot crashed (signal {-done.returncode})")
    if done.returncode != 0:
        raise ValueError(f"dot exited with {done.returncode}: {done.stderr.strip()[:300]}")
    data = json.loads(done.stdout)
    _, _, bb_w, bb_h = (float(v) for v in data["bb"].split(","))

    def flip(text: str) -> Point:
        x, y = text.split(",")[-2:]
        return (round(float(x) + PAD, 1), round(bb_h - float(y) + PAD, 1))

    positions = {}
    for obj in data.get("objects", []):
        i = int(obj["name"][1:])
        node_id, w, h = nodes[i]
        cx, cy = flip(obj["pos"])
        positions[node_id] = (round(cx - w / 2, 1), round(cy - h / 2, 1))
    points: list[tuple[Point, ...]] = [()] * len(edges)
    for edge in data.get("edges", []):
        points[int(edge["id"][1:])] = _spline(edge["pos"], flip)
    width, height = round(bb_w + 2 * PAD, 1), round(bb_h + 2 * PAD, 1)
    return Layout(positions, tuple(points), width, height, "dot")


def _spline(pos: str, flip: Any) -> tuple[Point, ...]:
    """Bézier points from dot's ``pos`` (``[s,x,y] [e,x,y] p0 c1 c2 p1 ...``), extended with a
    straight segment to the arrow's tip so that the path ends on the target's border."""
    start = end = None
    points: list[Point] = []
    for token in pos.split():
        if token.startswith("s,"):
            start = flip(token)
        elif token.startswith("e,"):
            end = flip(token)
        else:
            points.append(flip(token))
    if start is not None:
        points = [*_straight(start, points[0])[:-1], *points]
    if end is not None:
        points = [*points, *_straight(points[-1], end)[1:]]
    return tuple(points)


def _straight(a: Point, b: Point) -> list[Point]:
    """A straight line from ``a`` to ``b`` as one Bézier segment (``a, c1, c2, b``)."""

    def at(f: float) -> Point:
        return (round(a[0] + (b[0] - a[0]) * f, 1), round(a[1] + (b[1] - a[1]) * f, 1))

    return [a, at(1 / 3), at(2 / 3), b]
