"""Flows of flows: ``create_flow_run``, ``wait_for_flow_run``, ``get_task_run_result``, ``StartFlowRun``.

A parent flow (run anywhere: a notebook, ``flow.run()``, or an agent) starts registered child
flows on the server, follows them and reads their results. The child runs are ordinary flow
runs, picked up by an agent. A ``create_flow_run`` inside a flow run uses the parent's task run
id as idempotency key, so a retried or restarted parent does not start its children twice.

Example:
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.tasks.prefect import (
    ...     create_flow_run, get_task_run_result, wait_for_flow_run)
    >>> with Flow("parent") as parent:
    ...     run_id = create_flow_run(flow_name="etl", project_name="demo", parameters={"day": 1})
    ...     wait_for_flow_run(run_id, raise_final_state=True, stream_logs=True)
    ...     rows = get_task_run_result(run_id, task_slug="load-1")
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from prefect_jupyter.backend.artifacts import create_link_artifact
from prefect_jupyter.backend.flow_run import FlowRunView, FlowView, watch_flow_run
from prefect_jupyter.client import Client, queries
from prefect_jupyter.context import context
from prefect_jupyter.core.task import Task
from prefect_jupyter.engine.signals import signal_from_state
from prefect_jupyter.utilities.tasks import defaults_from_attrs, task

__all__ = ["StartFlowRun", "create_flow_run", "get_task_run_result", "wait_for_flow_run"]


def _idempotency_key() -> str | None:
    """The running task run's id (with its map index): the same parent task run, the same child."""
    key = context.get("task_run_id")
    map_index = context.get("map_index")
    if key and map_index is not None:
        key = f"{key}-{map_index}"
    return key


@task
def create_flow_run(
    flow_id: str | None = None,
    flow_name: str | None = None,
    project_name: str = "",
    parameters: dict | None = None,
    context: dict | None = None,
    labels: Iterable[str] | None = None,
    run_name: str | None = None,
    run_config: Any = None,
    scheduled_start_time: datetime.datetime | datetime.timedelta | None = None,
    idempotency_key: str | None = None,
) -> str:
    """Create a run of a registered flow on the server; returns its id.

    Args:
        flow_id: the flow version to run; or
        flow_name: the flow's name (its newest version), with
        project_name: its project (needed when two projects have a flow of that name).
        parameters: the run's parameters.
        context: context values for the run.
        labels: the run's labels (the flow's by default); agents with these labels run it.
        run_name: the run's name; by default ``<parent run name>-<flow name>`` in a flow run.
        run_config: a ``RunConfig`` for this run instead of the flow's (e.g. ``LocalRun(env=...)``).
        scheduled_start_time: when to start: a datetime, or a timedelta from now.
        idempotency_key: the same key gives back the same run; by default the parent's task
            run id (and map index).

    Raises:
        ValueError: both or neither of ``flow_id`` and ``flow_name``; no such flow.
    """
    from prefect_jupyter.context import context as run_context

    if flow_id and flow_name:
        raise ValueError(
            "Received both `flow_id` and `flow_name`. Only one flow identifier can be passed."
        )
    if not flow_id and not flow_name:
        raise ValueError("Both `flow_id` and `flow_name` are null. You must pass a flow identifier")
    logger = run_context.logger
    logger.debug("Looking up flow metadata...")
    flow = FlowView.from_id(flow_id) if flow_id else FlowView.from_flow_name(
        str(flow_name), project_name=project_name
    )
    if not run_name and run_context.get("flow_run_name"):
        run_name = f"{run_context.get('flow_run_name')}-{flow.name}"
    shown = run_name or "<generated-name>"
    logger.info(f"Creating flow run {shown!r} for flow {flow.name!r}...")
    if idempotency_key is None:
        idempotency_key = _idempotency_key()
    if isinstance(scheduled_start_time, datetime.timedelta):  # pendulum's Duration too
        import pendulum

        scheduled_start_time = pendulum.now("utc") + scheduled_start_time
    client = Client()
    flow_run_id = client.create_flow_run(
        flow_id=flow.flow_id, parameters=parameters, run_name=run_name,
        labels=list(labels) if labels is not None else None, context=context,
        run_config=run_config, scheduled_start_time=scheduled_start_time,
        idempotency_key=idempotency_key,
    )
    logger.info(f"Created flow run {shown!r}: {client.get_cloud_url('flow-run', flow_run_id)}")
    return flow_run_id


