"""A map over N run by a real agent against a real server, next to the same flow run locally.

    python tests/benchmarks/agent_map.py [--n 10000] [--postgres] [--repeat 1]
        [--flush-interval 0.25]

The flow is ``numbers(n)`` → ``inc.map(numbers)`` (trivial task bodies, ``LocalExecutor``).
It is first run in this process (``flow.run``, its log lines written to a file: the local
time), then registered on a fresh server (``ServerProcess``: an SQLite file in a temporary
directory, or with ``--postgres`` a private PostgreSQL from ``scripts/postgres``) and run by
one ``prefect-jupyter agent local start``. The server-recorded run time is read back from the server: from the flow run's first
``Running`` state to its final state, as stored in its state history. The ratio of the two is
the figure to watch (README "A map run by the agent"); every repeat is printed with the load
average at its start and end, and the CPU seconds of the server process during the run and of
the agent's side (the agent since it started and the flow-run process it ran, imports included),
which move less with the load than the clock.
The script also checks the server has every mapped child exactly once, each ``Success``
(``tests/server/api/test_agent_bulk_reporting.py`` counts the reporter's requests).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from prefect_jupyter import Flow, task
from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess

ROOT = Path(__file__).resolve().parents[2]

RUN_QUERY = """
query($id: uuid!) {
  flow_run_by_pk(id: $id) {
    state
    states(order_by: {version: asc}) { state timestamp }
  }
}
"""
CHILDREN_QUERY = """
query($id: uuid!) {
  task_run_aggregate(where: {flow_run_id: {_eq: $id}, map_index: {_gte: 0}}) {
    aggregate { count }
  }
  success: task_run_aggregate(where: {flow_run_id: {_eq: $id}, map_index: {_gte: 0},
                                      state: {_eq: "Success"}}) {
    aggregate { count }
  }
}
"""


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def inc(x: int) -> int:
    return x + 1


def map_flow(n: int) -> Flow:
    with Flow(f"agent-map-{n}") as flow:
        inc.map(numbers(n))
    return flow


def local_seconds(n: int) -> float:
    """Seconds of ``flow.run()`` with its log lines written to a file, as from a script whose
    output is kept (the same on every machine: a terminal or a pipe would make them cost what
    its reader costs)."""
    flow = map_flow(n)
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as lines:
        os.dup2(lines.fileno(), 2)
        try:
            began = time.perf_counter()
            state = flow.run()
            took = time.perf_counter() - began
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
    if not state.is_successful():
        raise RuntimeError(f"the local run ended {state!r}")
    return took


def _parse(ts: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def server_seconds(client: Client, run_id: str) -> tuple[str, float]:
    run = client.graphql(RUN_QUERY, {"id": run_id})["data"]["flow_run_by_pk"]
    running = [_parse(s["timestamp"]) for s in run["states"] if s["state"] == "Running"]
    end = _parse(run["states"][-1]["timestamp"])
    return run["state"], (end - running[0]).total_seconds()


def children(client: Client, run_id: str) -> tuple[int, int]:
    data = client.graphql(CHILDREN_QUERY, {"id": run_id})["data"]
    return data["task_run_aggregate"]["aggregate"]["count"], data["success"]["aggregate"]["count"]


def _cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU seconds of a running process (Linux ``/proc``), with ``reaped`` also
    those of its children that have ended (a flow-run process its agent waited for)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def agent_run(n: int, url: str, tmp: Path, flush_interval: float) -> dict:
    load_before = os.getloadavg()[0]
    with ServerProcess(database_url=url) as server:
        client = Client(api_server=server.graphql_url)
        project = f"bench-{os.getpid()}-{time.monotonic_ns()}"
        client.create_project(project)
        flow_id = client.register(map_flow(n), project_name=project, labels=["agent-map"],
                                  no_url=True)
        run_id = client.create_flow_run(flow_id)
        command = [
            sys.executable, "-c", "from prefect_jupyter.cli import main; main()",
            "agent", "local", "start", "--api", server.url, "--label", "agent-map",
            "--poll-interval", "0.2",
        ]
        env = {**os.environ, "PREFECT_JUPYTER__CLOUD__AGENT__FLUSH_INTERVAL": str(flush_interval)}
        with open(tmp / "agent.log", "wb") as log:
            agent = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL)
            server_before = _cpu_seconds(server.pid)
            try:
                _wait_finished(client, run_id, agent)
                _wait_reaped(agent.pid)
                agent_cpu = _cpu_seconds(agent.pid, reaped=True)  # and its flow-run process
            finally:
                agent.terminate()
                agent.wait(60)
        server_cpu = _cpu_seconds(server.pid) - server_before
        state, seconds = server_seconds(client, run_id)
        recorded, succeeded = children(client, run_id)
    return {"state": state, "seconds": seconds, "children": recorded, "succeeded": succeeded,
            "server_cpu": server_cpu, "agent_cpu": agent_cpu,
            "load": (load_before, os.getloadavg()[0])}


def _wait_reaped(pid: int, timeout: float = 60) -> None:
    """Wait until the agent has no child process left (it reaped the flow-run process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = []
        for thread in Path(f"/proc/{pid}/task").glob("*"):  # any of its threads may have one
            try:
                children += (thread / "children").read_text().split()
            except OSError:
                pass
        if not children:
            return
        time.sleep(0.05)


def _wait_finished(client: Client, run_id: str, agent: subprocess.Popen,
                   timeout: float = 1800) -> None:
    query = "query($id: uuid!) { flow_run_by_pk(id: $id) { state } }"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if agent.poll() is not None:
            raise RuntimeError(f"the agent exited with code {agent.returncode}")
        state = client.graphql(query, {"id": run_id})["data"]["flow_run_by_pk"]["state"]
        if state in ("Success", "Failed", "Cancelled", "TimedOut"):
            return
        time.sleep(0.2)
    raise TimeoutError(f"the run did not finish within {timeout} s")


def _postgres(pg_dir: Path) -> str:
    out = subprocess.run([str(ROOT / "scripts" / "postgres"), "start", str(pg_dir)],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="map size (default 10,000)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--repeat", type=int, default=1, help="agent runs, each on a fresh server")
    parser.add_argument("--flush-interval", type=float, default=0.25)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}; map over {args.n:,}; "
          f"{'PostgreSQL' if args.postgres else 'SQLite'}", flush=True)
    local = min(local_seconds(args.n) for _ in range(3))
    print(f"local run (fastest of 3): {local:.2f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # the PostgreSQL server's own user must reach its directory: not under our private tmp
        pg_dir = Path(tempfile.mkdtemp(prefix="agent-map-pg."))
        url = _postgres(pg_dir) if args.postgres else f"sqlite:///{tmp / 'server.db'}"
        try:
            results = [agent_run(args.n, url, tmp, args.flush_interval) for _ in range(args.repeat)]
        finally:
            if args.postgres:
                subprocess.run([str(ROOT / "scripts" / "postgres"), "stop", str(pg_dir)],
                               check=False)
            shutil.rmtree(pg_dir, ignore_errors=True)
    for number, result in enumerate(results, 1):
        print(f"agent run {number}: {result['seconds']:.2f} s server-recorded "
              f"({result['state']}), ratio {result['seconds'] / local:.1f}x; CPU: server "
              f"{result['server_cpu']:.2f} s, agent and flow-run process "
              f"{result['agent_cpu']:.2f} s; load {result['load'][0]:.1f} -> "
              f"{result['load'][1]:.1f}", flush=True)
    ratios = sorted(r["seconds"] / local for r in results)
    print(f"ratio: {ratios[0]:.1f}x best, {ratios[-1]:.1f}x worst of {len(results)}")
    for result in results:
        print(f"mapped children recorded: {result['children']:,} of {args.n:,}, "
              f"{result['succeeded']:,} Success", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if any(r["children"] != args.n or r["succeeded"] != args.n for r in results):
        sys.exit("not every mapped child is recorded as Success")

if __name__ == "__main__":
    main()
