"""Flow runs per minute through one local agent, at a few concurrencies.

    python tests/benchmarks/agent_throughput.py [--runs 50] [--concurrency 1 4]
        [--start cold warm] [--database-url URL] [--poll-interval 0.2]

For each concurrency: a fresh server (``ServerProcess``; an SQLite file in a temporary directory
unless ``--database-url`` is given), one registered trivial flow (two tasks), ``--runs`` runs
queued at once, then one agent process (``prefect-jupyter agent local start``). The clock runs
from the agent's start to the moment the server shows every run finished, so it includes the
agent's own start (about a second) and, per run: the claim, the flow-run process (Python start,
imports, loading the pickled flow), the run, its reports and the agent noticing the exit.
Each concurrency is measured with a plain subprocess per run (``cold``, the default agent) and
with ``--warm-start`` (``warm``: each run forked from a process that imported prefect_jupyter
once). Prints one line per (start, concurrency) and checks every run ended ``Success``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess


@task
def inc(x: int) -> int:
    return x + 1


@task
def check(x: int) -> None:
    assert x > 0


def trivial_flow() -> Flow:
    with Flow("trivial") as flow:
        check(inc(Parameter("x", default=1)))
    return flow


def measure(runs: int, concurrency: int, database_url: str | None, poll_interval: float,
            warm: bool) -> dict:
    label = f"bench-{concurrency}"
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'server.db'}"
        with ServerProcess(database_url=url) as server:
            client = Client(api_server=server.graphql_url)
            project = f"bench-{os.getpid()}-{concurrency}"
            client.create_project(project)
            flow_id = client.register(trivial_flow(), project_name=project, labels=[label],
                                      no_url=True)
            run_ids = [client.create_flow_run(flow_id) for _ in range(runs)]
            command = [
                sys.executable, "-c", "from prefect_jupyter.cli import main; main()",
                "agent", "local", "start", "--api", server.url, "--label", label,
                "--concurrency", str(concurrency), "--poll-interval", str(poll_interval),
                "--warm-start" if warm else "--no-warm-start",
            ]
            log = open(Path(tmp) / "agent.log", "wb")  # noqa: SIM115 - closed below
            began = time.perf_counter()
            agent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
            try:
                states = _wait_all_finished(client, run_ids, agent)
                took = time.perf_counter() - began
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}; its log:\n{(Path(tmp) / 'agent.log').read_text()}") from None
            finally:
                agent.terminate()
                agent.wait(60)
                log.close()
    return {
        "concurrency": concurrency, "runs": runs, "seconds": took,
        "runs_per_minute": runs / took * 60,
        "succeeded": sum(s == "Success" for s in states),
    }


def _wait_all_finished(client: Client, run_ids: list[str], agent: subprocess.Popen,
                       timeout: float = 1800) -> list[str]:
    query = "query($ids: [uuid!]) { flow_run(where: {id: {_in: $ids}}) { state } }"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if agent.poll() is not None:
            raise RuntimeError(f"the agent exited with code {agent.returncode}")
        states = [r["state"] for r in client.graphql(query, {"ids": run_ids})["data"]["flow_run"]]
        if all(s in ("Success", "Failed", "Cancelled") for s in states):
            return states
        time.sleep(0.1)
    raise TimeoutError(f"runs did not finish within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--poll-interval", type=float, default=0.2)
    parser.add_argument("--start", nargs="+", choices=["cold", "warm"], default=["cold", "warm"])
    args = parser.parse_args()
    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    print(f"Python {platform.python_version()}, {cpus} CPUs, load average {load:.1f}; "
          f"{args.runs} trivial runs per line; database {args.database_url or 'SQLite'}")
    print(f"{'start':>5}  {'concurrency':>11}  {'seconds':>8}  {'runs/minute':>11}  {'succeeded':>9}")
    for start in args.start:
        for concurrency in args.concurrency:
            r = measure(args.runs, concurrency, args.database_url, args.poll_interval,
                        warm=start == "warm")
            print(f"{start:>5}  {r['concurrency']:>11}  {r['seconds']:>8.1f}  "
                  f"{r['runs_per_minute']:>11.1f}  {r['succeeded']:>6}/{r['runs']}", flush=True)

if __name__ == "__main__":
    main()