@task
def wait_for_flow_run(
    flow_run_id: str,
    stream_states: bool = True,
    stream_logs: bool = False,
    raise_final_state: bool = False,
    max_duration: datetime.timedelta = datetime.timedelta(hours=12),
) -> FlowRunView:
    """Wait for a flow run to finish, logging its states (and logs) as they happen.

    Each line is logged by this task as ``Flow '<run name>': <message>`` at its own level.

    Args:
        flow_run_id: the run to wait for.
        stream_states: log the run's state changes.
        stream_logs: log the run's own log lines too.
        raise_final_state: end this task in the child's final state (a failed child fails
            this task, and so the parent flow).
        max_duration: fail after this long.

    Returns:
        The finished run (``FlowRunView``, with ``state``).
    """
    from prefect_jupyter.context import context as run_context

    flow_run = FlowRunView.from_flow_run_id(flow_run_id)
    for line in watch_flow_run(
        flow_run_id, stream_states=stream_states, stream_logs=stream_logs, max_duration=max_duration
    ):
        run_context.logger.log(line.level, f"Flow {flow_run.name!r}: {line.message}")
    flow_run = flow_run.get_latest()
    if raise_final_state:
        signal = signal_from_state(flow_run.state)
        raise signal(f"{flow_run_id} finished in state {flow_run.state}", result=flow_run)
    return flow_run


@task
def get_task_run_result(
    flow_run_id: str, task_slug: str, map_index: int = -1, poll_time: int = 5
) -> Any:
    """The result of one task run of another flow run (waiting for that run to finish).

    Args:
        flow_run_id: the flow run.
        task_slug: the task's slug in that flow (e.g. ``"load-1"``).
        map_index: a mapped child's index (-1 for an unmapped task).
        poll_time: seconds between checks while the flow run is not finished.

    Raises:
        ValueError: an empty slug, this flow run's own id, or no persisted result.
    """
    from prefect_jupyter.context import context as run_context

    if not task_slug:
        raise ValueError("Required argument `task_slug` is empty")
    if run_context.get("flow_run_id") == flow_run_id:
        raise ValueError(
            "Given `flow_run_id` is the same as the currently running flow. The "
            "`get_task_run_result` task cannot be used to retrieve results from the flow run "
            "it belongs to."
        )
    shown = repr(task_slug) if map_index == -1 else f"'{task_slug}[{map_index}]'"
    flow_run = FlowRunView.from_flow_run_id(flow_run_id)
    while not flow_run.state.is_finished():
        run_context.logger.debug(
            f"Waiting for flow run {flow_run_id} to finish before retrieving the result of "
            f"task run {shown}..."
        )
        time.sleep(poll_time)
        flow_run = flow_run.get_latest()
    task_run = flow_run.get_task_run(task_slug=task_slug, map_index=map_index)
    result_type = type(getattr(task_run.state, "_result", None)).__name__
    run_context.logger.debug(f"Loading task run result from {result_type}...")
    return task_run.get_result()


