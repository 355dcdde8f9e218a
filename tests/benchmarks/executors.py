"""Executors side by side: prefect_jupyter's, raw Dask, raw distributed and Prefect 1.4.1.

    python tests/benchmarks/executors.py [--quick] [--markdown] [--timeout S] [--repeat N]
        [--systems NAME,...] [--prefect1 PYTHON | --no-prefect1] [--prefect1-max-task-runs N]
        [--no-estimate]

Runs the same workloads (`executor_workloads.py`: chain, fan-out + reduce, map, two chained
maps, a diamond lattice; trivial task bodies) on

- prefect_jupyter: LocalExecutor, LocalDaskExecutor (threads and processes), DaskExecutor
  connected to a `distributed.LocalCluster` (2 workers × 1 thread) that this script starts
  (its start-up is not timed),
- raw `dask.delayed` on the threaded scheduler, `dask.threaded.get` on a hand-built dict graph
  (dask's scheduler alone), and raw `distributed` futures on the same cluster,
- Prefect 1.4.1 (LocalExecutor, LocalDaskExecutor threads) in its own venv, on the workloads of
  at most 10,002 task runs (500 with --quick; `--prefect1-max-task-runs`): Prefect 1 takes
  10-30 ms per task run. Without a Prefect 1 venv, the script makes one:
  `python -m venv ~/.cache/prefect-jupyter-bench/prefect1 && pip install prefect==1.4.1`.

and a sweep of `map` over 1k/10k/100k items on LocalExecutor and LocalDaskExecutor(threads),
fitting the exponent of time vs N. Each (system, workload) runs in a fresh process
(`executor_child.py`). Logging is at WARNING for every engine, so the per-task INFO records
(measured by `engine_overhead.py`) are not part of these figures. With `--repeat N` every case
but Prefect 1's runs N times, in N rounds over all cases (so a burst of load elsewhere on the
machine hits every system alike), and the fastest run is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import executor_report as report
from executor_child import LOG_LEVEL_VARIABLES, RESULT_PREFIX, SYSTEMS
from executor_report import Outcome, Results
from executor_workloads import WORKLOAD_NAMES, describe_size, task_runs

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CHILD_SCRIPT = HERE / "executor_child.py"

DEFAULT_PREFECT1 = Path("/opt/prefect1/bin/python")
CACHED_PREFECT1_VENV = Path.home() / ".cache" / "prefect-jupyter-bench" / "prefect1"

FULL = {"chain": 1_000, "fanout": 1_000, "map": 10_000, "map2": 10_000, "diamond": 1_000}
QUICK = {"chain": 200, "fanout": 200, "map": 1_000, "map2": 1_000, "diamond": 200}
FULL_SWEEP = (1_000, 10_000, 100_000)
QUICK_SWEEP = (250, 1_000, 4_000)
SWEEP_SYSTEMS = ("ours-local", "ours-dask-threads")
# Prefect 1 takes 10-30 ms per task run: it runs the workloads of at most this many task runs
# (full: all but map2 over 10,000 items, 20,003 task runs, about 5 minutes per executor)
PREFECT1_MAX_TASK_RUNS = {"full": 10_002, "quick": 500}
# table order; Prefect 1 rows go last since they take longest
SYSTEM_ORDER = (
    "ours-local",
    "ours-dask-threads",
    "raw-delayed",
    "raw-dict-graph",
    "ours-dask-processes",
    "ours-distributed",
    "raw-futures",
    "prefect1-local",
    "prefect1-dask-threads",
)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Prefect 1 --------------------------------------------------------------------------------


def can_import_prefect(python: Path) -> bool:
    try:
        done = subprocess.run(
            [str(python), "-c", "import prefect, sys; sys.exit(prefect.__version__ != '1.4.1')"],
            capture_output=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def install_prefect1(venv: Path) -> Path | None:
    """Create `venv` with prefect==1.4.1 in it; None (and the reason printed) on failure."""
    python = venv / "bin" / "python"
    progress(f"Prefect 1.4.1: installing into {venv} (once) ...")
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [[base, "-m", "venv", str(venv)], [str(python), "-m", "pip", "install", "prefect==1.4.1"]]
    for command in steps:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            print(f"Prefect 1: not measured, `{' '.join(command)}` failed: {' / '.join(tail)}")
            return None
    return python


def find_prefect1(option: str | None) -> Path | None:
    """`--prefect1`, else /opt/prefect1, else the cached venv (made if missing)."""
    if option:
        python = Path(option)
        if can_import_prefect(python):
            return python
        print(f"Prefect 1: not measured, {python} cannot import prefect 1.4.1")
        return None
    for python in (DEFAULT_PREFECT1, CACHED_PREFECT1_VENV / "bin" / "python"):
        if python.exists() and can_import_prefect(python):
            return python
    python = install_prefect1(CACHED_PREFECT1_VENV)
    if python is not None and not can_import_prefect(python):
        print(f"Prefect 1: not measured, {python} cannot import prefect 1.4.1 after installing")
        return None
    return python


# --- the cluster ------------------------------------------------------------------------------


def start_cluster() -> tuple[object, float]:
    """A LocalCluster of 2 single-threaded worker processes, its workers already importing
    prefect_jupyter and the workloads (so the first timed run doesn't pay for that)."""
    import importlib
    import logging

    from distributed import Client, LocalCluster

    started = time.perf_counter()
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    with Client(cluster) as client:
        for module in ("prefect_jupyter.engine.task_runner", "executor_workloads"):
            client.run(importlib.import_module, module)
    return cluster, time.perf_counter() - started


# --- children ---------------------------------------------------------------------------------


def child_env(for_prefect1: bool) -> dict[str, str]:
    env = dict(os.environ)
    if for_prefect1:
        env.pop("PYTHONPATH", None)  # this repository has nothing Prefect 1 needs
    return env


def run_child(python: str, args: Sequence[str], env: dict[str, str], timeout: float) -> Outcome:
    """Run `executor_child.py` in its own process group (a timed-out child's worker processes
    go with it) and parse its `RESULT` line."""
    system, workload, size = args[0], args[1], int(args[2])
    command = [python, str(CHILD_SCRIPT), *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return Outcome(system, workload, size, "timeout", detail=f"(>{timeout:g} s)")
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return Outcome(system, workload, size, "ok", json.loads(line[len(RESULT_PREFIX) :]))
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else "no output"
    return Outcome(system, workload, size, "failed", detail=f"exit {process.returncode}: {last}")


class Estimator:
    """Skips a case that can't finish in the timeout, judged by the fastest µs/task the system
    has shown so far (an optimistic guess: a skipped case would surely have timed out)."""

    def __init__(self, timeout: float, enabled: bool) -> None:
        self.timeout, self.enabled = timeout, enabled
        self.best: dict[str, float] = {}

    def estimate(self, system: str, workload: str, size: int) -> float | None:
        per_task = self.best.get(system)
        if not self.enabled or per_task is None:
            return None
        seconds = per_task * task_runs(workload, size)
        return seconds if seconds > self.timeout else None

    def learn(self, outcome: Outcome) -> None:
        if outcome.ok:
            per_task = outcome.data["wall_s"] / outcome.data["task_runs"]
            self.best[outcome.system] = min(per_task, self.best.get(outcome.system, per_task))


def plan(
    quick: bool, with_prefect1: bool, systems: Sequence[str] = SYSTEM_ORDER
) -> list[tuple[str, str, int]]:
    """Every (system, workload, size) of the tables, in table order."""
    sizes = QUICK if quick else FULL
    cases = []
    for workload in WORKLOAD_NAMES:
        for system in SYSTEM_ORDER:
            if system not in systems or (SYSTEMS[system].is_prefect1 and not with_prefect1):
                continue
            cases.append((system, workload, sizes[workload]))
    for size in QUICK_SWEEP if quick else FULL_SWEEP:
        for system in SWEEP_SYSTEMS:
            if system in systems and (system, "map", size) not in cases:
                cases.append((system, "map", size))
    return cases


def faster(old: Outcome | None, new: Outcome) -> Outcome:
    """The run to report of two runs of one case: the faster good one, else the latest."""
    if old is None or not old.ok:
        return new
    if not new.ok:
        return old
    best = old if old.data["wall_s"] <= new.data["wall_s"] else new
    best.data["runs"] = old.data.get("runs", 1) + 1
    return best


def run_all(
    cases: Sequence[tuple[str, str, int]],
    prefect1: Path | None,
    prefect1_limit: int,
    address: str,
    timeout: float,
    estimate: bool,
    repeat: int = 1,
) -> Results:
    results: Results = {}
    estimator = Estimator(timeout, estimate)
    rounds = [(r, c) for r in range(repeat) for c in cases if r == 0 or not SYSTEMS[c[0]].is_prefect1]
    for number, (round_, (system, workload, size)) in enumerate(rounds, start=1):
        spec = SYSTEMS[system]
        name = f"{workload} {describe_size(workload, size)} | {spec.label}"
        if round_ and not (results.get((system, workload, size)) or Outcome("", "", 0, "")).ok:
            continue  # failed, timed out or skipped in an earlier round: don't try again
        total = len(rounds)
        if repeat > 1:
            name = f"round {round_ + 1}/{repeat}: {name}"
        guess = estimator.estimate(system, workload, size)
        if spec.is_prefect1 and task_runs(workload, size) > prefect1_limit:
            detail = f"(> {prefect1_limit:,} task runs)"
            outcome = Outcome(system, workload, size, "not run", detail=detail)
            progress(f"[{number}/{total}] {name}: not run {detail}")
        elif guess is not None and not round_:
            outcome = Outcome(system, workload, size, "timeout", detail=f"(skipped, est. {guess:.0f} s)")
            progress(f"[{number}/{total}] {name}: skipped, estimated {guess:.0f} s")
        else:
            progress(f"[{number}/{total}] {name} ...")
            python = str(prefect1) if spec.is_prefect1 else sys.executable
            args = [system, workload, str(size)]
            if spec.needs_cluster:
                args += ["--address", address]
            started = time.perf_counter()
            outcome = run_child(python, args, child_env(spec.is_prefect1), timeout)
            wall = f", wall {outcome.data['wall_s']:.2f} s" if outcome.status == "ok" else ""
            progress(f"    {outcome.status} in {time.perf_counter() - started:.1f} s{wall}")
            estimator.learn(outcome)
            outcome = faster(results.get((system, workload, size)), outcome)
        results[(system, workload, size)] = outcome
    return results


# --- output -----------------------------------------------------------------------------------


def machine_lines() -> list[str]:
    import dask
    import distributed

    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        memory = f", {total / 2**30:.1f} GiB RAM"
    return [
        f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{memory}; "
        f"Python {platform.python_version()}; dask {dask.__version__}, "
        f"distributed {distributed.__version__}",
        "Load average: " + ", ".join(f"{n:.2f}" for n in os.getloadavg()),
    ]


LEGEND = """\
Logging: PREFECT_JUPYTER__LOGGING__LEVEL=WARNING and PREFECT__LOGGING__LEVEL=WARNING for every
row (no per-task INFO records; engine_overhead.py measures what they cost).
startup s: wall time of a one-task run on the same system, measured before the workload (the
fixed cost of each flow run: for LocalDaskExecutor(processes) starting the process pool, for
DaskExecutor connecting a client). It is included in wall s.
wall s: one run, from flow.run() to its final state (the flow is built beforehand); with
--repeat N, the fastest of N runs, each in its own process (Prefect 1: one run). Raw dask
and distributed rows build their graph inside the timed region, as a flow run submits its tasks.
µs/task: wall s / task runs (the flow's task runs; mapped parents and children each count).
peak RSS: the peak resident memory of the process running the flow during the timed run
(kernel peak reset just before it); Δ RSS: that peak minus the resident memory just before the
run. Not tracemalloc; memory of worker processes (process pool, distributed workers) is not
included.
ratio to peer: this row's wall s / the peer's on the same workload (ours / raw dask.delayed,
ours / raw futures, Prefect 1 / ours)."""


def print_report(
    results: Results, cases: Sequence[tuple[str, str, int]], quick: bool, markdown: bool
) -> None:
    sizes = QUICK if quick else FULL
    sweep = QUICK_SWEEP if quick else FULL_SWEEP
    main_rows = [
        results[c] for c in cases if c[1] != "map" or c[2] == sizes["map"]
    ]  # the sweep's extra sizes show in their own table
    checks = [
        report.ratio_check(
            results, "ours-dask-threads", sizes, "LocalDaskExecutor(threads) vs raw dask.delayed"
        ),
        report.ratio_check(results, "ours-distributed", sizes, "DaskExecutor vs raw futures"),
        report.map_100k_check(results),
        report.slope_check(results, SWEEP_SYSTEMS, sweep),
    ]
    for as_markdown in (False, True) if markdown else (False,):
        print()
        print(report.main_table(results, main_rows, as_markdown))
        print()
        print("Scaling: map over N items (wall s), exponent = log-log slope of time vs N")
        print()
        print(report.scaling_table(results, SWEEP_SYSTEMS, sweep, as_markdown))
        print()
        print("Targets")
        print()
        for check in checks:
            print(check.line(as_markdown))
    print()
    print(LEGEND)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about 3 minutes)")
    parser.add_argument("--markdown", action="store_true", help="also print markdown tables")
    parser.add_argument(
        "--timeout", type=float, default=300, metavar="S", help="seconds per child (default 300)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run each case (but Prefect 1's) N times, in N rounds, and report the fastest; "
        "use it on a busy machine (default 1)",
    )
    parser.add_argument(
        "--systems",
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        default=list(SYSTEM_ORDER),
        metavar="NAME,...",
        help="only these systems (default all: " + ", ".join(SYSTEM_ORDER) + ")",
    )
    parser.add_argument("--prefect1", metavar="PYTHON", help="a Python with prefect==1.4.1")
    parser.add_argument("--no-prefect1", action="store_true", help="skip the Prefect 1 rows")
    parser.add_argument(
        "--prefect1-max-task-runs",
        type=int,
        metavar="N",
        help="run Prefect 1 on workloads of at most N task runs (default 10,002; 500 with "
        "--quick; 20003 includes map2 over 10,000 items, about 5 minutes per executor)",
    )
    parser.add_argument(
        "--no-estimate",
        dest="estimate",
        action="store_false",
        help="run every case, even one whose estimated time (from the system's fastest µs/task "
        "so far) exceeds the timeout",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    unknown = sorted(set(args.systems) - set(SYSTEM_ORDER))
    if unknown:
        raise SystemExit(f"unknown system(s) {', '.join(unknown)}; choose from {', '.join(SYSTEM_ORDER)}")
    began = time.perf_counter()
    for variable in LOG_LEVEL_VARIABLES:
        os.environ[variable] = "WARNING"
    # the cluster's workers and every child must import prefect_jupyter and the workloads
    paths = [str(HERE), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)

    print(f"Executors side by side ({'--quick' if args.quick else 'full'}), trivial task bodies")
    for line in machine_lines():
        print(line)
    wants_prefect1 = any(SYSTEMS[s].is_prefect1 for s in args.systems)
    prefect1 = None if args.no_prefect1 or not wants_prefect1 else find_prefect1(args.prefect1)
    print(f"Prefect 1.4.1: {prefect1 or 'not measured'}")
    cluster, cluster_s = start_cluster()
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    print(f"LocalCluster: 2 workers × 1 thread at {address}, started in {cluster_s:.1f} s (not timed)")
    repeat = max(1, args.repeat)
    print(f"Timeout per process: {args.timeout:g} s; fastest of {repeat} run(s) per case"
          + (" (Prefect 1: one run)" if repeat > 1 and prefect1 is not None else ""))
    sys.stdout.flush()
    mode = "quick" if args.quick else "full"
    prefect1_limit = args.prefect1_max_task_runs or PREFECT1_MAX_TASK_RUNS[mode]
    if prefect1 is not None:
        print(f"Prefect 1 runs the workloads of at most {prefect1_limit:,} task runs")
    cases = plan(args.quick, prefect1 is not None, args.systems)
    try:
        results = run_all(
            cases, prefect1, prefect1_limit, address, args.timeout, args.estimate, repeat
        )
    finally:
        cluster.close()  # type: ignore[attr-defined]
    print_report(results, cases, args.quick, args.markdown)
    print()
    print(f"Load average at the end: {', '.join(f'{n:.2f}' for n in os.getloadavg())}; "
          f"total time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
