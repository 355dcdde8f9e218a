"""Profile prefect_jupyter's hot path: where does a task run's time go?

    python tests/benchmarks/profile_engine.py [--top 25] [--sort tottime] [--log-level INFO]
        [--case fanout:1000 --case diamond:1000]

Builds a `map` over 10,000 items and a chain of 1,000 tasks (see `workloads.py`; `--case`
chooses others, as `workload:size`), then runs each
once with the LocalExecutor under cProfile, and prints the top functions. Only `flow.run()` is
profiled. Log records are formatted and dropped, as in `engine_overhead.py`. Paths are shown
relative to the repository (`prefect_jupyter/...`) or as `<stdlib>/...`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sysconfig
import time
from collections.abc import Sequence
from pathlib import Path

from workloads import ENGINES, build_workload, load_engine, send_log_output_to_null

REPO_ROOT = Path(__file__).resolve().parents[2]
CASES = [("map", 10_000), ("chain", 1_000)]
SORT_KEYS = ("tottime", "cumtime", "ncalls")


def profile_case(workload: str, size: int, top: int, sort: str) -> str:
    """Run one workload under cProfile and return the report text."""
    engine = load_engine("prefect_jupyter")
    built = build_workload(engine, workload, size)
    executor = engine.local_executor_class()

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    state = built.flow.run(executor=executor)
    profiler.disable()
    elapsed = time.perf_counter() - started

    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(sort).print_stats(top)
    verdict = "ok" if built.check(state) else f"WRONG RESULTS, final state {state!r}"
    header = (
        f"=== {workload} {size:,}: {built.task_runs:,} task runs, {elapsed:.2f} s under cProfile "
        f"({elapsed / built.task_runs * 1e6:,.0f} µs/task), results {verdict}"
    )
    return header + "\n" + shorten_paths(out.getvalue())


def shorten_paths(text: str) -> str:
    """Make file names in a pstats report short: repo-relative, or `<stdlib>/...`."""
    prefixes = {
        str(REPO_ROOT) + os.sep: "",
        sysconfig.get_paths()["stdlib"] + os.sep: "<stdlib>/",
    }
    for prefix, replacement in prefixes.items():
        text = text.replace(prefix, replacement)
    return text


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=25, help="how many functions to list")
    parser.add_argument("--sort", choices=SORT_KEYS, default="tottime", help="pstats sort key")
    parser.add_argument(
        "--log-level",
        default=None,
        help="prefect_jupyter's logging level (default: its configured one, INFO)",
    )
    parser.add_argument(
        "--case",
        action="append",
        default=None,
        help="a workload to profile as workload:size (repeatable; default map:10000 chain:1000)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.log_level:
        # read when prefect_jupyter's configuration loads, i.e. on the first import below
        os.environ[ENGINES["prefect_jupyter"].log_level_env] = args.log_level
    send_log_output_to_null(ENGINES["prefect_jupyter"].package)
    cases = CASES
    if args.case:
        cases = [(name, int(size)) for name, _, size in (c.partition(":") for c in args.case)]
    for workload, size in cases:
        print(profile_case(workload, size, args.top, args.sort))


if __name__ == "__main__":
    main()
