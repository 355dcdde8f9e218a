"""The server's tables as SQLAlchemy 2 typed models (Prefect Server 1's names).

Conventions:
    - ids are UUID strings made in Python (version 7: in time order, see ``utilities/ids.py``),
      so both databases agree;
    - timestamps are aware UTC datetimes (:class:`~.dialects.UTCDateTime`);
    - JSON documents use :data:`~.dialects.JSONType` (JSONB on PostgreSQL);
    - relationships are ``lazy="raise"``: every read says what it loads, so no query silently
      turns into one query per row;
    - child rows are removed by the database (``ON DELETE CASCADE``), so deleting a flow with
      ``DELETE`` removes its tasks, edges and runs in one statement — except the two tables a
      run writes in bulk, ``log`` and ``task_run_state``: their run ids are plain indexed
      columns, not foreign keys. Every write checks the runs it names first (``api/logs.py``,
      ``api/states.py``), and a foreign key would check each row again inside the database (on
      PostgreSQL about a third of its work for a 10,000-child map's reports); they are deleted
      with their flow runs by ``api/run_history.py``, before the runs.

A run's current state is kept on its row (``state``, ``state_message``, ``serialized_state``,
``state_timestamp``, ``state_start_time``, ``version``); ``flow_run_state`` / ``task_run_state``
hold the history, one row per accepted state, written by ``server/api/states.py``.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from prefect_jupyter.server.database.dialects import JSONType, UTCDateTime
from prefect_jupyter.utilities import ids

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s__%(column_0_N_name)s",
    "uq": "uq_%(table_name)s__%(column_0_N_name)s",
    "ck": "ck_%(table_name)s__%(constraint_name)s",
    "fk": "fk_%(table_name)s__%(column_0_name)s__%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime.datetime:
    """The current time, aware, in UTC."""
    return datetime.datetime.now(datetime.UTC)


def new_id() -> str:
    """A new row id (a version-7 UUID: ids made later sort later, see ``utilities/ids.py``)."""
    return ids.new_id()


def new_ids(count: int) -> list[str]:
    """``count`` new row ids, for a batch of rows."""
    return ids.new_ids(count)


class Base(DeclarativeBase):
    """Declarative base with the constraint naming convention and the shared column types."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime.datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        Any: JSONType,
    }


def _id() -> Mapped[str]:
    return mapped_column(String(36), primary_key=True, default=new_id)


def _fk(
    target: str, nullable: bool = False, ondelete: str = "CASCADE", index: bool = True
) -> Mapped[Any]:
    # index=False where a composite index or unique constraint already starts with the column
    return mapped_column(
        String(36), ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
    )


def _created() -> Mapped[datetime.datetime]:
    return mapped_column(default=utcnow)


def _updated() -> Mapped[datetime.datetime]:
    return mapped_column(default=utcnow, onupdate=utcnow)


def _children(target: str, back: str, **kwargs: Any) -> Any:
    return relationship(
        target, back_populates=back, lazy="raise", passive_deletes=True, **kwargs
    )


def _parent(target: str, back: str | None, **kwargs: Any) -> Any:
    return relationship(target, back_populates=back, lazy="raise", **kwargs)


def _run_id(nullable: bool = False, index: bool = False) -> Mapped[Any]:
    """A run's id in a bulk-written table: indexed where needed, no foreign key (see above)."""
    return mapped_column(String(36), nullable=nullable, index=index)


class Project(Base):
    """A named group of flows."""

    __tablename__ = "project"

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime.datetime] = _created()
    updated: Mapped[datetime.datetime] = _updated()

    flows: Mapped[list[Flow]] = _children("Flow", "project")


class FlowGroup(Base):
    """What the versions of one flow share (Prefect Server 1's ``flow_group``): its settings
    (``heartbeat_enabled``, ...), and labels, default parameters, a run config and a schedule
    that override the versions' own.

    One per version group, made with its first version.
    """

    __tablename__ = "flow_group"

    id: Mapped[str] = _id()
    name: Mapped[str | None] = mapped_column(String(255))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    labels: Mapped[list[Any] | None]
    description: Mapped[str | None] = mapped_column(Text)
    # parameter values every run of the group starts from (a run's own take precedence)
    default_parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Prefect 1's run config for the group's runs, over each version's own
    run_config: Mapped[dict[str, Any] | None]
    # a serialized schedule that replaces each version's own
    schedule: Mapped[dict[str, Any] | None]
    created: Mapped[datetime.datetime] = _created()
    updated: Mapped[datetime.datetime] = _updated()

    flows: Mapped[list[Flow]] = _children(
        "Flow", "flow_group", primaryjoin="foreign(Flow.flow_group_id) == FlowGroup.id"
    )


