"""Agents: registration, heartbeats, and why a run that no agent picked up is late.

An agent registers when it starts (``register_agent``) and is then *seen* each time it asks for
work (``get_runs_in_queue`` with its ``agent_id``) or sends a heartbeat: both set its
``last_queried``. An agent that registers again with the same name, type and labels (it was
restarted) gets its old row back instead of a new one, so the agent list stays one row per
agent.

A flow run that should have started (Scheduled, Retrying, Resume or Queued, with its start time
passed) and has not is *late*; :func:`late_reason` says why, from what the agents told the
server: no agent was seen lately (naming the last one and when), or none of the agents seen
has every label of the run (naming the run's labels and each agent's), or some agent could
take it (it is busy, or about to).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from prefect_jupyter.server.api.common import get_or_404, not_found
from prefect_jupyter.server.api.states import RUNNABLE_SCHEDULED_STATES
from prefect_jupyter.server.database import dialects
from prefect_jupyter.server.database.models import Agent, FlowRun, utcnow

#: Seconds an agent may stay silent before it counts as gone (config
#: ``server.services.agent_timeout`` overrides it in the server).
DEFAULT_AGENT_TIMEOUT = 60.0


def register_agent(
    session: Session,
    type: str,  # noqa: A002 - Prefect Server's input name
    name: str | None = None,
    labels: Iterable[str] | None = None,
    agent_config_id: str | None = None,
    core_version: str | None = None,
) -> str:
    """Record an agent and return its id (the same id for a restarted agent, see module doc).

    ``agent_config_id`` is accepted for Prefect 1's agents and not stored.
    """
    wanted = sorted(set(labels or []))
    dialect = session.get_bind().dialect.name
    # two agents with the same identity starting at once must not make two rows
    dialects.advisory_lock(session, f"agent:{type}:{name}:{','.join(wanted)}")
    existing = session.execute(
        select(Agent)
        .where(
            Agent.type == type,
            Agent.name.is_(None) if name is None else Agent.name == name,
            dialects.json_equals(Agent.labels, wanted, dialect),
        )
        .order_by(Agent.created)
        .limit(1)
    ).scalar()
    now = utcnow()
    if existing is not None:
        existing.last_queried = now
        if core_version is not None:
            existing.core_version = core_version
        session.flush()
        return existing.id
    agent = Agent(type=type, name=name, labels=wanted, core_version=core_version, last_queried=now)
    session.add(agent)
    session.flush()
    return agent.id


def update_agent_heartbeat(session: Session, agent_id: str) -> None:
    """Record that an agent is alive now (its ``last_queried``)."""
    result = session.execute(
        update(Agent).where(Agent.id == agent_id).values(last_queried=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise not_found(Agent, agent_id)


def delete_agent(session: Session, agent_id: str) -> None:
    """Forget an agent (its flow runs keep running; their ``agent_id`` becomes null)."""
    get_or_404(session, Agent, agent_id)
    session.execute(delete(Agent).where(Agent.id == agent_id))


# -- why a run is late ---------------------------------------------------------------------------
def is_late(run: FlowRun, now: datetime.datetime) -> bool:
    """Whether ``run`` waits for an agent although its start time has passed."""
    if run.state not in RUNNABLE_SCHEDULED_STATES:
        return False
    start = run.state_start_time or run.scheduled_start_time
    return start is not None and start <= now


def load_agents(session: Session) -> list[Agent]:
    """Every agent, the most recently seen first."""
    rows = session.execute(select(Agent)).scalars().all()
    oldest = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(rows, key=lambda a: a.last_queried or oldest, reverse=True)


def late_reason(
    run: FlowRun,
    agents: Sequence[Agent],
    now: datetime.datetime | None = None,
    agent_timeout: float = DEFAULT_AGENT_TIMEOUT,
) -> str | None:
    """Why ``run`` has not started although it is due; ``None`` when it is not late.

    Args:
        run: the flow run.
        agents: every agent the server knows (see :func:`load_agents`).
        now: the time to judge by (default: now).
        agent_timeout: seconds of silence after which an agent counts as gone.
    """
    now = now or utcnow()
    if not is_late(run, now):
        return None
    start = run.state_start_time or run.scheduled_start_time
    wanted = sorted(set(run.labels or []))
    start_command = "`prefect-jupyter agent local start" + "".join(
        f" --label {label}" for label in wanted
    ) + "`"
    prefix = f"Late by {_span(now - start)}: "
    if not agents:
        return (
            f"{prefix}no agent has registered with this server. Start one with {start_command}."
        )
    window = datetime.timedelta(seconds=agent_timeout)
    alive = [a for a in agents if a.last_queried is not None and now - a.last_queried <= window]
    if not alive:
        last = agents[0]
        seen = (
            f"{_span(now - last.last_queried)} ago" if last.last_queried is not None else "never"
        )
        return (
            f"{prefix}no agent has asked for work in the last {agent_timeout:g} s; the last "
            f"one seen was {_describe(last)}, {seen}. Start one with {start_command}."
        )
    able = [a for a in alive if set(wanted) <= set(a.labels or [])]
    if not able:
        others = "; ".join(_describe(a) for a in alive)
        return (
            f"{prefix}no running agent has all of its labels {_labels(wanted)} ({others}). "
            f"Start an agent with {start_command}, or give the run labels an agent has."
        )
    names = ", ".join(_describe(a) for a in able)
    return (
        f"{prefix}{names} can run it and asked for work lately; it may be busy with other runs "
        "(raise its --concurrency) or about to pick this one up."
    )


def _describe(agent: Agent) -> str:
    return f"agent {agent.name or agent.id!r} with labels {_labels(agent.labels or [])}"


def _labels(labels: Iterable[Any]) -> str:
    return "[" + ", ".join(str(label) for label in labels) + "]"


def _span(delta: datetime.timedelta) -> str:
    """A duration in words: ``"42 s"``, ``"5 min"``, ``"3 h"``, ``"2 days"``."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
