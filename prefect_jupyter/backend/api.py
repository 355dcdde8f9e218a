"""The server calls a backend flow run and an agent make, over the API client.

:class:`BackendAPI` holds the calls of running flows for the server (Prefect Server 1's mutation
names; the documents are in ``client/queries.py`` with the client's others). Failures are the
client's errors (``client/errors.py``), in the two kinds the reporter and the agent act on:
:class:`~prefect_jupyter.client.errors.ServerUnavailable` (the server can't take it now — not
reachable, restarting, its database unavailable: keep the write, send it again later) and
:class:`~prefect_jupyter.client.errors.WriteRejected` (the server answered no; retrying the same
write is pointless). The client already retries a dropped connection or an HTTP 503 a few times
with backoff before giving up.
"""

from __future__ import annotations

import contextlib
import datetime
from typing import Any

from prefect_jupyter.backend.writes import TaskRunRef
from prefect_jupyter.client import queries
from prefect_jupyter.client.errors import ObjectNotFoundError, ServerUnavailable, WriteRejected

__all__ = ["BackendAPI"]

#: aliased ``get_or_create_task_run_info`` fields in one request (well under the server's
#: ``server.graphql.max_aliases`` and ``max_query_bytes``)
ALIASES_PER_REQUEST = 500


class BackendAPI:
    """The calls of the reporter (``ReportAPI``), the flow-run executor and the agent.

    Args:
        client: a :class:`prefect_jupyter.client.Client` (default: a new one from config).
    """

    def __init__(self, client: Any = None) -> None:
        if client is None:
            from prefect_jupyter.client import Client

            client = Client()
        self.client = client
        self._mutations: set[str] | None = None
        self._report_fields: set[str] | None = None

    def graphql(self, query: str, variables: dict[str, Any] | None = None, retry: bool = True) -> Any:
        """Run ``query``; its ``data`` (raises ``ServerUnavailable`` or ``WriteRejected``).

        Args:
            retry: let the client send it again after a connection dropped mid-request. Writes
                say no: whether such a write landed is for the caller to find out (by version).
        """
        return self.client.graphql(query, variables or {}, retry_on_api_error=retry)["data"]

    def mutate(self, name: str, input: dict[str, Any], fields: str = "success",
               retry: bool = True) -> Any:
        """Call mutation ``name`` with ``input``; its payload."""
        return self.graphql(queries.mutation(name, fields), {"input": input}, retry)[name]

    # -- flow runs -----------------------------------------------------------------------------
    def flow_run(self, flow_run_id: str) -> dict[str, Any] | None:
        """The flow run with its flow, the flow's tasks and its unmapped task runs."""
        return self.graphql(queries.BACKEND_FLOW_RUN, {"id": flow_run_id})["flow_run_by_pk"]

    def flow_runs(self, flow_run_ids: list[str]) -> list[dict[str, Any]]:
        """Id, name, flow id, state, version and labels of some flow runs."""
        if not flow_run_ids:
            return []
        return self.graphql(queries.BACKEND_FLOW_RUNS, {"ids": list(flow_run_ids)})["flow_run"]

    def flow_run_state(self, flow_run_id: str) -> tuple[str, int]:
        runs = self.flow_runs([flow_run_id])
        if not runs:
            raise ObjectNotFoundError(f"Flow run {flow_run_id} not found.")
        return runs[0]["state"], runs[0]["version"]

    def set_flow_run_states(self, states: list[dict[str, Any]]) -> None:
        self.mutate("set_flow_run_states", {"states": states}, "states { id status message }", False)

    def set_flow_run_state(self, flow_run_id: str, state: dict[str, Any], version: int | None) -> None:
        """Write one flow-run state (``version=None``: no stale-writer check)."""
        self.set_flow_run_states([{"flow_run_id": flow_run_id, "version": version, "state": state}])

    def flow_run_heartbeat(self, flow_run_id: str) -> None:
        # not retried: a heartbeat that waits is worth less than the next one
        self.mutate("update_flow_run_heartbeat", {"flow_run_id": flow_run_id}, retry=False)

    # -- task runs -----------------------------------------------------------------------------
    def task_runs(self, flow_run_id: str, keys: list[tuple[str, int]]) -> list[TaskRunRef]:
        """Find or create many task runs in one request.

        Mapped children go in one ``create_mapped_task_runs`` per task (one transaction on the
        server for all of them), other task runs in one aliased ``get_or_create_task_run_info``
        each (:data:`ALIASES_PER_REQUEST` a request); a server without the former gets the
        aliased form for every key.
        """
        if not keys:
            return []
        if not self.supports("create_mapped_task_runs"):
            return self._task_runs_one_by_one(flow_run_id, keys)
        children: dict[str, list[int]] = {}
        singles = []
        for task_id, map_index in keys:
            if map_index is not None and map_index >= 0:
                children.setdefault(task_id, []).append(map_index)
            else:
                singles.append((task_id, map_index))
        found: dict[tuple[str, int], TaskRunRef] = {}
        # the other task runs are one aliased field each: at most ALIASES_PER_REQUEST a request
        chunks = [singles[i:i + ALIASES_PER_REQUEST]
                  for i in range(0, len(singles), ALIASES_PER_REQUEST)] or [[]]
        for number, chunk in enumerate(chunks):
            tasks = children if number == 0 else {}
            variables: dict[str, Any] = {
                f"m{i}": {"flow_run_id": flow_run_id, "task_id": task_id, "map_indices": indices}
                for i, (task_id, indices) in enumerate(tasks.items())
            }
            variables.update({
                f"i{i}": {"flow_run_id": flow_run_id, "task_id": task_id, "map_index": map_index}
                for i, (task_id, map_index) in enumerate(chunk)
            })
            data = self.graphql(queries.mapped_task_runs(len(tasks), len(chunk)), variables)
            for i, task_id in enumerate(tasks):
                for run in data[f"m{i}"]["task_runs"]:
                    found[(task_id, run["map_index"])] = TaskRunRef(run["id"], run["version"])
            for i, key in enumerate(chunk):
                found[key] = TaskRunRef(data[f"t{i}"]["id"], data[f"t{i}"]["version"])
        return [found[key] for key in keys]

    def _task_runs_one_by_one(self, flow_run_id: str, keys: list[tuple[str, int]]) -> list[TaskRunRef]:
        refs = []
        for start in range(0, len(keys), ALIASES_PER_REQUEST):
            chunk = keys[start:start + ALIASES_PER_REQUEST]
            variables = {
                f"i{i}": {"flow_run_id": flow_run_id, "task_id": task_id, "map_index": map_index}
                for i, (task_id, map_index) in enumerate(chunk)
            }
            data = self.graphql(queries.task_run_infos(len(chunk)), variables)
            refs += [TaskRunRef(data[f"t{i}"]["id"], data[f"t{i}"]["version"])
                     for i in range(len(chunk))]
        return refs

    def task_run_versions(self, task_run_ids: list[str]) -> dict[str, int]:
        rows = self.graphql(queries.TASK_RUN_VERSIONS, {"ids": list(task_run_ids)})["task_run"]
        return {row["id"]: row["version"] for row in rows}

    def set_task_run_states(self, states: list[dict[str, Any]]) -> None:
        self.mutate("set_task_run_states", {"states": states}, "states { id status message }", False)

    def stored_log_ids(self, log_ids: list[str]) -> set[str]:
        """Which of these log records (ids a report gave them) the server has."""
        rows = self.graphql(queries.STORED_LOG_IDS, {"ids": list(log_ids)})["log"]
        return {row["id"] for row in rows}

    def task_run_heartbeat(self, task_run_id: str) -> None:
        self.mutate("update_task_run_heartbeat", {"task_run_id": task_run_id}, retry=False)

    def write_run_report(self, flow_run_id: str, states: list[dict[str, Any]],
                         logs: list[dict[str, Any]],
                         new_task_runs: list[dict[str, Any]] | None = None) -> bool:
        """Store task-run states (as :meth:`set_task_run_states`) and log records of one flow
        run in one request and one transaction; ``False`` (nothing sent) when the server has
        no ``write_run_report``.

        Args:
            new_task_runs: ``[{id, task_id, map_index}]``, mapped children the report creates
                first (see :meth:`reports_create_children`).
        """
        if not self.supports("write_run_report"):
            return False
        payload: dict[str, Any] = {"flow_run_id": flow_run_id, "task_run_states": states,
                                   "logs": logs}
        if new_task_runs:
            payload["new_task_runs"] = new_task_runs
        self.mutate("write_run_report", payload, "task_run_states logs", False)
        return True

    def reports_create_children(self) -> bool:
        """Whether the server's reports can create mapped children (asked once)."""
        self.features()
        return "new_task_runs" in (self._report_fields or ())

    # -- logs ----------------------------------------------------------------------------------
    def write_run_logs(self, logs: list[dict[str, Any]]) -> None:
        self.mutate("write_run_logs", {"logs": logs})

    def write_run_log(self, flow_run_id: str, message: str, level: str = "ERROR",
                      name: str = "prefect_jupyter.agent") -> None:
        """Store one log line for a flow run (best effort: a failure here is only logged)."""
        record = {
            "flow_run_id": flow_run_id, "task_run_id": None, "name": name, "level": level,
            "message": message, "timestamp": datetime.datetime.now(datetime.UTC).isoformat(),
            "info": {},
        }
        with contextlib.suppress(ServerUnavailable, WriteRejected):
            self.write_run_logs([record])

    # -- agents --------------------------------------------------------------------------------
    def runs_in_queue(self, labels: list[str], agent_id: str | None = None) -> list[str]:
        """Ids of the Scheduled runs due now that an agent with ``labels`` may run, oldest first."""
        payload: dict[str, Any] = {"labels": list(labels)}
        if agent_id:
            payload["agent_id"] = agent_id
        return list(self.mutate("get_runs_in_queue", payload, "flow_run_ids")["flow_run_ids"] or [])

    def supports(self, mutation_name: str) -> bool:
        """Whether the server's schema has a mutation (asked once, then remembered)."""
        return mutation_name in self.features()

    def features(self) -> set[str]:
        """The server's mutations, asked once (with what its reports carry) in one request;
        a run asks before it starts, so that its first report does not wait for it."""
        if self._mutations is None:
            data = self.graphql(queries.SERVER_FEATURES)
            self._mutations = {f["name"] for f in data["__schema"]["mutationType"]["fields"]}
            fields = (data.get("__type") or {}).get("inputFields") or []
            self._report_fields = {f["name"] for f in fields}
        return self._mutations