class StartFlowRun(Task):
    """Start a run of a registered flow by name (Prefect 1's older flow-of-flows task).

    Args:
        flow_name: the flow's name.
        project_name: its project.
        parameters: the run's parameters (constants; pass tasks when calling the task).
        run_config: a ``RunConfig`` for the run instead of the flow's.
        wait: wait for the run to finish and end in its final state.
        new_flow_context: context values for the run.
        run_name: the run's name.
        scheduled_start_time: when to start.
        poll_interval: how often to check while waiting (at least 3 seconds).
        create_link_artifact: whether a backend run stores a link artifact to the new run on
            this task run (outside an agent run, artifacts do nothing).
        **kwargs: passed on to `Task`.

    Raises:
        TypeError: a task was passed in ``parameters``.
        ValueError: ``poll_interval`` below 3 seconds.
    """

    def __init__(
        self,
        flow_name: str | None = None,
        project_name: str | None = None,
        parameters: dict | None = None,
        run_config: Any = None,
        wait: bool = False,
        new_flow_context: dict | None = None,
        run_name: str | None = None,
        scheduled_start_time: datetime.datetime | None = None,
        poll_interval: datetime.timedelta = datetime.timedelta(seconds=10),
        create_link_artifact: bool = True,
        **kwargs: Any,
    ) -> None:
        if any(isinstance(v, Task) for v in (parameters or {}).values()):
            raise TypeError(
                "An instance of `Task` was passed to the `StartFlowRun` constructor via the "
                "`parameters` kwarg. Pass such parameters when calling the task instead: "
                "`StartFlowRun(flow_name=...)(parameters={...})`."
            )
        if poll_interval.total_seconds() < 3:
            raise ValueError(
                "`poll_interval` needs to be at least 3 seconds to avoid spamming the server "
                f"(poll_interval == {poll_interval.total_seconds()} seconds)!"
            )
        self.flow_name = flow_name
        self.project_name = project_name
        self.parameters = parameters
        self.run_config = run_config
        self.wait = wait
        self.new_flow_context = new_flow_context
        self.run_name = run_name
        self.scheduled_start_time = scheduled_start_time
        self.poll_interval = poll_interval
        self.create_link_artifact = create_link_artifact
        if flow_name:
            kwargs.setdefault("name", f"Flow {flow_name}")
        super().__init__(**kwargs)

    @defaults_from_attrs(
        "flow_name", "project_name", "parameters", "run_config", "new_flow_context", "run_name",
        "scheduled_start_time",
    )
    def run(
        self,
        flow_name: str | None = None,
        project_name: str | None = None,
        parameters: dict | None = None,
        run_config: Any = None,
        new_flow_context: dict | None = None,
        run_name: str | None = None,
        idempotency_key: str | None = None,
        scheduled_start_time: datetime.datetime | None = None,
    ) -> str:
        """Create the run; with ``wait``, end in its final state.

        Returns:
            The new flow run's id (when not waiting).

        Raises:
            ValueError: no flow name, no project name, or no such flow.
            SUCCESS / FAIL / ...: with ``wait``, the signal of the run's final state.
        """
        if flow_name is None:
            raise ValueError("Must provide a flow name.")
        if project_name is None:
            raise ValueError("Must provide a project name.")
        client = Client()
        flows = client.graphql(queries.newest_flow_id(flow_name, project_name)).data.flow
        if not flows:
            raise ValueError(f"Flow '{flow_name}' not found.")
        flow_run_id = client.create_flow_run(
            flow_id=flows[0].id, parameters=parameters, run_config=run_config,
            idempotency_key=idempotency_key if idempotency_key is not None else context.get("task_run_id"),
            context=new_flow_context, run_name=run_name, scheduled_start_time=scheduled_start_time,
        )
        run_link = client.get_cloud_url("flow-run", flow_run_id)
        if self.create_link_artifact:  # in an agent run, the parent task run links to its child
            create_link_artifact(urlparse(run_link).path)
        self.logger.info(f"Flow Run: {run_link}")
        if not self.wait:
            return flow_run_id
        while True:
            time.sleep(self.poll_interval.total_seconds())
            state = client.get_flow_run_info(flow_run_id).state
            if state.is_finished():
                raise signal_from_state(state)(f"{flow_run_id} finished in state {state}")