class Flow(Base):
    """One registered version of a flow; versions of one flow share ``version_group_id``."""

    __tablename__ = "flow"
    __table_args__ = (
        UniqueConstraint("version_group_id", "version"),
        Index(None, "project_id", "name"),
    )

    id: Mapped[str] = _id()
    project_id: Mapped[str] = _fk("project.id", index=False)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int]
    # looked up through the (version_group_id, version) unique constraint's index
    version_group_id: Mapped[str] = mapped_column(String(255))
    archived: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(Text)
    core_version: Mapped[str | None] = mapped_column(String(64))
    serialized_flow: Mapped[dict[str, Any] | None]
    parameters: Mapped[list[Any] | None]
    schedule: Mapped[dict[str, Any] | None]
    is_schedule_active: Mapped[bool] = mapped_column(default=False)
    labels: Mapped[list[Any] | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    # Always set (migration 0002 filled it for older flows). No foreign key: SQLite adds one
    # only by rebuilding ``flow``, and dropping the old table would cascade to its runs.
    flow_group_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created: Mapped[datetime.datetime] = _created()
    updated: Mapped[datetime.datetime] = _updated()

    project: Mapped[Project] = _parent("Project", "flows")
    flow_group: Mapped[FlowGroup | None] = _parent(
        "FlowGroup", "flows", primaryjoin="foreign(Flow.flow_group_id) == FlowGroup.id"
    )
    tasks: Mapped[list[Task]] = _children("Task", "flow")
    edges: Mapped[list[Edge]] = _children("Edge", "flow")
    flow_runs: Mapped[list[FlowRun]] = _children("FlowRun", "flow")


class Task(Base):
    """A task of a registered flow (parameters are tasks too, as in Prefect)."""

    __tablename__ = "task"
    __table_args__ = (UniqueConstraint("flow_id", "slug"),)

    id: Mapped[str] = _id()
    flow_id: Mapped[str] = _fk("flow.id")
    name: Mapped[str | None] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255))
    type: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any] | None]
    max_retries: Mapped[int] = mapped_column(default=0)
    retry_delay: Mapped[float | None]
    trigger: Mapped[str | None] = mapped_column(String(255))
    mapped: Mapped[bool] = mapped_column(default=False)
    is_reference_task: Mapped[bool] = mapped_column(default=False)
    is_root_task: Mapped[bool] = mapped_column(default=False)
    is_terminal_task: Mapped[bool] = mapped_column(default=False)
    auto_generated: Mapped[bool] = mapped_column(default=False)
    cache_key: Mapped[str | None] = mapped_column(String(255), index=True)
    created: Mapped[datetime.datetime] = _created()

    flow: Mapped[Flow] = _parent("Flow", "tasks")
    upstream_edges: Mapped[list[Edge]] = _children(
        "Edge", "downstream_task", foreign_keys="Edge.downstream_task_id"
    )
    downstream_edges: Mapped[list[Edge]] = _children(
        "Edge", "upstream_task", foreign_keys="Edge.upstream_task_id"
    )
    task_runs: Mapped[list[TaskRun]] = _children("TaskRun", "task")


class Edge(Base):
    """A dependency between two tasks of a flow (``key``: the downstream argument name)."""

    __tablename__ = "edge"

    id: Mapped[str] = _id()
    flow_id: Mapped[str] = _fk("flow.id")
    upstream_task_id: Mapped[str] = _fk("task.id")
    downstream_task_id: Mapped[str] = _fk("task.id")
    key: Mapped[str | None] = mapped_column(String(255))
    mapped: Mapped[bool] = mapped_column(default=False)
    flattened: Mapped[bool] = mapped_column(default=False)

    flow: Mapped[Flow] = _parent("Flow", "edges")
    upstream_task: Mapped[Task] = _parent(
        "Task", "downstream_edges", foreign_keys=[upstream_task_id]
    )
    downstream_task: Mapped[Task] = _parent(
        "Task", "upstream_edges", foreign_keys=[downstream_task_id]
    )


