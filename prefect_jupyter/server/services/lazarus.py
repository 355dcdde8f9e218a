"""Lazarus: flow runs whose process is gone are rescheduled, a limited number of times.

A flow run is *dead* when it is ``Submitted`` or ``Running``, has sent no heartbeat (nor
changed state) for ``heartbeat_window`` seconds, and none of its task runs is running
(``Running``/``Cancelling``) or waiting for a person (``Paused``): its agent took it and died,
or its process was killed between two tasks, or the zombie killer has just dealt with the task
that was running. Lazarus then, as Prefect Server 1 did:

- sets it ``Scheduled`` ("Rescheduled by a Lazarus process.", due now) and adds one to its
  ``times_resurrected``, while that is below ``resurrection_attempt_limit``; an agent picks it
  up again, and the new process reuses the states (and persisted results) of the task runs that
  had finished, so finished work is not repeated;
- otherwise sets it ``Failed``: "A Lazarus process attempted to reschedule this run N times
  without success. Marking as failed." (with a limit of 0: "No heartbeat detected from the
  flow run; marking the run as failed.").

So nothing stays ``Submitted`` or ``Running`` forever. Each change goes through the transition
table with the row locked and the conditions checked again, and is written to the run's logs.
"""

from __future__ import annotations

import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from prefect_jupyter.engine.state import Failed, Scheduled
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.server.api import states
from prefect_jupyter.server.api.flow_groups import lazarus_enabled
from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.database.models import Flow, FlowGroup, FlowRun, TaskRun, utcnow
from prefect_jupyter.server.services.loop import LoopService
from prefect_jupyter.server.services.runs import is_silent, last_heard, write_log
from prefect_jupyter.server.services.zombie_killer import BATCH, FLOW_RUN_FAILED

RESCHEDULED = "Rescheduled by a Lazarus process."
#: flow-run states Lazarus looks after
WATCHED_STATES = ("Submitted", "Running")
#: task-run states that mean the flow run is alive, or waits for a person
LIVE_TASK_STATES = ("Running", "Cancelling", "Paused")


class Lazarus(LoopService):
    """Reschedules flow runs whose process is gone (see the module docstring).

    Args:
        database: the server's database.
        loop_seconds: seconds between passes.
        heartbeat_window: seconds of silence after which a run counts as dead.
        resurrection_attempt_limit: reschedules of one run before it is marked Failed.
    """

    name = "lazarus"

    def __init__(
        self,
        database: Database,
        loop_seconds: float,
        heartbeat_window: float,
        resurrection_attempt_limit: int = 3,
    ) -> None:
        super().__init__(database, loop_seconds)
        self.heartbeat_window = float(heartbeat_window)
        self.resurrection_attempt_limit = int(resurrection_attempt_limit)

    def run_once(self, now: datetime.datetime | None = None) -> int:
        """One pass; returns how many flow runs it rescheduled or failed."""
        now = now or utcnow()
        cutoff = now - datetime.timedelta(seconds=self.heartbeat_window)
        live_task_run = exists().where(
            TaskRun.flow_run_id == FlowRun.id, TaskRun.state.in_(LIVE_TASK_STATES)
        )
        with self.database.read_session() as session:
            found = session.execute(
                select(FlowRun.id, FlowGroup.settings)
                .join(Flow, Flow.id == FlowRun.flow_id)
                .outerjoin(FlowGroup, FlowGroup.id == Flow.flow_group_id)
                .where(
                    FlowRun.state.in_(WATCHED_STATES),
                    last_heard(FlowRun) <= cutoff,
                    ~live_task_run,
                )
                .order_by(FlowRun.updated)
                .limit(BATCH)
            ).all()
        # a flow group with Lazarus turned off (disable_flow_lazarus_process) is left alone
        ids = [flow_run_id for flow_run_id, settings in found if lazarus_enabled(settings)]
        handled = 0
        for flow_run_id in ids:
            with self.database.write_session() as session:
                handled += self._revive(session, flow_run_id, now, cutoff)
        return handled

    def _revive(
        self, session: Session, flow_run_id: str, now: datetime.datetime, cutoff: datetime.datetime
    ) -> int:
        run = states.lock_run(session, "flow_run", flow_run_id)
        if run.state not in WATCHED_STATES or not is_silent(run, cutoff) or _has_live_task_run(
            session, run.id
        ):
            return 0  # it moved on, or beat again, since it was found
        if run.times_resurrected < self.resurrection_attempt_limit:
            attempt = run.times_resurrected + 1
            new = Scheduled(RESCHEDULED, start_time=now)
            states.set_run_state(session, run, new, state_to_dict(new))
            run.times_resurrected = attempt
            write_log(session, self.name, run.id, f"{RESCHEDULED} This is attempt {attempt}.",
                      level="INFO")
            self.logger.warning("Rescheduled flow run %s (attempt %d of %d): its process is gone.",
                                run.id, attempt, self.resurrection_attempt_limit)
        else:
            message = (
                f"A Lazarus process attempted to reschedule this run "
                f"{self.resurrection_attempt_limit} times without success. Marking as failed."
                if self.resurrection_attempt_limit > 0
                else FLOW_RUN_FAILED
            )
            new = Failed(message)
            states.set_run_state(session, run, new, state_to_dict(new))
            write_log(session, self.name, run.id, message)
            self.logger.warning("Failed flow run %s: %s", run.id, message)
        return 1


def _has_live_task_run(session: Session, flow_run_id: str) -> bool:
    return session.execute(
        select(TaskRun.id)
        .where(TaskRun.flow_run_id == flow_run_id, TaskRun.state.in_(LIVE_TASK_STATES))
        .limit(1)
    ).first() is not None
