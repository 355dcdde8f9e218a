"""A small pure-Python layered (Sugiyama-style) layout, used when graphviz ``dot`` is missing.

The steps, each a function below:

1. **Ranks**: longest path from the roots, then each source (a parameter, a constant) moves down
   to just above its first downstream node, so that it sits near what it feeds.
2. **Dummies**: an edge spanning several ranks gets a small invisible node on each rank it
   crosses, so that it is routed around nodes and takes part in ordering (within a budget, so
   that a pathological flow stays fast; the rest are drawn straight).
3. **Order**: a few barycenter sweeps, down then up, to cut edge crossings.
4. **Positions**: each node moves towards the mean x of its neighbours on the previous rank, as
   close as possible while keeping the order and spacing (least squares, solved exactly by
   pool-adjacent-violators); alternately looking up and down.
5. **Edges**: cubic Bézier segments through the dummies, leaving and entering nodes vertically.

Top to bottom; coordinates in px with the origin at the top-left. 1,000 nodes take well under a
tenth of a second.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]

PAD = 8.0  # margin around the drawing
NODE_SEP = 20.0  # horizontal gap between neighbouring nodes
DUMMY_W = 6.0  # the width a routed edge takes up on a rank
RANK_SEP = 44.0  # vertical gap between ranks
SWEEPS = 4  # barycenter sweeps (each one down and one up)
PLACEMENT_ROUNDS = 3  # x-placement rounds (each one down and one up)


def layered_layout(
    nodes: Sequence[tuple[str, float, float]], edges: Sequence[tuple[str, str]]
) -> tuple[dict[str, Point], list[list[Point]], float, float]:
    """Lay out ``nodes`` (``(id, w, h)``) and ``edges`` (``(source, target)`` ids).

    Returns:
        ``(positions, points, width, height)``: each node's top-left corner, each edge's Bézier
        control points (in the order of ``edges``), and the drawing's size.
    """
    n = len(nodes)
    index = {node_id: i for i, (node_id, _, _) in enumerate(nodes)}
    pairs = sorted({(index[s], index[t]) for s, t in edges if index[s] != index[t]})
    rank = _ranks(n, pairs)
    # vertices 0..n-1 are the nodes, n.. are dummies; chains[(u, v)] lists the vertices of an edge
    widths = [w for _, w, _ in nodes]
    vertex_rank = list(rank)
    chains = _insert_dummies(pairs, rank, vertex_rank, widths, budget=max(2000, 4 * n))
    up, down = _neighbours(vertex_rank, chains)
    layers = _order(vertex_rank, up, down)
    x = _place(layers, widths, up, down)

    centre_y, height = _rank_centres(nodes, rank, len(layers))
    shift = PAD - min((x[v] - widths[v] / 2 for v in range(len(x))), default=0.0)
    x = [cx + shift for cx in x]
    positions = {
        node_id: (round(x[i] - w / 2, 1), round(centre_y[rank[i]] - h / 2, 1))
        for i, (node_id, w, h) in enumerate(nodes)
    }
    right = max((x[v] + widths[v] / 2 for v in range(len(x))), default=PAD)
    routes = _routes(nodes, chains, x, [centre_y[r] for r in vertex_rank])
    points = []
    for s, t in edges:
        key = (index[s], index[t])
        points.append(routes[key] if key in routes else [])
    return positions, points, round(right + PAD, 1), round(height, 1)


def _rank_centres(
    nodes: Sequence[tuple[str, float, float]], rank: list[int], n_ranks: int
) -> tuple[list[float], float]:
    """The y centre of each rank (each as tall as its tallest node) and the drawing's height."""
    heights = [0.0] * n_ranks
    for i, (_, _, h) in enumerate(nodes):
        heights[rank[i]] = max(heights[rank[i]], h)
    centres = []
    top = PAD
    for h in heights:
        centres.append(top + h / 2)
        top += h + RANK_SEP
    return centres, (top - RANK_SEP + PAD if n_ranks else 2 * PAD)


