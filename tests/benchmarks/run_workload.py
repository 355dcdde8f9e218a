"""Run one benchmark workload once on one engine and print the measurements as JSON.

`engine_overhead.py` starts this script in a fresh process for each measurement, with the
interpreter of the engine's venv, so memory figures of different runs never mix. Run it by hand
to look at a single case:

    python tests/benchmarks/run_workload.py prefect_jupyter map 10000
    /opt/prefect1/bin/python tests/benchmarks/run_workload.py prefect1 chain 1000 --tracemalloc
    python tests/benchmarks/run_workload.py prefect_jupyter fanout 1000 --count-calls

The flow is built before the measured region, after a warm-up run of a 1-task flow (so that
modules an engine loads on its first run are not counted); only `flow.run()` is timed. With `--tracemalloc`
the run is traced (slower) to report the peak of memory allocated during the run, so the
parent takes wall time and RSS from an untraced process and the tracemalloc peak from a traced
one. The engine's log level comes from its environment variable (see `workloads.ENGINES`); its
console output goes to a `FormattingNullHandler`.

The last line of stdout is `RESULT <json>`.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
import tracemalloc
from typing import Any

from workloads import ENGINES, WORKLOADS, build_workload, load_engine, send_log_output_to_null

RESULT_PREFIX = "RESULT "


def max_rss_bytes() -> int:
    """The peak resident set size of this process so far."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


def describe(engine_name: str) -> dict[str, Any]:
    """The interpreter and engine version, without running anything."""
    engine = load_engine(engine_name)
    return {
        "engine": engine_name,
        "engine_version": engine.version,
        "python": platform.python_version(),
        "executable": sys.executable,
    }


def measure(engine_name: str, workload: str, size: int, trace_memory: bool) -> dict[str, Any]:
    """Build the workload, run it once, and return the figures."""
    engine = load_engine(engine_name)
    send_log_output_to_null(engine.spec.package)

    # one warm-up run of a 1-task flow first, so that what an engine loads on its first run
    # (e.g. pendulum, ~30 ms) is not spread over the measured run's tasks
    build_workload(engine, "chain", 1).flow.run(executor=engine.local_executor_class())

    started = time.perf_counter()
    built = build_workload(engine, workload, size)
    build_s = time.perf_counter() - started
    executor = engine.local_executor_class()

    if trace_memory:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    state = built.flow.run(executor=executor)
    wall_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    traced_peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    tracemalloc.stop()

    return {
        **describe(engine_name),
        "workload": workload,
        "size": size,
        "task_runs": built.task_runs,
        "build_s": build_s,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "traced": trace_memory,
        "tracemalloc_peak_bytes": traced_peak,
        "max_rss_bytes": max_rss_bytes(),
        "state": repr(state),
        "results_ok": built.check(state),
    }


def count_calls(engine_name: str, workload: str, size: int) -> dict[str, Any]:
    """Run the workload once counting function calls (Python and C) per task run.

    Unlike CPU time, the count does not move with the machine's load: it shows what a change to
    the engine removed even when the machine is busy (each call costs ~0.05–0.2 µs).
    """
    engine = load_engine(engine_name)
    send_log_output_to_null(engine.spec.package)
    build_workload(engine, "chain", 1).flow.run(executor=engine.local_executor_class())
    built = build_workload(engine, workload, size)
    executor = engine.local_executor_class()
    calls = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        state = built.flow.run(executor=executor)
    finally:
        sys.setprofile(None)
    return {
        **describe(engine_name),
        "workload": workload,
        "size": size,
        "task_runs": built.task_runs,
        "calls": calls,
        "calls_per_task": calls / built.task_runs,
        "results_ok": built.check(state),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=sorted(ENGINES))
    parser.add_argument("workload", nargs="?", choices=sorted(WORKLOADS))
    parser.add_argument("size", nargs="?", type=int)
    parser.add_argument(
        "--tracemalloc", action="store_true", help="trace allocations during the run"
    )
    parser.add_argument(
        "--describe", action="store_true", help="only report the Python and engine versions"
    )
    parser.add_argument(
        "--count-calls",
        action="store_true",
        help="count function calls per task run instead of timing (independent of load)",
    )
    args = parser.parse_args(argv)
    if not args.describe and (args.workload is None or args.size is None):
        parser.error("give a workload and a size (or --describe)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.describe:
        result = describe(args.engine)
    elif args.count_calls:
        result = count_calls(args.engine, args.workload, args.size)
    else:
        result = measure(args.engine, args.workload, args.size, args.tracemalloc)
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
