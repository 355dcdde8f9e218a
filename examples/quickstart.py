"""The quick start's main job: everything on this machine, on the embedded SQLite default.

1. runs the seed's hello-world flow here (``flow.run``), as Prefect 1's docs do;
2. starts ``prefect-jupyter server start --with-agent``: the API (127.0.0.1:4200), the web UI
   (127.0.0.1:8080), the scheduler and a local agent, in one process, on the SQLite file in
   ``~/.prefect_jupyter`` (or reuses one that already answers there);
3. registers ``examples/scheduled_flow.py`` (a one-minute schedule) in project "quickstart",
   starts a run of it, and follows it to the end through the API;
4. prints where to look, and keeps the server running until Ctrl-C (``--exit``: stop at once).

Run it with ``scripts/quickstart`` (which sets up ``.venv`` first).
"""

from __future__ import annotations

import argparse
import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

import prefect_jupyter
from prefect_jupyter.client import Client

HERE = Path(__file__).resolve().parent
FINISHED = {"Success", "Failed", "Cancelled", "TimedOut", "TriggerFailed", "Skipped"}


def api_is_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1.0).json().get("status") == "ok"
    except (httpx.HTTPError, ValueError):
        return False


def start_server(api: str) -> subprocess.Popen | None:
    """Start server + UI + agent, or None when a prefect_jupyter server already answers."""
    if api_is_up(api):
        print(f"A prefect_jupyter server already answers at {api}: using it.")
        return None
    exe = Path(sys.executable).with_name("prefect-jupyter")
    server = subprocess.Popen([str(exe), "server", "start", "--with-agent"])
    deadline = time.monotonic() + 60
    while not api_is_up(api):
        if server.poll() is not None:
            sys.exit(f"The server exited with code {server.returncode} (see its messages above).")
        if time.monotonic() > deadline:
            server.terminate()
            sys.exit(f"The server did not answer at {api} within 60 s.")
        time.sleep(0.2)
    return server


def follow(client: Client, run_id: str, timeout: float = 120) -> dict:
    """Poll the run until it finishes; print each state it passes through."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    query = "query($id: uuid!) { flow_run_by_pk(id: $id) { state state_message } }"
    while time.monotonic() < deadline:
        run = client.graphql(query, {"id": run_id}).data.flow_run_by_pk
        if not seen or seen[-1] != run.state:
            seen.append(run.state)
            print(f"    {run.state}: {run.state_message}")
        if run.state in FINISHED:
            return run
        time.sleep(0.3)
    sys.exit(f"The run {run_id} did not finish within {timeout:.0f} s: is the agent running?")


def wait_for_schedule(client: Client, flow_id: str, timeout: float = 25) -> object:
    """The flow's queued scheduled runs, once the server's scheduler has created them."""
    query = (
        "query($id: uuid!) { flow_run(where: {flow_id: {_eq: $id}, auto_scheduled: {_eq: true}, "
        "state: {_eq: \"Scheduled\"}}, order_by: {scheduled_start_time: asc}, limit: 1) "
        "{ scheduled_start_time } flow_run_aggregate(where: {flow_id: {_eq: $id}, "
        "auto_scheduled: {_eq: true}, state: {_eq: \"Scheduled\"}}) { aggregate { count } } }"
    )
    deadline = time.monotonic() + timeout
    while True:
        data = client.graphql(query, {"id": flow_id}).data
        if data.flow_run or time.monotonic() > deadline:
            return data
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exit", action="store_true", help="stop the server when done")
    args = parser.parse_args()

    print("1. The hello-world flow, run here:")
    hello = runpy.run_path(str(HERE / "hello_flow.py"))["flow"]
    hello.run(name="world")

    api = prefect_jupyter.config.server.endpoint
    ui = prefect_jupyter.config.server.ui.endpoint
    print(f"\n2. Server, UI and agent (database: {prefect_jupyter.config.server.database.url}):")
    server = start_server(api)
    try:
        with Client() as client:
            print("\n3. Register the scheduled ETL and run it through the agent:")
            client.create_project("quickstart")
            flow = runpy.run_path(str(HERE / "scheduled_flow.py"))["flow"]
            flow_id = flow.register(project_name="quickstart", labels=[])
            run_id = client.create_flow_run(flow_id=flow_id, parameters={"n": 10})
            run = follow(client, run_id)
            logs = client.graphql(
                "query($id: uuid!) { log(where: {flow_run_id: {_eq: $id}, "
                "message: {_like: \"Loaded%\"}}) { message } }",
                {"id": run_id},
            ).data.log
            for line in logs:
                print(f"    log: {line.message}")
            upcoming = wait_for_schedule(client, flow_id)
        print(f"\n4. The run ended {run.state}. "
              f"{upcoming.flow_run_aggregate.aggregate.count} scheduled runs are queued"
              + (f", the next at {upcoming.flow_run[0].scheduled_start_time}."
                 if upcoming.flow_run else "."))
        print(f"   Web UI:   {ui}/#/flow-run/{run_id}")
        print(f"   GraphQL:  {api}/graphql")
        print("   CLI:      .venv/bin/prefect-jupyter get flow-runs")
        if run.state != "Success":
            sys.exit(1)
        if server is not None and not args.exit:
            print("\nThe server, UI and agent keep running; press Ctrl-C to stop them.")
            server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