def _routes(
    nodes: Sequence[tuple[str, float, float]],
    chains: dict[tuple[int, int], list[int]],
    x: list[float],
    y: list[float],
) -> dict[tuple[int, int], list[Point]]:
    """Each edge's Bézier points, from the bottom of its source to the top of its target.

    Edges leaving (or entering) the same node are spread over the middle of its border, ordered
    by where they go (or come from), so that they do not all meet in one point.
    """
    ports_out: dict[int, list[tuple[float, tuple[int, int]]]] = {}
    ports_in: dict[int, list[tuple[float, tuple[int, int]]]] = {}
    for (u, v), chain in chains.items():
        ports_out.setdefault(u, []).append((x[chain[1]], (u, v)))
        ports_in.setdefault(v, []).append((x[chain[-2]], (u, v)))
    start: dict[tuple[int, int], float] = {}
    end: dict[tuple[int, int], float] = {}
    for ports, ends in ((ports_out, start), (ports_in, end)):
        for vertex, edges in ports.items():
            edges.sort()
            k = len(edges)
            step = min(12.0, nodes[vertex][1] * 0.6 / (k - 1)) if k > 1 else 0.0
            for i, (_, pair) in enumerate(edges):
                ends[pair] = x[vertex] + (i - (k - 1) / 2) * step
    routes = {}
    for (u, v), chain in chains.items():
        waypoints = [(start[(u, v)], y[u] + nodes[u][2] / 2)]
        waypoints += [(x[d], y[d]) for d in chain[1:-1]]
        waypoints.append((end[(u, v)], y[v] - nodes[v][2] / 2))
        routes[(u, v)] = _bezier(waypoints)
    return routes


def total_span(nodes: Sequence[tuple[str, float, float]], edges: Sequence[tuple[str, str]]) -> int:
    """How many ranks the edges cross in all: a measure of how hard a graph is to lay out
    (layered layouts add a dummy node per rank crossed)."""
    index = {node_id: i for i, (node_id, _, _) in enumerate(nodes)}
    pairs = sorted({(index[s], index[t]) for s, t in edges if index[s] != index[t]})
    rank = _ranks(len(nodes), pairs)
    return sum(abs(rank[v] - rank[u]) for u, v in pairs)