class Agent(Base):
    """An agent that asked for work (filled by the agent, issue 6)."""

    __tablename__ = "agent"

    id: Mapped[str] = _id()
    name: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str | None] = mapped_column(String(255))
    labels: Mapped[list[Any] | None]
    core_version: Mapped[str | None] = mapped_column(String(64))
    last_queried: Mapped[datetime.datetime | None]
    created: Mapped[datetime.datetime] = _created()

    flow_runs: Mapped[list[FlowRun]] = _parent("FlowRun", "agent")


class _RunStateColumns:
    """The current-state columns shared by flow runs and task runs."""

    state: Mapped[str | None] = mapped_column(String(64))
    state_message: Mapped[str | None] = mapped_column(Text)
    state_timestamp: Mapped[datetime.datetime | None]
    state_start_time: Mapped[datetime.datetime | None]
    serialized_state: Mapped[dict[str, Any] | None]
    start_time: Mapped[datetime.datetime | None]
    end_time: Mapped[datetime.datetime | None]
    version: Mapped[int] = mapped_column(default=0)
    heartbeat: Mapped[datetime.datetime | None]


class FlowRun(_RunStateColumns, Base):
    """One run of a flow."""

    __tablename__ = "flow_run"
    __table_args__ = (
        Index(None, "state", "scheduled_start_time"),
        Index(None, "state", "state_start_time"),
        Index(None, "idempotency_key"),
    )

    id: Mapped[str] = _id()
    flow_id: Mapped[str] = _fk("flow.id")
    name: Mapped[str | None] = mapped_column(String(255))
    parameters: Mapped[dict[str, Any] | None]
    context: Mapped[dict[str, Any] | None]
    labels: Mapped[list[Any] | None]
    # Prefect 1's run config for this run: the one it was created with, else its flow's
    run_config: Mapped[dict[str, Any] | None]
    scheduled_start_time: Mapped[datetime.datetime]
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    auto_scheduled: Mapped[bool] = mapped_column(default=False)
    agent_id: Mapped[str | None] = _fk("agent.id", nullable=True, ondelete="SET NULL")
    times_resurrected: Mapped[int] = mapped_column(default=0)
    created: Mapped[datetime.datetime] = _created()
    updated: Mapped[datetime.datetime] = _updated()

    flow: Mapped[Flow] = _parent("Flow", "flow_runs")
    agent: Mapped[Agent | None] = _parent("Agent", "flow_runs")
    task_runs: Mapped[list[TaskRun]] = _children("TaskRun", "flow_run")
    logs: Mapped[list[Log]] = _children(
        "Log", "flow_run", primaryjoin="FlowRun.id == foreign(Log.flow_run_id)")
    states: Mapped[list[FlowRunState]] = _children("FlowRunState", "flow_run")


class TaskRun(_RunStateColumns, Base):
    """One run of a task in a flow run (``map_index`` -1: not a mapped child)."""

    __tablename__ = "task_run"
    __table_args__ = (
        UniqueConstraint("flow_run_id", "task_id", "map_index"),
        Index(None, "state", "state_start_time"),
        # a run page's poll: which task runs (tasks or mapped children) of a flow run
        # changed since a time, from the index alone
        Index(None, "flow_run_id", "updated", "map_index"),
        # a run's task runs in a state (the UI's state filter) or by state and map index (its
        # sort, either way), and a mapped task's children counted by state with their first
        # start and last end, from the index alone
        Index("ix_task_run__children", "flow_run_id", "state", "map_index", "task_id",
              "start_time", "end_time"),
    )

    id: Mapped[str] = _id()
    flow_run_id: Mapped[str] = _fk("flow_run.id", index=False)
    task_id: Mapped[str] = _fk("task.id")
    map_index: Mapped[int] = mapped_column(default=-1)
    name: Mapped[str | None] = mapped_column(String(255))
    cache_key: Mapped[str | None] = mapped_column(String(255), index=True)
    created: Mapped[datetime.datetime] = _created()
    updated: Mapped[datetime.datetime] = _updated()

    flow_run: Mapped[FlowRun] = _parent("FlowRun", "task_runs")
    task: Mapped[Task] = _parent("Task", "task_runs")
    logs: Mapped[list[Log]] = _children(
        "Log", "task_run", primaryjoin="TaskRun.id == foreign(Log.task_run_id)")
    states: Mapped[list[TaskRunState]] = _children(
        "TaskRunState", "task_run", primaryjoin="TaskRun.id == foreign(TaskRunState.task_run_id)")
    artifacts: Mapped[list[TaskRunArtifact]] = _children("TaskRunArtifact", "task_run")


