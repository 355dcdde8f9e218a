"""The UI's flow-run page at 100,000 mapped children, measured in headless Chromium.

    python tests/benchmarks/ui_task_table.py [--n 100000] [--db PATH] [--server-path DIR]
        [--idle 5]

A flow ``numbers(n)`` → ``inc.map(numbers)`` (every 1,000th child fails) is registered on a
fresh server (an SQLite file on 127.0.0.1, a free port) and run by a real local agent, so the
database holds what a real run leaves: ``n`` children with their state histories and two log
lines each. ``--db PATH`` keeps that database and reuses it when it already holds a finished
run (seeding 100,000 children takes a minute or two). ``--server-path DIR`` puts ``DIR`` first
on the server's ``PYTHONPATH``, so an older checkout's server and UI (``git archive <commit>
prefect_jupyter | tar -x -C DIR``) can be measured on the same database, back to back.

Then it opens the run's page in headless Debian Chromium (Playwright) and measures, as a user
feels it: the time to the task table's first rows, to the schematic's mapped node showing its
children's counts, to the next page, the last page, a sort by state and by start time, a state
filter, the "mapped children only" filter; then it leaves the page polling for ``--idle``
seconds. For every GraphQL request the page makes it records the operation, the answer's size
and the server's time (request sent → first response byte, from Chromium's own timing), and
the page's main-thread long tasks (> 50 ms, ``PerformanceObserver``), and the server process's
CPU time during each step (from ``/proc``; other work on the machine does not inflate it as it
does the wall-clock times). "Usable" means no request took > 1 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from prefect_jupyter import Flow, task
from prefect_jupyter.client import Client
from prefect_jupyter.server.process import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RUN_QUERY = """query { flow_run(order_by: {created: desc}, limit: 1) { id state } }"""
CHILDREN_QUERY = """query($id: uuid!) {
  task_run_aggregate(where: {flow_run_id: {_eq: $id}, map_index: {_gte: 0}}) { aggregate { count } }
}"""
FINISHED = ("Success", "Failed", "Cancelled", "TimedOut")

# collects main-thread long tasks from the first paint on
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
}).observe({ type: "longtask", buffered: true });
"""


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def inc(x: int) -> int:
    if x % 1000 == 999:
        raise ValueError(f"{x} is a thousandth")
    return x + 1


def map_flow(n: int) -> Flow:
    with Flow(f"ui-table-{n}") as flow:
        inc.map(numbers(n))
    return flow


def seed(server: ServerProcess, n: int, log: Path) -> str:
    """A finished agent run of ``map_flow(n)``; its id."""
    client = Client(api_server=server.graphql_url)
    client.create_project("ui-bench")
    flow_id = client.register(map_flow(n), project_name="ui-bench", labels=["ui-bench"],
                              no_url=True)
    run_id = client.create_flow_run(flow_id)
    command = [sys.executable, "-c", "from prefect_jupyter.cli import main; main()",
               "agent", "local", "start", "--api", server.url, "--label", "ui-bench",
               "--poll-interval", "0.2"]
    began = time.monotonic()
    with open(log, "wb") as out:
        agent = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        try:
            while _run(client)["state"] not in FINISHED:
                if agent.poll() is not None:
                    raise RuntimeError(f"the agent exited with code {agent.returncode}; see {log}")
                if time.monotonic() - began > 1800:
                    raise TimeoutError("the run did not finish in 30 minutes")
                time.sleep(1)
        finally:
            agent.terminate()
            agent.wait(60)
    print(f"seeded: agent run of {n:,} children in {time.monotonic() - began:.0f} s", flush=True)
    return run_id


def _run(client: Client) -> dict[str, Any]:
    runs = client.graphql(RUN_QUERY)["data"]["flow_run"]
    return runs[0] if runs else {"id": None, "state": None}


