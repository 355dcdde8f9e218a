"""The server under the web UI's own load: many browsers polling the dashboard and run pages.

    python tests/benchmarks/server_load.py [--clients 200] [--requests 6000] [--seconds 120]
        [--runs 100] [--writes PER_SECOND] [--postgres [URL]]

A fresh server (``ServerProcess`` on a free loopback port; an SQLite file in a temporary
directory, or with ``--postgres`` a new database on the PostgreSQL server at URL or
``$PREFECT_JUPYTER_TEST_DATABASE_URL``, dropped afterwards) gets ``--runs`` flow runs of a
five-task flow in mixed states, with task runs and 20 log lines each, written through the API.
Then ``--clients`` concurrent clients repeat what a UI tab does — the dashboard query, opening
a run page (its first query and its logs), then the run page's poll three times — until
``--requests`` requests are answered or ``--seconds`` pass. With ``--writes``, one more client
writes a log line to a run that many times a second, as agents running flows would (each write
invalidates the server's answer cache). The GraphQL documents are the UI's own: read from
``prefect_jupyter/ui/static/js/{flow_run,logs}.js``, and the dashboard's built as
``dashboard.js`` builds it (state lists from ``engine/state_sets.py``, as ``states.js`` is).

Each client is one keep-alive HTTP/1.1 connection, as a browser tab has, driven by a minimal
asyncio client of our own: httpx took ~3.7 ms of CPU per request, more than the server spends
on a cached answer, and on a 2-core machine the load generator's CPU is taken from the server.

Prints throughput, latency p50 / p99 / max, errors (any non-200 answer, GraphQL error or failed
connection), the server process's RSS before and at its peak (sampled from ``/proc`` every
0.2 s), and the CPU time the server and the load generator spent per answered request (from
``/proc``: unlike the latencies, not inflated by other work on the machine). Nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect_jupyter import Flow, task
from prefect_jupyter.client import Client
from prefect_jupyter.engine import state_sets
from prefect_jupyter.engine.state import Failed, Running, Success
from prefect_jupyter.server.process import ServerProcess

UI_JS = Path(__file__).resolve().parents[2] / "prefect_jupyter" / "ui" / "static" / "js"
PG_ENV = "PREFECT_JUPYTER_TEST_DATABASE_URL"


# -- the UI's queries ------------------------------------------------------------------------
def js_constants(path: Path) -> dict[str, str]:
    """The template-string constants of a UI module (``const NAME = `...`;``), expanded."""
    text = path.read_text(encoding="utf-8")
    found = dict(re.findall(r"const ([A-Z_]+) = `(.*?)`;", text, flags=re.S))

    def expand(value: str) -> str:  # constants refer to constants defined above them
        return re.sub(r"\$\{([A-Z_]+)\}", lambda m: expand(found[m[1]]) if m[1] in found else m[0],
                      value)

    return {name: expand(value) for name, value in found.items()}


def dashboard_query() -> str:
    """``dashboard.js``'s query (late reasons and agents included, as this server has them)."""
    in_progress = sorted((state_sets.SUBMITTED | state_sets.RUNNING | state_sets.SCHEDULED)
                         - {"Scheduled"})
    failed = sorted(state_sets.FAILED)
    fields = js_constants(UI_JS / "dashboard.js")["RUN_FIELDS"]

    def names(states: list[str]) -> str:
        return "[" + ", ".join(f'"{s}"' for s in states) + "]"

    return f"""query Dashboard($now: timestamptz!, $day: timestamptz!) {{
    running: flow_run(where: {{state: {{_in: {names(in_progress)}}}}},
      order_by: [{{start_time: desc_nulls_last}}], limit: 50) {{ {fields} }}
    scheduled: flow_run(where: {{state: {{_eq: "Scheduled"}}}},
      order_by: [{{scheduled_start_time: asc}}], limit: 50) {{ {fields} late_reason }}
    failed: flow_run(where: {{state: {{_in: {names(failed)}}}}},
      order_by: [{{end_time: desc_nulls_last}}], limit: 15) {{ {fields} }}
    n_running: flow_run_aggregate(where: {{state: {{_in: {names(in_progress)}}}}}) {{ aggregate {{ count }} }}
    n_scheduled: flow_run_aggregate(where: {{state: {{_eq: "Scheduled"}}}}) {{ aggregate {{ count }} }}
    n_late: flow_run_aggregate(where: {{state: {{_eq: "Scheduled"}}, scheduled_start_time: {{_lt: $now}}}}) {{ aggregate {{ count }} }}
    n_failed: flow_run_aggregate(where: {{state: {{_in: {names(failed)}}}, end_time: {{_gt: $day}}}}) {{ aggregate {{ count }} }}
    n_success: flow_run_aggregate(where: {{state: {{_eq: "Success"}}, end_time: {{_gt: $day}}}}) {{ aggregate {{ count }} }}
    agent(order_by: [{{last_queried: desc_nulls_last}}]) {{ id name type labels last_queried core_version }}
  }}"""


