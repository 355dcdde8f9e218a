"""The scheduler: keeps the next runs of every flow with an active schedule created.

Each pass, for every unarchived flow whose schedule is active, it creates the missing runs of
the next ``max_scheduled_runs`` scheduled times (``api/scheduling.py``: idempotent per flow and
time, so restarts and several servers on one database never duplicate a run), one transaction
per flow. Then it deletes the not-yet-started auto-scheduled runs of flows that were archived
or had their schedule turned off in a way that did not remove them at once.

A flow whose schedule can't make runs (unreadable, or a required parameter without a default)
is reported once in the server's log, not every pass.
"""

from __future__ import annotations

import datetime

from sqlalchemy import select

from prefect_jupyter.server.api.scheduling import (
    DEFAULT_MAX_RUNS,
    ScheduleError,
    delete_auto_scheduled_runs,
    schedule_flow_runs,
)
from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.database.models import Flow, FlowGroup, utcnow
from prefect_jupyter.server.services.loop import LoopService


class Scheduler(LoopService):
    """Creates the upcoming runs of scheduled flows (see the module docstring).

    Args:
        database: the server's database.
        loop_seconds: seconds between passes.
        max_scheduled_runs: future runs kept per flow.
    """

    name = "scheduler"

    def __init__(
        self, database: Database, loop_seconds: float, max_scheduled_runs: int = DEFAULT_MAX_RUNS
    ) -> None:
        super().__init__(database, loop_seconds)
        self.max_scheduled_runs = int(max_scheduled_runs)
        self._reported: dict[str, str] = {}  # flow id -> the problem already logged

    def run_once(self, now: datetime.datetime | None = None) -> int:
        """One pass; returns how many runs it created."""
        now = now or utcnow()
        with self.database.read_session() as session:
            flow_ids = session.execute(
                select(Flow.id)
                .where(
                    Flow.is_schedule_active.is_(True),
                    Flow.archived.is_(False),
                    Flow.schedule.is_not(None) | Flow.flow_group_id.in_(
                        select(FlowGroup.id).where(FlowGroup.schedule.is_not(None))),
                )
                .order_by(Flow.id)
            ).scalars().all()
        created = 0
        for flow_id in flow_ids:
            try:
                with self.database.write_session() as session:
                    new = schedule_flow_runs(session, flow_id, self.max_scheduled_runs, now)
            except ScheduleError as exc:
                if self._reported.get(flow_id) != str(exc):
                    self.logger.error("%s", exc)
                    self._reported[flow_id] = str(exc)
                continue
            self._reported.pop(flow_id, None)
            if new:
                self.logger.debug("Scheduled %d run(s) of flow %s", len(new), flow_id)
            created += len(new)
        with self.database.write_session() as session:
            removed = delete_auto_scheduled_runs(session)
        if removed:
            self.logger.info("Removed %d scheduled run(s) of flows whose schedule stopped.", removed)
        if created:
            self.logger.info("Scheduled %d flow run(s).", created)
        return created