class Requests:
    """Every GraphQL request of the page: operation, answer bytes, server ms."""

    def __init__(self) -> None:
        self.done: list[dict[str, Any]] = []

    def on_finished(self, request: Any) -> None:
        if not request.url.endswith("/api/graphql"):
            return
        body = request.post_data_json or {}
        match = re.search(r"(query|mutation)\s+(\w+)", body.get("query", ""))
        name = match.group(2) if match else "(anonymous)"
        timing = request.timing
        size = request.sizes()["responseBodySize"]
        server_ms = timing["responseStart"] - timing["requestStart"]
        self.done.append({"op": name, "bytes": size, "server_ms": server_ms})

    def since(self, mark: int) -> list[dict[str, Any]]:
        return self.done[mark:]


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) a process has used, in ms: load on the machine does not
    inflate it as it does wall-clock times."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measure(page: Any, requests: Requests, url: str, n: int, idle: float,
            timeout: float, server_pid: int) -> list[tuple]:
    """(step, seconds, requests of the step, server CPU ms) for each user step."""
    steps: list[tuple] = []
    marks: list[tuple[float, str]] = []  # (page time, step) of each step's start
    pager = ".task-runs .pager-info"

    def step(name: str, action: Any, done: str, arg: Any = None) -> None:
        mark = len(requests.done)
        cpu = cpu_ms(server_pid)
        marks.append((page.evaluate("() => performance.now()"), name))
        began = time.perf_counter()
        action()
        page.wait_for_function(done, arg=arg, timeout=timeout * 1000)
        took = time.perf_counter() - began
        page.wait_for_timeout(100)  # let the step's other requests land
        steps.append((name, took, requests.since(mark), cpu_ms(server_pid) - cpu))

    def pager_is(text: str) -> str:
        return f"() => document.querySelector({pager!r})?.textContent.startsWith({text!r})"

    total = f"{n:,}"
    step("open the run page: first table rows", lambda: page.goto(url),
         f"() => document.querySelectorAll('.task-runs tbody tr[data-task-run-id]').length > 0"
         f" && document.querySelector({pager!r})?.textContent.includes('of ')")
    step("schematic: mapped node counts shown", lambda: None,
         "(total) => [...document.querySelectorAll('.schematic .pj-counts')]"
         ".some((e) => e.textContent.replace(/,/g, '').includes('/' + total))",
         str(n))
    step("next page", lambda: page.click("button[data-page=next]"), pager_is("26–50"))
    step("last page", lambda: page.click("button[data-page=last]"),
         f"() => document.querySelector({pager!r})?.textContent.endsWith('{n + 2:,} task runs')"
         f" && /Page ([\\d,]+) of \\1/.test(document.querySelector('.pager-page').textContent)")

    def sort(title: str) -> Any:
        return lambda: page.click(f".task-runs th.sortable:text-is('{title}')")

    def sorted_by(title: str, direction: str) -> str:
        return (f"() => [...document.querySelectorAll('.task-runs th')]"
                f".some((th) => th.textContent === '{title}' && th.dataset.sorted === '{direction}')"
                f" && document.querySelector({pager!r})?.textContent.startsWith('1–25')")

    step("sort by state", sort("State"), sorted_by("State", "asc"))
    step("sort by state, descending", sort("State"), sorted_by("State", "desc"))
    step("sort by start time", sort("Started"), sorted_by("Started", "asc"))
    failed = n // 1000
    step("filter: state Failed", lambda: page.select_option("select[name=state]", "Failed"),
         f"() => document.querySelector({pager!r})?.textContent"
         f" === '1–{min(25, failed)} of {failed:,} task run{'' if failed == 1 else 's'}'")
    if failed > 25:
        step("filter: Failed, page 2", lambda: page.click("button[data-page=next]"),
             pager_is("26–"))
    step("filter: all states, mapped children only", lambda: (
        page.select_option("select[name=state]", ""),
        page.select_option("select[name=kind]", "children")),
        f"() => document.querySelector({pager!r})?.textContent === '1–25 of {total} task runs'")
    step("filter: task name 'numbers'", lambda: (
        page.select_option("select[name=kind]", ""), page.fill("input[name=task-name]", "numbers")),
        f"() => document.querySelector({pager!r})?.textContent === '1–1 of 1 task run'")
    mark = len(requests.done)
    cpu = cpu_ms(server_pid)
    marks.append((page.evaluate("() => performance.now()"), f"idle polling for {idle:g} s"))
    page.wait_for_timeout(idle * 1000)
    steps.append((f"idle polling for {idle:g} s", idle, requests.since(mark),
                  cpu_ms(server_pid) - cpu))
    return steps, marks


