"""Engine overhead of prefect_jupyter next to Prefect 1.4.1, both with the LocalExecutor.

    python tests/benchmarks/engine_overhead.py [--quick] [--prefect1 /opt/prefect1/bin/python]
        [--timeout 600] [--repeat 1] [--markdown] [--no-tracemalloc] [--before DIR]

Workloads (task bodies are trivial, so the time is the engine's): a chain of tasks each adding
1 to the one before, a fan-out of independent children under one root, and `map` over a list.
Each (workload, engine, log level) runs in fresh processes of `run_workload.py`, started with
the engine's own interpreter: a plain process gives the build time, the run time and the max
RSS, and a second process, with tracemalloc on, the peak of memory allocated during the run. Prefect 1 runs in its own
venv (`--prefect1`); without it only prefect_jupyter is measured.

Both engines log at INFO (their default), with the console handler swapped for one that formats
each record and drops it, and again at WARNING, to show what formatting log records costs.

`--before DIR` also measures an earlier prefect_jupyter, whose `prefect_jupyter` package is in
DIR (e.g. `git archive <commit> prefect_jupyter | tar -x -C DIR`), each case right after the
same case of this tree's, so that a before/after comparison sees the same load; the `load`
column is the machine's 1-minute load average when the case ended.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from run_workload import RESULT_PREFIX
from workloads import ENGINES

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CHILD_SCRIPT = HERE / "run_workload.py"

DEFAULT_PREFECT1 = "/opt/prefect1/bin/python"
MAKE_PREFECT1_VENV = "python -m venv /opt/prefect1 && /opt/prefect1/bin/pip install prefect==1.4.1"

FULL_SIZES = [("chain", 1_000), ("fanout", 1_000), ("map", 10_000), ("map", 100_000), ("diamond", 1_000)]
QUICK_SIZES = [("chain", 200), ("fanout", 200), ("map", 2_000), ("map", 10_000), ("diamond", 200)]
LOG_LEVELS = ("INFO", "WARNING")

HEADERS = [
    "workload",
    "engine",
    "log level",
    "task runs",
    "build s",
    "run s",
    "µs/task",
    "CPU µs/task",
    "tasks/s",
    "tracemalloc peak MiB",
    "max RSS MiB",
    "load",
    "result",
]


@dataclass(frozen=True)
class Settings:
    """How each case is run."""

    timeout: float  # seconds allowed per child process
    trace_memory: bool  # also run a traced process for the tracemalloc peak
    repeat: int  # timing processes per case; the one with the median CPU time is reported


@dataclass(frozen=True)
class Interpreter:
    """A Python that can import one engine."""

    engine: str
    python: str
    label: str = ""  # "prefect_jupyter 0.1.0", filled in by `describe_engine`
    source: Path = REPO_ROOT  # where prefect_jupyter is imported from (see --before)


@dataclass
class ChildOutcome:
    """What one child process reported."""

    status: str  # "ok", "timed out" or "failed"
    data: dict[str, Any] = field(default_factory=dict)
    detail: str = ""


@dataclass
class Row:
    """One line of the table: a workload on one engine at one log level."""

    workload: str
    size: int
    engine_label: str
    log_level: str
    timing: ChildOutcome
    memory: ChildOutcome | None  # None when not measured
    load: float | None = None  # 1-minute load average when the case ended


# --- running children -------------------------------------------------------------------------


def child_env(engine: str, log_level: str, source: Path = REPO_ROOT) -> dict[str, str]:
    """The environment of a child: the log level set, and `source` (this repo, or the tree
    given with --before) importable first for our engine."""
    env = dict(os.environ)
    env[ENGINES[engine].log_level_env] = log_level
    if engine == "prefect_jupyter":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    return env


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"


def run_child(
    python: str, args: Sequence[str], env: dict[str, str], timeout: float
) -> ChildOutcome:
    """Run `run_workload.py` with `args` and parse the `RESULT` line it prints."""
    command = [python, str(CHILD_SCRIPT), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return ChildOutcome("timed out", detail=f">{timeout:g} s")
    except OSError as error:
        return ChildOutcome("failed", detail=str(error))
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return ChildOutcome("ok", data=json.loads(line[len(RESULT_PREFIX) :]))
    return ChildOutcome("failed", detail=f"exit {done.returncode}: {last_line(done.stderr)}")


def describe_engine(
    engine: str, python: str, timeout: float, source: Path = REPO_ROOT
) -> Interpreter | ChildOutcome:
    """Ask `python` which engine version and Python it has; a failure comes back as is."""
    outcome = run_child(python, [engine, "--describe"], child_env(engine, "INFO", source), timeout)
    if outcome.status != "ok":
        return outcome
    label = f"{ENGINES[engine].label} {outcome.data['engine_version']}"
    if source != REPO_ROOT:
        label += " before"
    return Interpreter(engine, python, label, source)


def median_run(python: str, args: list[str], env: dict[str, str], settings: Settings) -> ChildOutcome:
    """Time a case in `settings.repeat` fresh processes and keep the one with the median CPU
    time (CPU time, because the machine may be shared; the median, because one process can be
    unlucky either way). Stops at the first process that fails."""
    timings: list[ChildOutcome] = []
    for _ in range(settings.repeat):
        outcome = run_child(python, args, env, settings.timeout)
        if outcome.status != "ok":
            break
        timings.append(outcome)
    if not timings:
        return outcome
    timings.sort(key=lambda t: t.data.get("cpu_s", t.data["wall_s"]))
    return timings[(len(timings) - 1) // 2]


def measure(
    interpreter: Interpreter, workload: str, size: int, log_level: str, settings: Settings
) -> Row:
    """Time one case in fresh processes, then trace its memory in another."""
    env = child_env(interpreter.engine, log_level, interpreter.source)
    args = [interpreter.engine, workload, str(size)]
    timing = median_run(interpreter.python, args, env, settings)
    memory = None
    if settings.trace_memory and timing.status == "ok":
        memory = run_child(interpreter.python, [*args, "--tracemalloc"], env, settings.timeout)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return Row(workload, size, interpreter.label, log_level, timing, memory, load)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_all(
    interpreters: Sequence[Interpreter],
    sizes: Iterable[tuple[str, int]],
    settings: Settings,
) -> list[Row]:
    # the engines of one case one after the other, so that they see the same load
    cases = [
        (workload, size, interpreter, level)
        for workload, size in sizes
        for level in LOG_LEVELS
        for interpreter in interpreters
    ]
    rows = []
    for number, (workload, size, interpreter, level) in enumerate(cases, start=1):
        name = f"{workload_name(workload, size)} | {interpreter.label} | {level}"
        progress(f"[{number}/{len(cases)}] {name} ...")
        started = time.perf_counter()
        row = measure(interpreter, workload, size, level, settings)
        progress(f"    {row.timing.status} in {time.perf_counter() - started:.1f} s")
        rows.append(row)
    return rows


# --- the table --------------------------------------------------------------------------------


def workload_name(workload: str, size: int) -> str:
    return f"{workload} {size:,}"


def mib(n_bytes: float | None) -> str:
    return "-" if n_bytes is None else f"{n_bytes / 2**20:,.1f}"


def memory_cell(memory: ChildOutcome | None) -> str:
    if memory is None:
        return "-"
    if memory.status != "ok":
        return f"{memory.status} {memory.detail}".strip()
    return mib(memory.data["tracemalloc_peak_bytes"])


def result_cell(timing: ChildOutcome) -> str:
    if timing.status != "ok":
        return f"{timing.status}: {timing.detail}"
    if timing.data["results_ok"]:
        return "ok"
    return f"wrong results, final state {timing.data['state']}"


def row_cells(row: Row) -> list[str]:
    cells = [workload_name(row.workload, row.size), row.engine_label, row.log_level]
    data = row.timing.data
    load = "-" if row.load is None else f"{row.load:.1f}"
    if row.timing.status != "ok":
        return [*cells, "-", "-", row.timing.status, "-", "-", "-", "-", "-", load, result_cell(row.timing)]
    wall, runs = data["wall_s"], data["task_runs"]
    cpu = data.get("cpu_s")
    return [
        *cells,
        f"{runs:,}",
        f"{data['build_s']:.3f}",
        f"{wall:.3f}",
        f"{wall / runs * 1e6:,.0f}",
        "-" if cpu is None else f"{cpu / runs * 1e6:,.0f}",
        f"{runs / wall:,.0f}",
        memory_cell(row.memory),
        mib(data["max_rss_bytes"]),
        load,
        result_cell(row.timing),
    ]


NUMERIC_COLUMNS = {"task runs", "build s", "run s", "µs/task", "CPU µs/task", "tasks/s"}
NUMERIC_COLUMNS |= {"tracemalloc peak MiB", "max RSS MiB", "load"}


def render_plain(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if header in NUMERIC_COLUMNS else cell.ljust(width)
            for cell, width, header in zip(cells, widths, HEADERS, strict=True)
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(HEADERS), rule, *(line(r) for r in rows)])


def render_markdown(rows: Sequence[Sequence[str]]) -> str:
    align = ["---:" if header in NUMERIC_COLUMNS else "---" for header in HEADERS]
    lines = [HEADERS, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


LEGEND = """\
run s: wall time of flow.run() only (the flow is built beforehand: build s); with --repeat N,
the process with the median CPU time of N (build s and max RSS are from that process).
µs/task: run s / task runs; CPU µs/task: CPU time of flow.run() / task runs (what a shared
machine distorts least); tasks/s: task runs / run s. Task runs count mapped children
(map n: the list task + the mapped parent + n children; fanout n: root + n children;
diamond n: n // 50 layers of 50 tasks, each adding two tasks of the layer before).
tracemalloc peak: memory allocated during flow.run(), from a second, traced process.
max RSS: peak resident memory of the untraced process (interpreter + imports + flow + run).
load: the machine's 1-minute load average when the case ended (other work inflates CPU time too).
log level INFO: records are formatted and dropped (no console output); WARNING: not emitted."""


# --- main -------------------------------------------------------------------------------------


def machine_lines() -> list[str]:
    cpu_model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = f" ({line.split(':', 1)[1].strip()})"
                break
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        memory = f", {total / 2**30:.1f} GiB RAM"
    lines = [
        f"Machine: {platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs{cpu_model}{memory}",
        f"Python: {platform.python_implementation()} {platform.python_version()}",
    ]
    if hasattr(os, "getloadavg"):
        # other processes on the machine skew the timings; say how busy it was
        lines.append("Load average at start: " + ", ".join(f"{n:.2f}" for n in os.getloadavg()))
    return lines


def find_interpreters(prefect1: str, timeout: float, before: Path | None = None) -> list[Interpreter]:
    """The engines to measure, each with its interpreter; says why Prefect 1 is skipped."""
    found = []
    candidates = [("prefect_jupyter", sys.executable, REPO_ROOT)]
    if before is not None:
        candidates.insert(0, ("prefect_jupyter", sys.executable, before.resolve()))
    if Path(prefect1).exists():
        candidates.append(("prefect1", prefect1, REPO_ROOT))
    else:
        print(f"Prefect 1: skipped, no interpreter at {prefect1}. To compare, create it with")
        print(f"    {MAKE_PREFECT1_VENV}")
    for engine, python, source in candidates:
        described = describe_engine(engine, python, timeout, source)
        if isinstance(described, ChildOutcome):
            print(f"{engine}: skipped, {python} cannot load it ({described.detail})")
            continue
        print(f"{described.label}: {python}, from {described.source}")
        found.append(described)
    return found


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes: chain 200, fanout 200, map 2k/10k, diamond 200"
    )
    parser.add_argument(
        "--prefect1",
        default=DEFAULT_PREFECT1,
        metavar="PYTHON",
        help=f"interpreter of a venv with prefect==1.4.1 (default {DEFAULT_PREFECT1})",
    )
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds allowed per child process"
    )
    parser.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    parser.add_argument(
        "--no-tracemalloc",
        dest="trace_memory",
        action="store_false",
        help="skip the second, traced process of each case (about halves the time)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="time each case in N fresh processes and report the median by CPU time",
    )
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="also measure the prefect_jupyter package in DIR (an earlier version), case by case",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    print("Engine overhead, LocalExecutor, trivial task bodies")
    for line in machine_lines():
        print(line)
    interpreters = find_interpreters(args.prefect1, args.timeout, args.before)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    settings = Settings(args.timeout, args.trace_memory, max(1, args.repeat))
    print(f"Sizes: {', '.join(workload_name(w, s) for w, s in sizes)}")
    print(f"Timeout per process: {settings.timeout:g} s; median of {settings.repeat} timing run(s)")
    sys.stdout.flush()

    rows = [row_cells(row) for row in run_all(interpreters, sizes, settings)]
    print()
    print(render_plain(rows))
    print()
    print(LEGEND)
    if args.markdown:
        print()
        print(render_markdown(rows))


if __name__ == "__main__":
    main()
