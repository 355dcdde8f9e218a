"""What costly GraphQL queries cost the server: time, response size and the server's RSS.

    python tests/benchmarks/graphql_query_cost.py [--database-url URL] [--tasks 100]
        [--skip nested4,cache]

A fresh server (``ServerProcess``; an SQLite file in a temporary directory unless
``--database-url`` is given) gets one flow of ``--tasks`` tasks and one run of it (so one flow
run with ``--tasks`` task runs), then these requests, one after another:

- ``nested``: task runs -> flow run -> task runs, three deep (151 bytes of query text; without
  limits its answer has ``tasks**3`` task runs at the bottom);
- ``nested x4``: the same four times at once;
- ``aliases``: 10,000 aliases of ``task_run { id }`` in one query;
- ``cache``: 40 distinct valid queries of 180 KB each (the parse cache used to keep them all);
- ``near cap``: the largest answer the default limits allow from this data (two aliases of
  task runs -> flow run -> task runs: 20,400 rows of the 25,000 ``max_rows``).

Each line shows the HTTP status, the first error code, seconds, response bytes and the
server's RSS before and after (psutil). Nothing is asserted: it is for the README's figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psutil

from prefect_jupyter.server.process import ServerProcess
from prefect_jupyter.utilities.graphql import compress

NESTED = (
    "{ task_run { id state flow_run { id task_runs { id state flow_run { id task_runs "
    "{ id state flow_run { id task_runs { id state name } } } } } } } }"
)


def _flow(tasks: int) -> dict:
    names = [f"t{i}" for i in range(tasks)]
    return {
        "__version__": "0.1.0", "type": "prefect_jupyter.core.flow.Flow",
        "name": f"cost-{uuid.uuid4().hex[:6]}", "description": None, "parameters": [],
        "tasks": [{"slug": f"{n}-1", "name": n, "type": "prefect_jupyter.tasks.core.function.FunctionTask",
                   "tags": [], "max_retries": 0, "retry_delay": None, "timeout": None,
                   "trigger": "prefect_jupyter.triggers.all_successful", "mapped": False,
                   "is_reference_task": False, "is_root_task": True, "is_terminal_task": True,
                   "auto_generated": False, "cache_key": None, "description": None}
                  for n in names],
        "edges": [], "reference_tasks": [], "schedule": None, "labels": [],
        "graph": {"nodes": [], "edges": []},
        "storage": {"type": "Pickle", "flow": "gASVAAAAAAAAAAA=", "python_version": "3.11",
                    "cloudpickle_version": "3.0.0"},
        "structure_hash": uuid.uuid4().hex,
    }


def _post(url: str, query: str, timeout: float = 600) -> tuple[int, str, int, float]:
    start = time.perf_counter()
    response = httpx.post(url, json={"query": query}, timeout=timeout)
    elapsed = time.perf_counter() - start
    body = response.content
    try:
        errors = json.loads(body).get("errors") or []
    except ValueError:
        errors = []
    code = errors[0].get("extensions", {}).get("code", "") if errors else ""
    return response.status_code, code, len(body), elapsed


def _seed(url: str, tasks: int) -> None:
    def gql(query: str, variables: dict) -> dict:
        body = httpx.post(url, json={"query": query, "variables": variables}, timeout=60).json()
        assert "errors" not in body, body
        return body["data"]

    project = gql("mutation($i: create_project_input!) { create_project(input: $i) { id } }",
                  {"i": {"name": f"cost-{uuid.uuid4().hex[:6]}"}})["create_project"]["id"]
    flow_id = gql(
        "mutation($i: create_flow_from_compressed_string_input!) "
        "{ create_flow_from_compressed_string(input: $i) { id } }",
        {"i": {"serialized_flow": compress(_flow(tasks)), "project_id": project}},
    )["create_flow_from_compressed_string"]["id"]
    gql("mutation($i: create_flow_run_input!) { create_flow_run(input: $i) { id } }",
        {"i": {"flow_id": flow_id}})


def _line(name: str, rss: psutil.Process, results: list[tuple[int, str, int, float]],
          before: int) -> None:
    after = rss.memory_info().rss
    for status, code, size, elapsed in results:
        print(f"{name:<12} status {status} {code or 'ok':<20} {elapsed:7.2f} s "
              f"{size / 1e6:9.3f} MB  RSS {before / 1e6:6.0f} -> {after / 1e6:6.0f} MB "
              f"(+{(after - before) / 1e6:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--skip", default="",
                        help="comma-separated: nested,nested4,aliases,cache,near")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        db = args.database_url or f"sqlite:///{Path(tmp) / 'server.db'}"
        with ServerProcess(database_url=db) as server:
            url = server.graphql_url
            proc = psutil.Process(server.pid)
            _seed(url, args.tasks)
            print(f"nested query: {len(NESTED)} bytes; {args.tasks} task runs in one flow run")
            if "nested" not in skip:
                before = proc.memory_info().rss
                _line("nested", proc, [_post(url, NESTED)], before)
            if "nested4" not in skip:
                before = proc.memory_info().rss
                results: list = []
                threads = [threading.Thread(target=lambda: results.append(_post(url, NESTED)))
                           for _ in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                _line("nested x4", proc, results, before)
            if "aliases" not in skip:
                query = "{ " + " ".join(f"a{i}: task_run {{ id }}" for i in range(10_000)) + " }"
                before = proc.memory_info().rss
                _line("aliases", proc, [_post(url, query)], before)
            if "cache" not in skip:
                before = proc.memory_info().rss
                results = []
                for n in range(40):  # valid, within the limits, each one different
                    padding = " ".join(f"f{n}x{i}" for i in range(19_000))
                    results.append(_post(url, f"{{ hello }} # {padding}"))
                print(f"cache: 40 queries of {len(padding) // 1000} KB")
                _line("cache", proc, results[-1:], before)
            if "near" not in skip:
                one = "task_run { id flow_run { id task_runs { id state name } } }"
                before = proc.memory_info().rss
                _line("near cap", proc, [_post(url, f"{{ a: {one} b: {one} }}")], before)


if __name__ == "__main__":
    main()
