"""``Client``: the GraphQL API client used by ``flow.register()``, the agent, the CLI and notebooks.

It keeps one ``httpx.Client`` (a connection pool) for its lifetime; use it as a context manager,
or call :meth:`Client.close`, to release it. Method names and signatures are Prefect 1's.

Failures:

* the server could not take the request now (no server, HTTP 5xx, its database unavailable)
  → :class:`ServerUnavailable` (:class:`ServerConnectionError` when unreachable, naming the URL
  and how to start a server);
* the server refused it → :class:`WriteRejected` with the server's messages (subclasses for
  ``NOT_FOUND``, stale versions and HTTP 401).

See ``client/errors.py`` for how answers are sorted. Connection errors and HTTP 5xx are retried
with exponential backoff (``max_attempts`` attempts, waiting ``backoff``, ``2 * backoff``, ...
seconds, at most 10 s at a time), so an agent rides out a server restart. A request that may
have reached the server (a dropped connection, a timeout, a 500/502/504) is retried only when
``retry_on_api_error`` is true; HTTP 503 ("not carried out, try later") always is, no sooner
than its ``Retry-After``.

Example:
    >>> with Client() as client:
    ...     project_id = client.create_project("etl")
    ...     flow_id = client.register(flow, project_name="etl")
    ...     run_id = client.create_flow_run(flow_id, parameters={"x": 1})
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pendulum

from prefect_jupyter.client import queries
from prefect_jupyter.client.errors import (
    ObjectNotFoundError,
    ServerConnectionError,
    ServerUnavailable,
    error_for,
)
from prefect_jupyter.client.results import (
    FlowRunInfoResult,
    GraphQLResult,
    ProjectInfo,
    TaskRunInfoResult,
    as_result,
)
from prefect_jupyter.configuration import config
from prefect_jupyter.utilities import fast_json

if TYPE_CHECKING:
    import httpx

    from prefect_jupyter.core.flow import Flow
    from prefect_jupyter.engine.state import State

__all__ = ["Client"]

_RETRY_STATUSES = {500, 502, 503, 504}
_MAX_SLEEP = 10.0


class Client:
    """A client of the prefect_jupyter server's GraphQL API.

    Args:
        api_server: the GraphQL endpoint (default: ``config.cloud.graphql``, e.g.
            ``http://127.0.0.1:4200/graphql``).
        api_token: the server's API token, sent as ``Authorization: Bearer <token>`` (default:
            ``config.server.api_token``; empty means none).
        api_key: Prefect 1.x's name for the same token (``Client(api_key=...)``); give one or
            the other.
        tenant_id: accepted as Prefect 1 takes it; this server has one tenant, so it is kept
            (``client.tenant_id``) and changes nothing.
        max_attempts: how many times a request is tried before giving up (at least 1).
        backoff: seconds to wait before the first retry; doubled after each one.
        timeout: seconds to wait for a response (default: ``config.cloud.request_timeout``).
    """

    def __init__(
        self,
        api_server: str | None = None,
        api_token: str | None = None,
        tenant_id: str | None = None,
        *,
        api_key: str | None = None,
        max_attempts: int = 4,
        backoff: float = 0.5,
        timeout: float | None = None,
    ) -> None:
        self.api_server = str(api_server or config.cloud.graphql)
        if api_key is not None and api_token is not None and api_key != api_token:
            raise ValueError(
                "Client got both api_token and api_key, which differ: they are one token "
                "(api_key is Prefect 1.x's name for it). Pass one of them."
            )
        if api_token is None:
            api_token = api_key
        self.tenant_id = tenant_id
        token = api_token if api_token is not None else config.server.get("api_token")
        self.api_token = str(token) if token else None
        self.max_attempts = max(1, int(max_attempts))
        self.backoff = float(backoff)
        self.timeout = float(timeout if timeout is not None else config.cloud.request_timeout)
        self._http: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"<Client: {self.api_server}>"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (a later request opens a new one)."""
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- transport --------------------------------------------------------------------------------
    def _session(self) -> httpx.Client:
        if self._http is None:
            import httpx

            from prefect_jupyter import __version__

            headers = {"X-Prefect-Jupyter-Version": __version__}
            if self.api_token:
                headers["Authorization"] = f"Bearer {self.api_token}"
            self._http = httpx.Client(timeout=self.timeout, headers=headers)
        return self._http

    def graphql(
        self,
        query: str | Mapping[str, Any],
        variables: Mapping[str, Any] | None = None,
        retry_on_api_error: bool = True,
        raise_on_error: bool = True,
    ) -> GraphQLResult:
        """Send a GraphQL query or mutation; returns the response (``{"data": ...}``).

        ``query`` is GraphQL text or, as Prefect 1's client allowed, nested dicts that
        :func:`~prefect_jupyter.utilities.graphql.parse_graphql` turns into text
        (``{"query": {"flow": {"id", "name"}}}``).

        Raises:
            WriteRejected: with the server's messages when it refused the request (and
                ``raise_on_error``); ``AuthorizationError`` for HTTP 401.
            ServerUnavailable: when the server can't take it now (``ServerConnectionError``
                when it can't be reached).
        """
        if isinstance(query, Mapping):
            from prefect_jupyter.utilities.graphql import parse_graphql

            query = parse_graphql(query)
        if not isinstance(query, str):
            raise TypeError(
                "Client.graphql takes the query as GraphQL text or as nested dicts (Prefect 1's "
                f"form), got {type(query).__name__}."
            )
        payload = {"query": query, "variables": dict(variables or {})}
        response = self._post(payload, retry_on_api_error)
        body = self._decode(response)
        errors = body.get("errors")
        status = response.status_code
        if status == 401:
            raise error_for(
                f"{_messages(errors) or 'Unauthorized'} The server at {self.api_server} needs its "
                "API token: set `server.api_token` in your config (or the environment variable "
                "PREFECT_JUPYTER__SERVER__API_TOKEN), or pass Client(api_token=...).",
                errors, status,
            )
        if status >= 500 or (errors and raise_on_error):
            raise error_for(_messages(errors) or self._status_message(response), errors, status)
        if status >= 400 and not errors:
            raise error_for(self._status_message(response), errors, status)
        return as_result(body)

    def _post(self, payload: dict[str, Any], retry: bool) -> httpx.Response:
        import httpx

        session = self._session()
        body = fast_json.dumps(payload)
        headers = {"Content-Type": "application/json"}
        attempt = 0
        while True:
            attempt += 1
            pause = min(self.backoff * 2 ** (attempt - 1), _MAX_SLEEP)
            try:
                response = session.post(self.api_server, content=body, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing was sent
                if attempt >= self.max_attempts:
                    raise self._unreachable(exc, attempt) from exc
            except httpx.TransportError as exc:  # it may have been received: retry if allowed
                if not retry or attempt >= self.max_attempts:
                    raise self._unreachable(exc, attempt) from exc
            else:
                status = response.status_code
                again = status == 503 or (retry and status in _RETRY_STATUSES)
                if not again or attempt >= self.max_attempts:
                    return response
                pause = max(pause, min(_retry_after(response), _MAX_SLEEP))
            time.sleep(pause)

    def _unreachable(self, exc: Exception, attempts: int) -> ServerConnectionError:
        reason = str(exc) or type(exc).__name__
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return ServerConnectionError(
            f"Could not reach the prefect_jupyter server at {self.api_server}{tries} ({reason}). "
            "Start it with `prefect-jupyter server start`, or point the client at a running "
            "server: set `server.endpoint` in your config (or PREFECT_JUPYTER__SERVER__ENDPOINT), "
            "or pass Client(api_server=...)."
        )

    def _status_message(self, response: httpx.Response) -> str:
        text = response.text[:500]
        return f"The server at {self.api_server} answered HTTP {response.status_code}: {text}"

    def _decode(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = fast_json.loads(response.content)
        except ValueError:
            body = None
        if not isinstance(body, dict):  # not our server's answer: a proxy, a server restarting
            raise ServerUnavailable(
                f"Malformed response from {self.api_server} (HTTP {response.status_code}): "
                f"{response.text[:500]!r}. Is this a prefect_jupyter server?",
                status=response.status_code,
            )
        return body

    def _data(self, query: str, variables: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.graphql(query, variables, **kwargs).data

    def _mutate(self, mutation: str, fields: str, /, **inputs: Any) -> Any:
        return self._data(queries.mutation(mutation, fields), {"input": inputs})[mutation]

    # -- projects and flows -----------------------------------------------------------------------
    def create_project(self, project_name: str, project_description: str | None = None) -> str:
        """Create a project, or find the one of that name; returns its id."""
        existing = self._data(queries.PROJECT_BY_NAME, {"name": project_name}).project
        if existing:
            return existing[0].id
        created = self._mutate("create_project", "id", name=project_name, description=project_description)
        return created.id

    def delete_project(self, project_name: str) -> bool:
        """Delete a project (and its flows).

        Raises:
            ValueError: if there is no project of that name.
        """
        if project_name is None:
            raise TypeError("'project_name' is a required field for deleting a project")
        project = self._data(queries.PROJECT_BY_NAME, {"name": project_name}).project
        if not project:
            raise ValueError(f"Project {project_name} not found.")
        return bool(self._mutate("delete_project", "success", project_id=project[0].id).success)

    def register(
        self,
        flow: Flow,
        project_name: str | None = None,
        build: bool = True,
        set_schedule_active: bool = True,
        version_group_id: str | None = None,
        compressed: bool = True,
        no_url: bool = False,
        idempotency_key: str | None = None,
        labels: list[str] | None = None,
    ) -> str:
        """Register ``flow`` (and its code) in a project; returns the flow's id.

        See :func:`prefect_jupyter.client.registration.register_with_client`.
        """
        from prefect_jupyter.client.registration import register_with_client

        return register_with_client(
            self, flow, project_name=project_name, build=build,
            set_schedule_active=set_schedule_active, version_group_id=version_group_id,
            compressed=compressed, no_url=no_url, idempotency_key=idempotency_key, labels=labels,
        )

    def get_flow(self, flow_id: str) -> Flow:
        """The registered flow ``flow_id``, with its code loaded from its storage.

        Raises:
            ObjectNotFoundError: if there is no such flow.
            prefect_jupyter.serialization.FlowLoadError: if its code can't be loaded here.
        """
        from prefect_jupyter.storage.shipping import load_flow

        found = self._data(queries.FLOW_BY_ID, {"id": flow_id}).flow_by_pk
        if found is None:
            raise ObjectNotFoundError(
                f"Flow {flow_id} not found: check the id with `prefect-jupyter get flows`."
            )
        return load_flow(found.serialized_flow.to_dict())

    def archive_flow(self, flow_id: str) -> bool:
        """Archive a flow: it can't be run any more, and its schedule stops."""
        return bool(self._mutate("archive_flow", "success", flow_id=flow_id).success)

    def delete_flow(self, flow_id: str) -> bool:
        """Delete a flow and its runs."""
        return bool(self._mutate("delete_flow", "success", flow_id=flow_id).success)

    def set_schedule_active(self, flow_id: str) -> bool:
        """Turn on a flow's schedule."""
        return bool(self._mutate("set_schedule_active", "success", flow_id=flow_id).success)

    def set_schedule_inactive(self, flow_id: str) -> bool:
        """Turn off a flow's schedule."""
        return bool(self._mutate("set_schedule_inactive", "success", flow_id=flow_id).success)

    def get_cloud_url(self, subdirectory: str, id: str) -> str:
        """The UI's page for an object, e.g. ``get_cloud_url("flow", flow_id)``."""
        return "/".join([str(config.server.ui.endpoint).rstrip("/"), subdirectory, id])

    # -- flow runs --------------------------------------------------------------------------------
    def create_flow_run(
        self,
        flow_id: str | None = None,
        context: dict[str, Any] | None = None,
        parameters: dict[str, Any] | None = None,
        run_config: Any = None,
        labels: list[str] | None = None,
        scheduled_start_time: datetime.datetime | None = None,
        idempotency_key: str | None = None,
        run_name: str | None = None,
        version_group_id: str | None = None,
    ) -> str:
        """Schedule a run of a flow (by id, or the current version of a version group).

        Labels default to the run config's, else the flow's; without ``scheduled_start_time`` it
        is due now. The same ``idempotency_key`` gives back the same run. ``run_config`` (a
        ``RunConfig``) replaces the flow's for this run, as in Prefect 1: the local agent honours
        a ``LocalRun``'s ``env`` and ``working_dir``.

        Raises:
            ValueError: if neither ``flow_id`` nor ``version_group_id`` is given.
            TypeError: if ``run_config`` is not a ``RunConfig``.
            ClientError: for an archived flow, or unknown or missing parameters.
        """
        if not flow_id and not version_group_id:
            raise ValueError("One of flow_id or version_group_id must be provided")
        inputs: dict[str, Any] = {"flow_id": flow_id} if flow_id else {"version_group_id": version_group_id}
        optional = {
            "parameters": parameters, "context": context, "labels": labels,
            "idempotency_key": idempotency_key, "flow_run_name": run_name,
            "scheduled_start_time": _iso(scheduled_start_time),
            "run_config": _serialized_run_config(run_config),
        }
        inputs.update({k: v for k, v in optional.items() if v is not None})
        return self._mutate("create_flow_run", "id", **inputs).id

    def get_flow_run_info(self, flow_run_id: str) -> FlowRunInfoResult:
        """A flow run's state, version, parameters and context, and its task runs.

        Raises:
            ObjectNotFoundError: if there is no such flow run.
        """
        run = self._data(queries.FLOW_RUN_INFO, {"id": flow_run_id}).flow_run_by_pk
        if run is None:
            raise ObjectNotFoundError(f'Flow run ID not found: "{flow_run_id}"')
        task_runs = [
            TaskRunInfoResult(
                id=tr.id, task_id=tr.task.id, task_slug=tr.task.slug, version=tr.version,
                state=_state(tr.serialized_state),
            )
            for tr in run.task_runs
        ]
        start = run.scheduled_start_time
        return FlowRunInfoResult(
            id=run.id, name=run.name, flow_id=run.flow_id,
            project=ProjectInfo(id=run.flow.project.id, name=run.flow.project.name),
            parameters=_plain(run.parameters), context=_plain(run.context), version=run.version,
            scheduled_start_time=pendulum.parse(start) if start else None,
            state=_state(run.serialized_state), task_runs=task_runs,
        )

    def get_flow_run_state(self, flow_run_id: str) -> State:
        """A flow run's current state."""
        run = self._data(queries.FLOW_RUN_STATE, {"id": flow_run_id}).flow_run_by_pk
        if run is None:
            raise ObjectNotFoundError(f"Flow run {flow_run_id!r} not found.")
        return _state(run.serialized_state)

    def set_flow_run_state(self, flow_run_id: str, state: State, version: int | None = None) -> State:
        """Set a flow run's state; with ``version``, only if the run is still at that version.

        Returns:
            The state the run should now be considered in (``Queued`` if the server queued it).

        Raises:
            VersionLockMismatchError: if ``version`` is not the run's current version.
        """
        return self._set_states("set_flow_run_states", "flow_run_id", flow_run_id, state, version)

    def set_task_run_state(
        self, task_run_id: str, state: State, version: int | None = None, cache_for: Any = None
    ) -> State:
        """Set a task run's state; with ``version``, only if the run is still at that version.

        Raises:
            VersionLockMismatchError: if ``version`` is not the run's current version.
        """
        return self._set_states("set_task_run_states", "task_run_id", task_run_id, state, version)

    def _set_states(self, name: str, id_key: str, run_id: str, state: State, version: int | None) -> State:
        from prefect_jupyter.engine.state import Queued
        from prefect_jupyter.engine.state_schema import state_to_dict

        entry = {id_key: run_id, "version": version, "state": state_to_dict(state)}
        payload = self._mutate(name, "states { id status message }", states=[entry]).states[0]
        if payload.get("status") == "QUEUED":
            return Queued(message=payload.get("message"))
        return state

    def get_task_run_info(self, flow_run_id: str, task_id: str, map_index: int | None = None) -> TaskRunInfoResult:
        """A task run's id, version and state (created when a mapped child is new)."""
        info = self._mutate(
            "get_or_create_task_run_info", "id version state serialized_state",
            flow_run_id=flow_run_id, task_id=task_id, map_index=-1 if map_index is None else map_index,
        )
        return TaskRunInfoResult(
            id=info.id, task_id=task_id, task_slug="", version=info.version,
            state=_state(info.serialized_state),
        )

    def get_task_run_state(self, task_run_id: str) -> State:
        """A task run's current state."""
        info = self._data(queries.TASK_RUN_STATE, {"id": task_run_id}).get_task_run_info
        if info is None:
            raise ObjectNotFoundError(f"Task run {task_run_id!r} not found.")
        return _state(info.serialized_state)

    def get_latest_cached_states(
        self, task_id: str, cache_key: str | None, created_after: datetime.datetime,
        limit: int = 50,
    ) -> list[State]:
        """The newest ``Cached`` states stored since ``created_after``: of task runs of tasks
        with ``cache_key`` when one is given (any flow), else of task runs of the task
        ``task_id`` (this version of its flow), newest first (Prefect 1's lookup for
        ``cache_for`` in a run reported to a server).
        """
        where: dict[str, Any] = {
            "state": {"_eq": "Cached"},
            "state_timestamp": {"_gte": created_after.isoformat()},
        }
        if cache_key is not None:
            where["task"] = {"cache_key": {"_eq": cache_key}}
        else:
            where["task_id"] = {"_eq": task_id}
        rows = self._data(queries.CACHED_TASK_RUN_STATES, {"where": where, "limit": limit}).task_run
        return [_state(row.serialized_state) for row in rows if row.get("serialized_state")]

    def cancel_flow_run(self, flow_run_id: str) -> str:
        """Cancel a run that has not finished; returns its new state's name."""
        return self._mutate("cancel_flow_run", "state", flow_run_id=flow_run_id).state

    def set_flow_run_name(self, flow_run_id: str, name: str) -> bool:
        """Rename a flow run; returns True once the server has it."""
        return bool(self._mutate("set_flow_run_name", "success", flow_run_id=flow_run_id, name=name).success)

    def set_task_run_name(self, task_run_id: str, name: str) -> bool:
        """Name a task run (Prefect 1's method); returns True once the server has it."""
        return bool(self._mutate("set_task_run_name", "success", task_run_id=task_run_id,
                                 name=name).success)

    def delete_flow_run(self, flow_run_id: str) -> bool:
        """Delete a flow run, its task runs and logs."""
        return bool(self._mutate("delete_flow_run", "success", flow_run_id=flow_run_id).success)

    # -- artifacts --------------------------------------------------------------------------------
    def create_task_run_artifact(
        self, task_run_id: str, kind: str, data: dict[str, Any], tenant_id: str | None = None
    ) -> str:
        """Store an artifact of a task run (``kind`` ``"markdown"`` with ``data``
        ``{"markdown": ...}``, or ``"link"`` with ``{"link": ...}``); returns its id.

        Raises:
            ValueError: no ``task_run_id`` (outside a task run of a server run), or no id back.
            ObjectNotFoundError: the server has no such task run.
        """
        if not task_run_id:
            raise ValueError(
                "create_task_run_artifact needs the id of a task run the server knows; inside a "
                "task run by an agent it is prefect_jupyter.context.task_run_id."
            )
        created = self._mutate(
            "create_task_run_artifact", "id",
            task_run_id=task_run_id, kind=kind, data=data, tenant_id=tenant_id,
        )
        if not created or not created.id:
            raise ValueError("Error creating task run artifact")
        return created.id

    def update_task_run_artifact(self, task_run_artifact_id: str, data: dict[str, Any]) -> None:
        """Replace an artifact's data.

        Raises:
            ObjectNotFoundError: the server has no such artifact.
        """
        self._mutate("update_task_run_artifact", "success",
                     task_run_artifact_id=task_run_artifact_id, data=data)

    def delete_task_run_artifact(self, task_run_artifact_id: str) -> None:
        """Delete an artifact.

        Raises:
            ObjectNotFoundError: the server has no such artifact.
        """
        self._mutate("delete_task_run_artifact", "success", task_run_artifact_id=task_run_artifact_id)

    def register_agent(
        self,
        agent_type: str,
        name: str | None = None,
        labels: list[str] | None = None,
        agent_config_id: str | None = None,
    ) -> str:
        """Register an agent (an agent registering again with the same name, type and labels
        keeps its id); returns the agent's id.

        Raises:
            ValueError: when the server gave no id back.
        """
        registered = self._mutate(
            "register_agent", "id", type=agent_type, name=name, labels=list(labels or []),
            agent_config_id=agent_config_id,
        )
        if not registered or not registered.id:
            raise ValueError("Error registering agent")
        return registered.id

    def update_flow_run_heartbeat(self, flow_run_id: str) -> None:
        """Tell the server the flow run is alive."""
        self._mutate("update_flow_run_heartbeat", "success", flow_run_id=flow_run_id)

    def update_task_run_heartbeat(self, task_run_id: str) -> None:
        """Tell the server the task run is alive."""
        self._mutate("update_task_run_heartbeat", "success", task_run_id=task_run_id)

    def write_run_logs(self, logs: list[dict[str, Any]]) -> None:
        """Send log records (``flow_run_id, task_run_id, timestamp, name, level, message, info``).

        Raises:
            ValueError: if the server did not store them.
        """
        if not self._mutate("write_run_logs", "success", logs=list(logs)).success:
            raise ValueError("Writing logs failed.")

    def get_runs_in_queue(
        self, before: datetime.datetime | None = None, labels: list[str] | None = None,
        agent_id: str | None = None,
    ) -> list[str]:
        """Ids of Scheduled runs due by ``before`` (default: now) whose labels are all in
        ``labels``, oldest first (what an agent polls for)."""
        inputs: dict[str, Any] = {"labels": list(labels or [])}
        if before is not None:
            inputs["before"] = _iso(before)
        if agent_id is not None:
            inputs["agent_id"] = agent_id
        return list(self._mutate("get_runs_in_queue", "flow_run_ids", **inputs).flow_run_ids or [])


def _retry_after(response: httpx.Response) -> float:
    """The seconds a 503's ``Retry-After`` asks for (0 when absent or a date)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", 0)))
    except ValueError:
        return 0.0


def _messages(errors: Any) -> str:
    if not isinstance(errors, list):
        return ""
    return " ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)


def _iso(when: datetime.datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.isoformat()


def _serialized_run_config(run_config: Any) -> dict[str, Any] | None:
    """``run_config.serialize()``, refusing what is not a ``RunConfig`` before any request."""
    from prefect_jupyter.run_configs.base import RunConfig

    if run_config is None:
        return None
    if not isinstance(run_config, RunConfig):
        raise TypeError(
            f"run_config must be a RunConfig (e.g. LocalRun(env={{...}})), got "
            f"{type(run_config).__name__}: {run_config!r}."
        )
    return run_config.serialize()


def _plain(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return value.to_dict() if isinstance(value, GraphQLResult) else dict(value)


def _state(serialized: Any) -> State:
    from prefect_jupyter.engine.state import Pending
    from prefect_jupyter.engine.state_schema import state_from_dict

    if not serialized:
        return Pending()
    return state_from_dict(_plain(serialized))