class _StateHistoryColumns:
    state: Mapped[str] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    serialized_state: Mapped[dict[str, Any] | None]
    start_time: Mapped[datetime.datetime | None]
    timestamp: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    version: Mapped[int]


class FlowRunState(_StateHistoryColumns, Base):
    """One accepted state of a flow run (its history, oldest first by ``version``)."""

    __tablename__ = "flow_run_state"
    __table_args__ = (Index(None, "flow_run_id", "version"),)

    id: Mapped[str] = _id()
    flow_run_id: Mapped[str] = _fk("flow_run.id", index=False)
    # when it was written (Prefect Server 1's column; Prefect 1's `prefect run --execute` reads
    # it): the same time as ``timestamp``
    created: Mapped[datetime.datetime] = _created()

    flow_run: Mapped[FlowRun] = _parent("FlowRun", "states")


class TaskRunState(_StateHistoryColumns, Base):
    """One accepted state of a task run."""

    __tablename__ = "task_run_state"
    __table_args__ = (Index(None, "task_run_id", "version"),)

    id: Mapped[str] = _id()
    task_run_id: Mapped[str] = _run_id()

    task_run: Mapped[TaskRun] = _parent(
        "TaskRun", "states", primaryjoin="foreign(TaskRunState.task_run_id) == TaskRun.id")


class Log(Base):
    """A log record of a flow run (and, when ``task_run_id`` is set, of one of its task runs)."""

    __tablename__ = "log"
    __table_args__ = (
        Index(None, "flow_run_id", "timestamp"),
        # a run's log lines at some levels counted from the index alone
        Index(None, "flow_run_id", "level"),
    )

    id: Mapped[str] = _id()
    flow_run_id: Mapped[str] = _run_id()
    task_run_id: Mapped[str | None] = _run_id(nullable=True, index=True)
    timestamp: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    level: Mapped[str] = mapped_column(String(16), default="INFO")
    name: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    info: Mapped[dict[str, Any] | None]

    flow_run: Mapped[FlowRun] = _parent(
        "FlowRun", "logs", primaryjoin="foreign(Log.flow_run_id) == FlowRun.id")
    task_run: Mapped[TaskRun | None] = _parent(
        "TaskRun", "logs", primaryjoin="foreign(Log.task_run_id) == TaskRun.id")


class TaskRunArtifact(Base):
    """Something a task run published for people to see (Prefect 1's artifacts): ``kind``
    ``"markdown"`` with ``data`` ``{"markdown": ...}``, or ``"link"`` with ``{"link": ...}``.

    ``tenant_id`` is kept for Prefect 1's clients; this server has one tenant. ``flow_run_id``
    (the task run's, not in Prefect Server 1's table) lets a run page ask whether the run's
    artifacts changed from one index, whatever the number of artifacts of other runs.
    """

    __tablename__ = "task_run_artifact"
    __table_args__ = (Index(None, "flow_run_id", "updated"),)

    id: Mapped[str] = _id()
    task_run_id: Mapped[str] = _fk("task_run.id")
    flow_run_id: Mapped[str] = _fk("flow_run.id", index=False)
    kind: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    created: Mapped[datetime.datetime] = _created()
    updated: Mapped[datetime.datetime] = _updated()

    task_run: Mapped[TaskRun] = _parent("TaskRun", "artifacts")


#: Every table the GraphQL API exposes, by table name.
MODELS: dict[str, type[Base]] = {
    model.__tablename__: model
    for model in (
        Project,
        FlowGroup,
        Flow,
        Task,
        Edge,
        FlowRun,
        TaskRun,
        FlowRunState,
        TaskRunState,
        Log,
        Agent,
        TaskRunArtifact,
    )
}
