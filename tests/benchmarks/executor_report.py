"""Tables, ratios, the scaling fit and the target checks of `executors.py`.

Plain data in, text out: every figure comes from the `Outcome`s the children reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from executor_child import SYSTEMS
from executor_workloads import describe_size

RATIO_LIMIT = 1.5  # ours / the raw peer
SLOPE_LIMIT = 1.15  # "linear": the log-log slope of time vs N stays at or below this
MAP_100K_SECONDS = 10.0
MAP_100K_BYTES = 2**30

SHORT_NAMES = {
    "raw-delayed": "dask.delayed",
    "raw-futures": "futures",
    "ours-local": "ours Local",
    "ours-dask-threads": "ours LocalDask",
}


@dataclass
class Outcome:
    """One (system, workload, size): what its child process reported, or why it has no data."""

    system: str
    workload: str
    size: int
    status: str  # "ok", "timeout", "failed" or "not run"
    data: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.data.get("result_ok"))

    @property
    def wall(self) -> float | None:
        return self.data["wall_s"] if self.ok else None


Results = dict[tuple[str, str, int], Outcome]


def peer_ratio(results: Results, outcome: Outcome) -> tuple[float, str] | None:
    """(this system's wall time / its peer's, the peer's short name) on the same workload."""
    peer = SYSTEMS[outcome.system].peer
    if peer is None:
        return None
    other = results.get((peer, outcome.workload, outcome.size))
    if outcome.wall is None or other is None or other.wall is None:
        return None
    return outcome.wall / other.wall, SHORT_NAMES.get(peer, peer)


# --- the main table ---------------------------------------------------------------------------

HEADERS = [
    "workload",
    "system",
    "task runs",
    "startup s",
    "wall s",
    "µs/task",
    "peak RSS MiB",
    "Δ RSS MiB",
    "ratio to peer",
    "result",
]
NUMERIC = {"task runs", "startup s", "wall s", "µs/task", "peak RSS MiB", "Δ RSS MiB"}


def mib(n_bytes: float | None) -> str:
    return "-" if n_bytes is None else f"{n_bytes / 2**20:,.1f}"


def result_cell(outcome: Outcome) -> str:
    if outcome.status != "ok":
        return f"{outcome.status} {outcome.detail}".strip()
    if not outcome.data["result_ok"]:
        return f"WRONG: {outcome.data['result']}"
    counted = outcome.data.get("counted_task_runs")
    if counted is not None and counted != outcome.data["task_runs"]:
        return f"ok ({counted} task runs counted)"
    return "ok"


def row_cells(results: Results, outcome: Outcome) -> list[str]:
    name = f"{outcome.workload} {describe_size(outcome.workload, outcome.size)}"
    cells = [name, SYSTEMS[outcome.system].label]
    if outcome.status != "ok":
        return [*cells, "-", "-", outcome.status, "-", "-", "-", "-", result_cell(outcome)]
    data = outcome.data
    runs, wall = data["task_runs"], data["wall_s"]
    before = data.get("rss_before_bytes")
    delta = None if before is None else max(0, data["peak_rss_bytes"] - before)
    ratio = peer_ratio(results, outcome)
    return [
        *cells,
        f"{runs:,}",
        f"{data['startup_s']:.3f}",
        f"{wall:.3f}",
        f"{wall / runs * 1e6:,.0f}",
        mib(data["peak_rss_bytes"]),
        mib(delta),
        "-" if ratio is None else f"{ratio[0]:.2f}× {ratio[1]}",
        result_cell(outcome),
    ]


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    numeric = [h in NUMERIC or h.startswith("N =") for h in headers]
    if markdown:
        align = ["---:" if n else "---" for n in numeric]
        return "\n".join("| " + " | ".join(r) + " |" for r in [headers, align, *rows])
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True)
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def main_table(results: Results, order: Sequence[Outcome], markdown: bool) -> str:
    return render(HEADERS, [row_cells(results, o) for o in order], markdown)


# --- scaling ----------------------------------------------------------------------------------