@dataclass(frozen=True)
class UiQueries:
    dashboard: str
    run_first: str
    run_poll: str
    logs: str

    @classmethod
    def load(cls) -> UiQueries:
        run = js_constants(UI_JS / "flow_run.js")
        logs = js_constants(UI_JS / "logs.js")
        return cls(dashboard_query(), run["FIRST_QUERY"], run["POLL_QUERY"], logs["QUERY"])


def tab_requests(queries: UiQueries, run_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """One UI tab's requests: the dashboard, a run page opened, three polls of it."""
    now = datetime.now(UTC).replace(microsecond=0)  # whole seconds, as dashboard.js asks
    epoch = "1970-01-01T00:00:00+00:00"
    log_where = {"flow_run_id": {"_eq": run_id},
                 "level": {"_in": ["INFO", "WARNING", "ERROR", "CRITICAL"]}}
    poll = ("run poll", queries.run_poll, {"id": run_id, "since": epoch, "childSince": epoch,
                               "logWhere": log_where})
    return [
        ("dashboard", queries.dashboard, {"now": now.isoformat(), "day": (now - timedelta(days=1)).isoformat()}),
        ("run page", queries.run_first, {"id": run_id}),
        ("logs", queries.logs, {"where": log_where, "limit": 500}),
        poll, poll, poll,
    ]


# -- data ------------------------------------------------------------------------------------
@task
def step(x: int) -> int:
    return x + 1


def seed(graphql_url: str, runs: int) -> list[str]:
    """A five-task flow and ``runs`` runs of it in mixed states, with 20 log lines each."""
    with Flow("load") as flow:
        value = 0
        for _ in range(5):
            value = step(value)
    with Client(api_server=graphql_url) as client:
        client.create_project("load")
        flow_id = client.register(flow, project_name="load", no_url=True)
        run_ids = []
        for i in range(runs):
            run_id = client.create_flow_run(flow_id)
            if i % 3:
                client.set_flow_run_state(run_id, Running())
            if i % 3 == 2:
                client.set_flow_run_state(run_id, Failed("boom") if i % 9 == 2 else Success())
            client.write_run_logs([
                {"flow_run_id": run_id, "level": "INFO", "name": "load", "message": f"line {n}",
                 "timestamp": datetime.now(UTC).isoformat()}
                for n in range(20)
            ])
            run_ids.append(run_id)
    return run_ids


# -- load ------------------------------------------------------------------------------------
@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    sent: int = 0
    writes: int = 0


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON (just what this benchmark needs)."""

    def __init__(self, url: str) -> None:
        parsed = split_url(url)
        self.host, self.port, self.path = parsed
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = json.dumps(payload).encode()
        self.writer.write(
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(next(v for k, v in headers.items() if k.lower() == "content-length"))
        return status, json.loads(await self.reader.readexactly(length))

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


def split_url(url: str) -> tuple[str, int, str]:
    """(host, port, path) of an ``http://host:port/path`` URL."""
    rest = url.removeprefix("http://")
    address, _, path = rest.partition("/")
    host, _, port = address.rpartition(":")
    return host, int(port), "/" + path


async def one_client(index: int, url: str, queries: UiQueries, run_ids: list[str],
                     tally: Tally, budget: int, deadline: float) -> None:
    connection = Connection(url)
    tab = index
    try:
        while True:
            for kind, query, variables in tab_requests(queries, run_ids[tab % len(run_ids)]):
                if tally.sent >= budget or time.monotonic() > deadline:
                    return
                tally.sent += 1
                started = time.perf_counter()
                try:
                    status, body = await asyncio.wait_for(
                        connection.post({"query": query, "variables": variables}), 60.0)
                except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError) as exc:
                    tally.errors.append(f"{type(exc).__name__}: {exc}")
                    await connection.close()
                    connection = Connection(url)
                    continue
                tally.latencies.append(time.perf_counter() - started)
                tally.by_kind.setdefault(kind, []).append(tally.latencies[-1])
                if status != 200 or body.get("errors"):
                    tally.errors.append(f"HTTP {status}: {str(body)[:200]}")
            tab += 1
    finally:
        await connection.close()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


WRITE_LOG = """mutation($input: write_run_logs_input!) { write_run_logs(input: $input) { success } }"""


