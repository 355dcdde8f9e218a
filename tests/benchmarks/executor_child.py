"""Run one workload once on one system and print the measurements as JSON.

`executors.py` starts this script in a fresh process for each (system, workload), with the
interpreter that has the system's engine (our venv, or Prefect 1's). By hand:

    python tests/benchmarks/executor_child.py ours-dask-threads map 10000
    python tests/benchmarks/executor_child.py raw-futures chain 1000 --address tcp://127.0.0.1:8786
    python tests/benchmarks/executor_child.py ours-local map 10000 --profile 25

Steps: import the engine (and connect to the cluster for the `distributed` systems), run a
one-task flow (or one task) twice and time the second run (`startup_s`: the fixed cost of a run
on this system, e.g. starting the process pool), build the workload (`build_s`; raw systems
build their graph inside the timed run, as a flow run does), then time one run (`wall_s`). Peak
memory is the process's peak resident set size during the timed run (Linux: the peak is reset
through `/proc/self/clear_refs` just before it), next to the resident size just before it. Worker
processes (Dask's process pool, `distributed` workers) are not included.

The last line of stdout is `RESULT <json>`. Only the standard library is imported at module
level: the Prefect 1 interpreter runs this script too.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import executor_workloads as wl

RESULT_PREFIX = "RESULT "
LOG_LEVEL_VARIABLES = ("PREFECT_JUPYTER__LOGGING__LEVEL", "PREFECT__LOGGING__LEVEL")


@dataclass(frozen=True)
class System:
    """One way of running the workloads."""

    name: str  # command-line id
    label: str  # shown in tables
    kind: str  # "flow", "delayed", "dict-graph" or "futures"
    engine: str = ""  # "prefect_jupyter" or "prefect" for flows
    executor: str = ""
    executor_kwargs: dict[str, Any] = field(default_factory=dict)
    peer: str | None = None  # ratio column: this system's time / the peer's
    needs_cluster: bool = False

    @property
    def is_prefect1(self) -> bool:
        return self.engine == "prefect"


SYSTEMS: dict[str, System] = {
    s.name: s
    for s in [
        System("ours-local", "ours LocalExecutor", "flow", "prefect_jupyter", "LocalExecutor"),
        System(
            "ours-dask-threads",
            "ours LocalDaskExecutor(threads)",
            "flow",
            "prefect_jupyter",
            "LocalDaskExecutor",
            {"scheduler": "threads"},
            peer="raw-delayed",
        ),
        System(
            "ours-dask-processes",
            "ours LocalDaskExecutor(processes)",
            "flow",
            "prefect_jupyter",
            "LocalDaskExecutor",
            {"scheduler": "processes"},
        ),
        System(
            "ours-distributed",
            "ours DaskExecutor(address)",
            "flow",
            "prefect_jupyter",
            "DaskExecutor",
            peer="raw-futures",
            needs_cluster=True,
        ),
        System("raw-delayed", "raw dask.delayed, threads", "delayed"),
        System("raw-dict-graph", "raw dask.threaded.get, dict graph", "dict-graph"),
        System("raw-futures", "raw distributed client.submit", "futures", needs_cluster=True),
        System(
            "prefect1-local", "Prefect 1 LocalExecutor", "flow", "prefect", "LocalExecutor",
            peer="ours-local",
        ),
        System(
            "prefect1-dask-threads",
            "Prefect 1 LocalDaskExecutor(threads)",
            "flow",
            "prefect",
            "LocalDaskExecutor",
            {"scheduler": "threads"},
            peer="ours-dask-threads",
        ),
    ]
}


# --- memory -----------------------------------------------------------------------------------


def _status_kib(field_name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def current_rss_bytes() -> int | None:
    kib = _status_kib("VmRSS")
    return None if kib is None else kib * 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux); False where not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """The peak resident set size: since the last reset on Linux, else since the start."""
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# --- systems ----------------------------------------------------------------------------------

# A prepared workload: `run()` is timed; `evaluate(output)` gives (answer, task runs or None).
Prepared = tuple[Callable[[], Any], Callable[[Any], tuple[Any, int | None]]]


class FlowSystem:
    """prefect_jupyter or Prefect 1, through their shared flow API."""

    def __init__(self, system: System, address: str | None) -> None:
        package = importlib.import_module(system.engine)
        executors = importlib.import_module(f"{system.engine}.executors")
        self.version = str(getattr(package, "__version__", "?"))
        self.task, self.flow_class = package.task, package.Flow
        executor_class = getattr(executors, system.executor)
        kwargs = dict(system.executor_kwargs)
        if system.executor == "DaskExecutor":
            kwargs["address"] = address
        self.make_executor = lambda: executor_class(**kwargs)

    def one_task(self) -> Any:
        flow = wl.build_one_task_flow(self.task, self.flow_class)
        return flow.run(executor=self.make_executor())

    def prepare(self, workload: str, size: int) -> Prepared:
        flow, result_of = wl.build_flow(self.task, self.flow_class, workload, size)

        def run() -> Any:
            return flow.run(executor=self.make_executor())

        def evaluate(state: Any) -> tuple[Any, int | None]:
            return result_of(state), wl.count_task_runs(state)

        return run, evaluate

    def close(self) -> None:
        pass


class DelayedSystem:
    """Raw `dask.delayed` (or a plain dict graph) on the threaded scheduler."""

    def __init__(self, system: System, address: str | None) -> None:
        import dask

        self.version = dask.__version__
        self.runner = wl.run_delayed if system.kind == "delayed" else wl.run_dict_graph

    def one_task(self) -> Any:
        return self.runner("chain", 1)

    def prepare(self, workload: str, size: int) -> Prepared:
        return (lambda: self.runner(workload, size)), (lambda value: (value, None))

    def close(self) -> None:
        pass


class FuturesSystem:
    """Raw `distributed` futures on the cluster at `address`."""

    def __init__(self, system: System, address: str | None) -> None:
        import distributed

        if not address:
            raise SystemExit(f"{system.name} needs --address tcp://host:port")
        self.version = distributed.__version__
        self.client = distributed.Client(address, timeout="10s")

    def one_task(self) -> Any:
        return wl.run_futures(self.client, "chain", 1)

    def prepare(self, workload: str, size: int) -> Prepared:
        return (lambda: wl.run_futures(self.client, workload, size)), (lambda v: (v, None))

    def close(self) -> None:
        self.client.close()


SYSTEM_CLASSES = {
    "flow": FlowSystem,
    "delayed": DelayedSystem,
    "dict-graph": DelayedSystem,
    "futures": FuturesSystem,
}


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def measure(
    system: System, workload: str, size: int, address: str | None, profile_top: int = 0
) -> dict[str, Any]:
    """Set the system up, time its fixed cost, then time one run of the workload."""
    runner = SYSTEM_CLASSES[system.kind](system, address)
    try:
        runner.one_task()  # warm-up: lazy imports, first connections
        _, startup_s = timed(runner.one_task)
        (run, evaluate), build_s = timed(lambda: runner.prepare(workload, size))
        gc.collect()
        rss_before = current_rss_bytes()
        peak_was_reset = reset_peak_rss()
        if profile_top:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            output, wall_s = timed(lambda: profiler.runcall(run))
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(
                profile_top
            )
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(
                profile_top
            )
        else:
            output, wall_s = timed(run)
        peak_rss = peak_rss_bytes()
        result, counted_runs = evaluate(output)
    finally:
        runner.close()
    expected = wl.expected_answer(workload, size)
    return {
        "system": system.name,
        "version": runner.version,
        "python": platform.python_version(),
        "workload": workload,
        "size": size,
        "task_runs": wl.task_runs(workload, size),
        "counted_task_runs": counted_runs,
        "startup_s": startup_s,
        "build_s": build_s,
        "wall_s": wall_s,
        "rss_before_bytes": rss_before,
        "peak_rss_bytes": peak_rss,
        "peak_is_of_run": peak_was_reset,
        "profiled": bool(profile_top),
        "result_ok": result == expected,
        "result": repr(result)[:200],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("system", choices=sorted(SYSTEMS))
    parser.add_argument("workload", choices=wl.WORKLOAD_NAMES)
    parser.add_argument("size", type=int)
    parser.add_argument("--address", help="the distributed scheduler, for *-futures/distributed")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N",
        help="run the workload under cProfile and print its top N functions (slower)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # as in `executors.py`: no per-task INFO records (the engines read these at import)
    for variable in LOG_LEVEL_VARIABLES:
        os.environ.setdefault(variable, "WARNING")
    result = measure(SYSTEMS[args.system], args.workload, args.size, args.address, args.profile)
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