def log_log_slope(points: Sequence[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(time) against log(N): 1 means time grows linearly in N."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def sweep_points(results: Results, system: str, sizes: Sequence[int]) -> list[tuple[int, float]]:
    points = []
    for size in sizes:
        outcome = results.get((system, "map", size))
        if outcome is not None and outcome.wall is not None:
            points.append((size, outcome.wall))
    return points


def scaling_table(
    results: Results, systems: Sequence[str], sizes: Sequence[int], markdown: bool
) -> str:
    headers = ["system", *(f"N = {n:,} s" for n in sizes), "µs/task at largest N", "exponent"]
    rows = []
    for system in systems:
        cells = [SYSTEMS[system].label]
        for size in sizes:
            outcome = results.get((system, "map", size))
            if outcome is None:
                cells.append("-")
            else:
                cells.append(f"{outcome.wall:.3f}" if outcome.wall is not None else outcome.status)
        points = sweep_points(results, system, sizes)
        slope = log_log_slope(points)
        if points:
            largest, wall = points[-1]
            cells.append(f"{wall / (largest + 2) * 1e6:,.0f}")
        else:
            cells.append("-")
        cells.append("-" if slope is None else f"{slope:.2f}")
        rows.append(cells)
    return render(headers, rows, markdown)


# --- targets ----------------------------------------------------------------------------------


@dataclass
class Check:
    passed: bool | None  # None: not measured
    text: str

    def line(self, markdown: bool) -> str:
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[self.passed]
        return f"- **{mark}** {self.text}" if markdown else f"{mark}  {self.text}"


def ratio_check(results: Results, system: str, workloads: dict[str, int], what: str) -> Check:
    ratios = []
    for workload, size in workloads.items():
        outcome = results.get((system, workload, size))
        ratio = None if outcome is None else peer_ratio(results, outcome)
        ratios.append((workload, None if ratio is None else ratio[0]))
    measured = [r for _, r in ratios if r is not None]
    parts = ", ".join(f"{w} {'-' if r is None else f'{r:.2f}×'}" for w, r in ratios)
    passed = None if not measured else all(r <= RATIO_LIMIT for r in measured)
    if passed and len(measured) < len(ratios):
        passed = False  # a workload that failed or timed out can't pass
    return Check(passed, f"{what} within {RATIO_LIMIT}× on every workload: {parts}")


def map_100k_check(results: Results) -> Check:
    outcome = results.get(("ours-local", "map", 100_000))
    what = "map over 100,000 items on LocalExecutor, build + run < 10 s and peak RSS < 1 GiB"
    if outcome is None:
        return Check(None, f"{what}: not run (full mode only)")
    if not outcome.ok:
        return Check(False, f"{what}: {outcome.status} {outcome.detail}")
    seconds = outcome.data["build_s"] + outcome.data["wall_s"]
    peak = outcome.data["peak_rss_bytes"]
    passed = seconds < MAP_100K_SECONDS and peak < MAP_100K_BYTES
    return Check(
        passed,
        f"{what}: {seconds:.2f} s (build {outcome.data['build_s']:.2f} s + run "
        f"{outcome.data['wall_s']:.2f} s), peak RSS {mib(peak)} MiB",
    )


def slope_check(results: Results, systems: Sequence[str], sizes: Sequence[int]) -> Check:
    parts, slopes = [], []
    for system in systems:
        points = sweep_points(results, system, sizes)
        slope = log_log_slope(points) if len(points) == len(sizes) else None
        slopes.append(slope)
        parts.append(f"{SYSTEMS[system].label} {'-' if slope is None else f'{slope:.2f}'}")
    passed = None if all(s is None for s in slopes) else all(
        s is not None and s <= SLOPE_LIMIT for s in slopes
    )
    sweep = "/".join(f"{n:,}" for n in sizes)
    return Check(
        passed,
        f"cost linear in N (log-log slope of time vs N over map {sweep} ≤ {SLOPE_LIMIT}): "
        + ", ".join(parts),
    )