def _ranks(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for u, v in pairs:
        succs[u].append(v)
        preds[v].append(u)
    indegree = [len(p) for p in preds]
    order = [i for i in range(n) if indegree[i] == 0]
    for u in order:  # Kahn's algorithm; ``order`` grows while we walk it
        for v in succs[u]:
            indegree[v] -= 1
            if indegree[v] == 0:
                order.append(v)
    if len(order) < n:  # a cycle (flows are acyclic, but never loop forever on bad input)
        seen = set(order)
        order += [i for i in range(n) if i not in seen]
    position = {v: i for i, v in enumerate(order)}
    rank = [0] * n
    for v in order:
        for u in preds[v]:
            if position[u] < position[v]:
                rank[v] = max(rank[v], rank[u] + 1)
    for v in range(n):
        if not preds[v] and succs[v]:
            rank[v] = max(0, min(rank[s] for s in succs[v]) - 1)
    return rank


def _insert_dummies(
    pairs: list[tuple[int, int]],
    rank: list[int],
    vertex_rank: list[int],
    widths: list[float],
    budget: int,
) -> dict[tuple[int, int], list[int]]:
    """Each edge's chain of vertices; long edges get dummies (shortest spans first)."""
    chains = {}
    for u, v in sorted(pairs, key=lambda p: (rank[p[1]] - rank[p[0]], p)):
        span = rank[v] - rank[u]
        if 1 < span <= budget + 1:
            budget -= span - 1
            chain = [u]
            for r in range(rank[u] + 1, rank[v]):
                chain.append(len(vertex_rank))
                vertex_rank.append(r)
                widths.append(DUMMY_W)
            chain.append(v)
            chains[(u, v)] = chain
        else:
            chains[(u, v)] = [u, v]
    return chains


def _neighbours(
    vertex_rank: list[int], chains: dict[tuple[int, int], list[int]]
) -> tuple[list[list[int]], list[list[int]]]:
    """Each vertex's neighbours one rank up and one rank down. Long edges left without dummies
    (over the budget) take no part in ordering or placement."""
    up: list[list[int]] = [[] for _ in vertex_rank]
    down: list[list[int]] = [[] for _ in vertex_rank]
    for chain in chains.values():
        for a, b in zip(chain, chain[1:], strict=False):
            if vertex_rank[b] == vertex_rank[a] + 1:
                down[a].append(b)
                up[b].append(a)
    return up, down


def _order(vertex_rank: list[int], up: list[list[int]], down: list[list[int]]) -> list[list[int]]:
    """Vertices by rank, ordered by barycenter sweeps to reduce crossings."""
    n_ranks = max(vertex_rank, default=-1) + 1
    layers: list[list[int]] = [[] for _ in range(n_ranks)]
    for v, r in enumerate(vertex_rank):
        layers[r].append(v)
    pos = [0.0] * len(vertex_rank)
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i
    for _ in range(SWEEPS):
        for ranks, nbrs in ((range(1, n_ranks), up), (range(n_ranks - 2, -1, -1), down)):
            for r in ranks:
                layer = layers[r]
                bary = {}
                for v in layer:
                    vs = nbrs[v]
                    bary[v] = sum(pos[u] for u in vs) / len(vs) if vs else pos[v]
                layer.sort(key=bary.__getitem__)
                for i, v in enumerate(layer):
                    pos[v] = i
    return layers


def _place(
    layers: list[list[int]], widths: list[float], up: list[list[int]], down: list[list[int]]
) -> list[float]:
    """The x centre of every vertex."""
    x = [0.0] * len(widths)
    for layer in layers:
        left = 0.0
        for v in layer:
            x[v] = left + widths[v] / 2
            left += widths[v] + NODE_SEP
    n_ranks = len(layers)
    for _ in range(PLACEMENT_ROUNDS):
        for ranks, nbrs in ((range(1, n_ranks), up), (range(n_ranks - 2, -1, -1), down)):
            for r in ranks:
                layer = layers[r]
                wanted = []
                for v in layer:
                    vs = nbrs[v]
                    wanted.append(sum(x[u] for u in vs) / len(vs) if vs else x[v])
                for v, cx in zip(
                    layer, _closest_spaced(wanted, [widths[v] for v in layer]), strict=True
                ):
                    x[v] = cx
    return x


def _closest_spaced(wanted: list[float], widths: list[float]) -> list[float]:
    """Centres as close as possible (least squares) to ``wanted``, in the same order, with
    ``NODE_SEP`` between neighbours.

    With offsets ``s_i`` (the packed position of each box), ``c_i = z_i + s_i`` must have
    non-decreasing ``z_i``: an isotonic regression of ``wanted_i - s_i``, solved by pooling
    adjacent violators.
    """
    offsets = []
    s = 0.0
    for i, w in enumerate(widths):
        if i:
            s += (widths[i - 1] + w) / 2 + NODE_SEP
        offsets.append(s)
    blocks: list[list[float]] = []  # [mean, count]
    for target, offset in zip(wanted, offsets, strict=True):
        blocks.append([target - offset, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, count = blocks.pop()
            prev = blocks[-1]
            prev[0] = (prev[0] * prev[1] + mean * count) / (prev[1] + count)
            prev[1] += count
    result = []
    i = 0
    for mean, count in blocks:
        for _ in range(int(count)):
            result.append(mean + offsets[i])
            i += 1
    return result


def _bezier(waypoints: list[Point]) -> list[Point]:
    """Cubic Bézier control points through ``waypoints``, vertical at each of them."""
    ax, ay = waypoints[0]
    points = [(round(ax, 1), round(ay, 1))]
    for bx, by in waypoints[1:]:
        mid = round((ay + by) / 2, 1)
        rbx, rby = round(bx, 1), round(by, 1)
        points += [(points[-1][0], mid), (rbx, mid), (rbx, rby)]
        ay = by
    return points
