"""The zombie killer: task runs that claim to be running but whose process is gone.

A task run is a *zombie* when it is ``Running`` and neither it nor its flow run has sent a
heartbeat (or changed state) for ``heartbeat_window`` seconds — the agent or machine running it
was killed, or lost. The zombie killer then, as Prefect Server 1 did:

- sets it ``Retrying`` (start now + the task's ``retry_delay``) when its flow run is
  ``Running`` and the task has retries left — ``max_retries`` of the task against the
  ``Retrying`` states in the task run's history since it was last ``Pending``;
- otherwise sets it ``Failed``: "No heartbeat detected from the remote task; marking the run as
  failed."

Both states carry the context marker ``{"lost_heartbeat": true}``: the task did not fail, its
process died. When Lazarus reschedules the flow run, the new process runs such a task again
instead of reusing its ``Failed`` state (``backend/restore.py``).

Runs of a flow whose flow group turned heartbeats off (``disable_flow_heartbeat``; Prefect 1's
runner then sends none) are left alone, as Prefect Server 1 did.

A flow run stuck in ``Cancelling`` without a heartbeat (nobody is left to stop it) is set
``Failed`` ("No heartbeat detected from the flow run; marking the run as failed.").

The dead *flow run* itself is left to :mod:`~prefect_jupyter.server.services.lazarus`, which
reschedules it (or fails it after too many attempts) once no task run of it is running.
Each change goes through the transition table (``api/states.py``), with the row locked and
the conditions checked again first, and is written to the run's logs.
"""

from __future__ import annotations

import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from prefect_jupyter.engine.state import Failed, Retrying
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.api import states
from prefect_jupyter.server.api.flow_groups import heartbeat_enabled
from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.database.models import (
    Flow,
    FlowGroup,
    FlowRun,
    Task,
    TaskRun,
    TaskRunState,
    utcnow,
)
from prefect_jupyter.server.services.loop import LoopService
from prefect_jupyter.server.services.runs import is_silent, last_heard, write_log

TASK_RUN_FAILED = "No heartbeat detected from the remote task; marking the run as failed."
FLOW_RUN_FAILED = "No heartbeat detected from the flow run; marking the run as failed."

#: the context key marking a state written because the run's process stopped beating (read by
#: ``backend/restore.py``, which can't import the server)
LOST_HEARTBEAT = "lost_heartbeat"

#: the most runs handled in one pass (the rest wait for the next)
BATCH = 5000


class ZombieKiller(LoopService):
    """Fails (or retries) running task runs whose heartbeat stopped (see the module docstring).

    Args:
        database: the server's database.
        loop_seconds: seconds between passes.
        heartbeat_window: seconds of silence after which a run counts as dead.
    """

    name = "zombie_killer"

    def __init__(self, database: Database, loop_seconds: float, heartbeat_window: float) -> None:
        super().__init__(database, loop_seconds)
        self.heartbeat_window = float(heartbeat_window)

    def run_once(self, now: datetime.datetime | None = None) -> int:
        """One pass; returns how many runs it changed."""
        now = now or utcnow()
        cutoff = now - datetime.timedelta(seconds=self.heartbeat_window)
        return self.reap_task_runs(now, cutoff) + self.reap_cancelling_flow_runs(cutoff)

    def reap_task_runs(self, now: datetime.datetime, cutoff: datetime.datetime) -> int:
        with self.database.read_session() as session:
            found = session.execute(
                select(TaskRun.id, FlowGroup.settings)
                .join(FlowRun, FlowRun.id == TaskRun.flow_run_id)
                .join(Flow, Flow.id == FlowRun.flow_id)
                .outerjoin(FlowGroup, FlowGroup.id == Flow.flow_group_id)
                .where(
                    TaskRun.state == "Running",
                    last_heard(TaskRun) <= cutoff,
                    last_heard(FlowRun) <= cutoff,
                )
                .order_by(TaskRun.updated)
                .limit(BATCH)
            ).all()
        # a flow group with heartbeats turned off sends none: silence proves nothing
        ids = [task_run_id for task_run_id, settings in found if heartbeat_enabled(settings)]
        reaped = 0
        for task_run_id in ids:
            with self.database.write_session() as session:
                reaped += self._reap_task_run(session, task_run_id, now, cutoff)
        if reaped:
            self.logger.warning("Handled %d task run(s) whose heartbeat stopped.", reaped)
        return reaped

    def _reap_task_run(
        self, session: Session, task_run_id: str, now: datetime.datetime, cutoff: datetime.datetime
    ) -> int:
        task_run = states.lock_run(session, "task_run", task_run_id)
        flow_run = session.get(FlowRun, task_run.flow_run_id)
        if task_run.state != "Running" or flow_run is None or not (
            is_silent(task_run, cutoff) and is_silent(flow_run, cutoff)
        ):
            return 0  # it moved on, or beat again, since it was found
        task = session.get(Task, task_run.task_id)
        max_retries = task.max_retries if task is not None else 0
        retried = _retries_so_far(session, task_run.id)
        if flow_run.state == "Running" and retried < max_retries:
            delay = datetime.timedelta(seconds=(task.retry_delay if task is not None else 0) or 0)
            message = (
                "No heartbeat detected from the remote task; retrying the run. This will be "
                f"retry {retried + 1} of {max_retries}."
            )
            new = Retrying(message, run_count=retried + 1, start_time=now + delay,
                           context={LOST_HEARTBEAT: True})
        else:
            message = TASK_RUN_FAILED
            new = Failed(message, context={LOST_HEARTBEAT: True})
        states.set_run_state(session, task_run, new, state_to_dict(new))
        write_log(session, self.name, flow_run.id, message, task_run_id=task_run.id)
        return 1

    def reap_cancelling_flow_runs(self, cutoff: datetime.datetime) -> int:
        with self.database.read_session() as session:
            ids = session.execute(
                select(FlowRun.id)
                .where(FlowRun.state == "Cancelling", last_heard(FlowRun) <= cutoff)
                .order_by(FlowRun.updated)
                .limit(BATCH)
            ).scalars().all()
        reaped = 0
        for flow_run_id in ids:
            with self.database.write_session() as session:
                run = states.lock_run(session, "flow_run", flow_run_id)
                if run.state != "Cancelling" or not is_silent(run, cutoff):
                    continue
                failed = Failed(FLOW_RUN_FAILED)
                states.set_run_state(session, run, failed, state_to_dict(failed))
                write_log(session, self.name, run.id, FLOW_RUN_FAILED)
                reaped += 1
        if reaped:
            self.logger.warning("Failed %d cancelling flow run(s) whose heartbeat stopped.", reaped)
        return reaped


def _retries_so_far(session: Session, task_run_id: str) -> int:
    """``Retrying`` states in the task run's history since it was last ``Pending``."""
    history = session.execute(
        select(TaskRunState.state)
        .where(TaskRunState.task_run_id == task_run_id)
        .order_by(TaskRunState.version)
    ).scalars()
    count = 0
    for state in history:
        if state == "Pending":
            count = 0
        elif state == "Retrying":
            count += 1
    return count