async def writer(url: str, run_ids: list[str], per_second: float, tally: Tally) -> None:
    """Write a log line to one run after another, ``per_second`` times a second (as agents
    running flows would), so that the server's answer cache is invalidated that often."""
    connection = Connection(url)
    try:
        for n in range(10**9):
            log = {"flow_run_id": run_ids[n % len(run_ids)], "level": "INFO", "name": "load",
                   "message": f"written {n}", "timestamp": datetime.now(UTC).isoformat()}
            status, body = await connection.post(
                {"query": WRITE_LOG, "variables": {"input": {"logs": [log]}}})
            if status != 200 or body.get("errors"):
                tally.errors.append(f"write: HTTP {status}: {str(body)[:200]}")
            tally.writes += 1
            await asyncio.sleep(1 / per_second)
    finally:
        await connection.close()


async def run_load(server: ServerProcess, queries: UiQueries, run_ids: list[str], clients: int,
                   requests: int, seconds: float, writes: float = 0.0) -> dict[str, Any]:
    tally = Tally()
    assert server.pid is not None
    peak = start_rss = rss_bytes(server.pid)
    deadline = time.monotonic() + seconds

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_bytes(server.pid))  # type: ignore[arg-type]
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    writing = (asyncio.create_task(writer(server.graphql_url, run_ids, writes, tally))
               if writes else None)
    cpu_before, own_before = cpu_seconds(server.pid), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(one_client(i, server.graphql_url, queries, run_ids, tally, requests,
                                      deadline) for i in range(clients)))
    elapsed = time.perf_counter() - started
    server_cpu, own_cpu = cpu_seconds(server.pid) - cpu_before, time.process_time() - own_before
    sampler.cancel()
    if writing is not None:
        writing.cancel()
    latencies = sorted(tally.latencies)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": tally.sent, "seconds": elapsed, "throughput": len(latencies) / elapsed,
        "p50": quantiles[49], "p99": quantiles[98], "max": latencies[-1] if latencies else 0.0,
        "writes": tally.writes, "errors": tally.errors, "rss_start": start_rss, "rss_peak": peak,
        "server_cpu": server_cpu / max(len(latencies), 1), "client_cpu": own_cpu / max(len(latencies), 1),
        "by_kind": {kind: statistics.median(values) for kind, values in tally.by_kind.items()},
    }


# -- databases -------------------------------------------------------------------------------
@contextmanager
def database(postgres: str | None) -> Iterator[tuple[str, str]]:
    """(label, URL) of an empty database: SQLite in a temporary directory, or PostgreSQL."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield "sqlite", f"sqlite:///{Path(tmp) / 'server.db'}"
        return
    import uuid

    import psycopg

    base = postgres or os.environ.get(PG_ENV)
    if not base:
        sys.exit(f"--postgres needs a URL or {PG_ENV} (start one with `scripts/postgres start DIR`)")
    name = f"pj_load_{uuid.uuid4().hex[:8]}"
    admin = base.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield "postgresql", base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=6000, help="stop after this many")
    parser.add_argument("--seconds", type=float, default=120.0, help="...or after this long")
    parser.add_argument("--runs", type=int, default=100, help="flow runs to seed")
    parser.add_argument("--writes", type=float, default=0.0, metavar="PER_SECOND",
                        help="also write a log line this many times a second")
    parser.add_argument("--postgres", nargs="?", const="", default=None, metavar="URL",
                        help=f"use PostgreSQL (URL, default ${PG_ENV})")
    args = parser.parse_args(argv)

    queries = UiQueries.load()
    with database(args.postgres) as (label, url), ServerProcess(database_url=url) as server:
        run_ids = seed(server.graphql_url, args.runs)
        result = asyncio.run(run_load(server, queries, run_ids, args.clients, args.requests,
                                      args.seconds, args.writes))
    mib = 1024 * 1024
    print(
        f"{label}: {args.clients} clients, {result['requests']} requests in "
        f"{result['seconds']:.1f} s ({result['writes']} writes) -> "
        f"{result['throughput']:.0f} req/s; latency p50 "
        f"{result['p50'] * 1000:.0f} ms, p99 {result['p99'] * 1000:.0f} ms, max "
        f"{result['max'] * 1000:.0f} ms; errors {len(result['errors'])}; server RSS "
        f"{result['rss_start'] / mib:.0f} -> peak {result['rss_peak'] / mib:.0f} MiB"
    )
    print(f"  CPU per answered request: server {result['server_cpu'] * 1000:.2f} ms, load "
          f"generator {result['client_cpu'] * 1000:.2f} ms; load average {os.getloadavg()[0]:.1f}")
    print("  median by query: " + ", ".join(
        f"{kind} {median * 1000:.0f} ms" for kind, median in result["by_kind"].items()))
    for error in result["errors"][:5]:
        print(f"  error: {error}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