def report(steps: list[tuple], requests: Requests, long_tasks: list,
           marks: list[tuple[float, str]]) -> bool:
    print("\nstep | time to done | requests | bytes | slowest request (server ms) | server CPU")
    for name, took, reqs, cpu in steps:
        slow = max(reqs, key=lambda r: r["server_ms"], default=None)
        size = sum(r["bytes"] for r in reqs)
        print(f"{name} | {took * 1000:,.0f} ms | {len(reqs)} | {size:,} | "
              + (f"{slow['op']} {slow['server_ms']:,.0f}" if slow else "—")
              + f" | {cpu:,.0f} ms")
    print("\nGraphQL operations: count, server ms median / max, bytes max")
    by_op: dict[str, list[dict[str, Any]]] = {}
    for r in requests.done:
        by_op.setdefault(r["op"], []).append(r)
    for op, reqs in by_op.items():
        times = sorted(r["server_ms"] for r in reqs)
        print(f"  {op}: {len(reqs)}, {times[len(times) // 2]:,.0f} / {times[-1]:,.0f} ms, "
              f"{max(r['bytes'] for r in reqs):,} B")
    worst = max((r["server_ms"] for r in requests.done), default=0)
    longest = max((d for _s, d in long_tasks), default=0)
    print(f"\nmain-thread long tasks (> 50 ms): {len(long_tasks)}, longest {longest:,.0f} ms, "
          f"total {sum(d for _s, d in long_tasks):,.0f} ms")
    for start, took in long_tasks:
        during = [name for at, name in marks if at <= start]
        print(f"  {took:,.0f} ms during '{during[-1] if during else 'the dashboard'}'")
    usable = worst <= 1000
    print(f"slowest request: {worst:,.0f} ms -> {'usable' if usable else 'NOT usable'} "
          "(no request > 1 s)")
    return usable


def browse(server: ServerProcess, run_id: str, n: int, idle: float, profile: Path) -> bool:
    from playwright.sync_api import sync_playwright

    requests = Requests()
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.add_init_script(LONG_TASKS)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfinished", requests.on_finished)
            page.goto(f"{server.ui_url}/#/")  # the UI's own files cached, as for a user
            page.wait_for_load_state("networkidle")
            requests.done.clear()
            steps, marks = measure(page, requests, f"{server.ui_url}/#/flow-run/{run_id}", n, idle,
                            timeout=60, server_pid=server.pid)
            long_tasks = page.evaluate("() => window.__longTasks")
        finally:
            context.close()
    if errors:
        print("page errors:", *errors, sep="\n  ")
    return report(steps, requests, long_tasks, marks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="mapped children (default 100,000)")
    parser.add_argument("--db", type=Path, help="keep the SQLite database here; reuse its run")
    parser.add_argument("--server-path", type=Path, help="put this first on the server's PYTHONPATH")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of polling to watch")
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}; {args.n:,} mapped children; SQLite", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = args.db.resolve() if args.db else tmp / "server.db"
        env = {}
        if args.server_path:
            env["PYTHONPATH"] = os.pathsep.join([str(args.server_path.resolve()),
                                                 os.environ.get("PYTHONPATH", "")])
            os.chdir(tmp)  # ``python -m`` puts the working directory before PYTHONPATH
        with ServerProcess(database_url=f"sqlite:///{db}", ui_port=free_port(), env=env,
                           startup_timeout=120) as server:
            client = Client(api_server=server.graphql_url)
            run = _run(client)
            if run["state"] in FINISHED:
                print(f"reusing the finished run {run['id']} in {db}", flush=True)
                run_id = run["id"]
            else:
                run_id = seed(server, args.n, tmp / "agent.log")
            count = client.graphql(CHILDREN_QUERY, {"id": run_id})["data"]
            recorded = count["task_run_aggregate"]["aggregate"]["count"]
            print(f"mapped children recorded: {recorded:,} of {args.n:,}", flush=True)
            usable = browse(server, run_id, args.n, args.idle, tmp / "chromium-profile")
        shutil.rmtree(tmp / "chromium-profile", ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if recorded != args.n or not usable:
        sys.exit("not every child is recorded, or a request took > 1 s")


if __name__ == "__main__":
    main()
