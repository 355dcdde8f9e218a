"""Initial tables: project, flow, task, edge, flow_run, task_run, their state history, log, agent.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 19:58:12.304931
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The column types as they were at this revision, spelled out so that later changes to the
# models' types cannot change what this migration creates.
def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _timestamp() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('agent',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('type', sa.String(length=255), nullable=True),
    sa.Column('labels', _json(), nullable=True),
    sa.Column('core_version', sa.String(length=64), nullable=True),
    sa.Column('last_queried', _timestamp(), nullable=True),
    sa.Column('created', _timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent'))
    )
    op.create_table('project',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created', _timestamp(), nullable=False),
    sa.Column('updated', _timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project')),
    sa.UniqueConstraint('name', name=op.f('uq_project__name'))
    )
    op.create_table('flow',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('version_group_id', sa.String(length=255), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('core_version', sa.String(length=64), nullable=True),
    sa.Column('serialized_flow', _json(), nullable=True),
    sa.Column('parameters', _json(), nullable=True),
    sa.Column('schedule', _json(), nullable=True),
    sa.Column('is_schedule_active', sa.Boolean(), nullable=False),
    sa.Column('labels', _json(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('created', _timestamp(), nullable=False),
    sa.Column('updated', _timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_flow__project_id__project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow')),
    sa.UniqueConstraint('version_group_id', 'version', name=op.f('uq_flow__version_group_id_version'))
    )
    op.create_index(op.f('ix_flow__project_id_name'), 'flow', ['project_id', 'name'])

    op.create_table('flow_run',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('flow_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('parameters', _json(), nullable=True),
    sa.Column('context', _json(), nullable=True),
    sa.Column('labels', _json(), nullable=True),
    sa.Column('scheduled_start_time', _timestamp(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('auto_scheduled', sa.Boolean(), nullable=False),
    sa.Column('agent_id', sa.String(length=36), nullable=True),
    sa.Column('times_resurrected', sa.Integer(), nullable=False),
    sa.Column('created', _timestamp(), nullable=False),
    sa.Column('updated', _timestamp(), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=True),
    sa.Column('state_message', sa.Text(), nullable=True),
    sa.Column('state_timestamp', _timestamp(), nullable=True),
    sa.Column('state_start_time', _timestamp(), nullable=True),
    sa.Column('serialized_state', _json(), nullable=True),
    sa.Column('start_time', _timestamp(), nullable=True),
    sa.Column('end_time', _timestamp(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('heartbeat', _timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], name=op.f('fk_flow_run__agent_id__agent'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['flow_id'], ['flow.id'], name=op.f('fk_flow_run__flow_id__flow'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_run'))
    )
    op.create_index(op.f('ix_flow_run__agent_id'), 'flow_run', ['agent_id'])
    op.create_index(op.f('ix_flow_run__flow_id'), 'flow_run', ['flow_id'])
    op.create_index(op.f('ix_flow_run__idempotency_key'), 'flow_run', ['idempotency_key'])
    op.create_index(op.f('ix_flow_run__state_scheduled_start_time'), 'flow_run', ['state', 'scheduled_start_time'])
    op.create_index(op.f('ix_flow_run__state_state_start_time'), 'flow_run', ['state', 'state_start_time'])

    op.create_table('task',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('flow_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('slug', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('tags', _json(), nullable=True),
    sa.Column('max_retries', sa.Integer(), nullable=False),
    sa.Column('retry_delay', sa.Double(), nullable=True),
    sa.Column('trigger', sa.String(length=255), nullable=True),
    sa.Column('mapped', sa.Boolean(), nullable=False),
    sa.Column('is_reference_task', sa.Boolean(), nullable=False),
    sa.Column('is_root_task', sa.Boolean(), nullable=False),
    sa.Column('is_terminal_task', sa.Boolean(), nullable=False),
    sa.Column('auto_generated', sa.Boolean(), nullable=False),
    sa.Column('cache_key', sa.String(length=255), nullable=True),
    sa.Column('created', _timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['flow_id'], ['flow.id'], name=op.f('fk_task__flow_id__flow'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task')),
    sa.UniqueConstraint('flow_id', 'slug', name=op.f('uq_task__flow_id_slug'))
    )
    op.create_index(op.f('ix_task__cache_key'), 'task', ['cache_key'])
    op.create_index(op.f('ix_task__flow_id'), 'task', ['flow_id'])

    op.create_table('edge',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('flow_id', sa.String(length=36), nullable=False),
    sa.Column('upstream_task_id', sa.String(length=36), nullable=False),
    sa.Column('downstream_task_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=True),
    sa.Column('mapped', sa.Boolean(), nullable=False),
    sa.Column('flattened', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['downstream_task_id'], ['task.id'], name=op.f('fk_edge__downstream_task_id__task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['flow_id'], ['flow.id'], name=op.f('fk_edge__flow_id__flow'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['upstream_task_id'], ['task.id'], name=op.f('fk_edge__upstream_task_id__task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edge'))
    )
    op.create_index(op.f('ix_edge__downstream_task_id'), 'edge', ['downstream_task_id'])
    op.create_index(op.f('ix_edge__flow_id'), 'edge', ['flow_id'])
    op.create_index(op.f('ix_edge__upstream_task_id'), 'edge', ['upstream_task_id'])

    op.create_table('flow_run_state',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('flow_run_id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('serialized_state', _json(), nullable=True),
    sa.Column('start_time', _timestamp(), nullable=True),
    sa.Column('timestamp', _timestamp(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['flow_run_id'], ['flow_run.id'], name=op.f('fk_flow_run_state__flow_run_id__flow_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_run_state'))
    )
    op.create_index(op.f('ix_flow_run_state__flow_run_id_version'), 'flow_run_state', ['flow_run_id', 'version'])

    op.create_table('task_run',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('flow_run_id', sa.String(length=36), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('map_index', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('cache_key', sa.String(length=255), nullable=True),
    sa.Column('created', _timestamp(), nullable=False),
    sa.Column('updated', _timestamp(), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=True),
    sa.Column('state_message', sa.Text(), nullable=True),
    sa.Column('state_timestamp', _timestamp(), nullable=True),
    sa.Column('state_start_time', _timestamp(), nullable=True),
    sa.Column('serialized_state', _json(), nullable=True),
    sa.Column('start_time', _timestamp(), nullable=True),
    sa.Column('end_time', _timestamp(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('heartbeat', _timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['flow_run_id'], ['flow_run.id'], name=op.f('fk_task_run__flow_run_id__flow_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_run__task_id__task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_run')),
    sa.UniqueConstraint('flow_run_id', 'task_id', 'map_index', name=op.f('uq_task_run__flow_run_id_task_id_map_index'))
    )
    op.create_index(op.f('ix_task_run__cache_key'), 'task_run', ['cache_key'])
    op.create_index(op.f('ix_task_run__state_state_start_time'), 'task_run', ['state', 'state_start_time'])
    op.create_index(op.f('ix_task_run__task_id'), 'task_run', ['task_id'])

    op.create_table('log',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('flow_run_id', sa.String(length=36), nullable=False),
    sa.Column('task_run_id', sa.String(length=36), nullable=True),
    sa.Column('timestamp', _timestamp(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('info', _json(), nullable=True),
    sa.ForeignKeyConstraint(['flow_run_id'], ['flow_run.id'], name=op.f('fk_log__flow_run_id__flow_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_run_id'], ['task_run.id'], name=op.f('fk_log__task_run_id__task_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log'))
    )
    op.create_index(op.f('ix_log__flow_run_id_timestamp'), 'log', ['flow_run_id', 'timestamp'])
    op.create_index(op.f('ix_log__task_run_id'), 'log', ['task_run_id'])

    op.create_table('task_run_state',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('task_run_id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('serialized_state', _json(), nullable=True),
    sa.Column('start_time', _timestamp(), nullable=True),
    sa.Column('timestamp', _timestamp(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['task_run_id'], ['task_run.id'], name=op.f('fk_task_run_state__task_run_id__task_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_run_state'))
    )
    op.create_index(op.f('ix_task_run_state__task_run_id_version'), 'task_run_state', ['task_run_id', 'version'])



def downgrade() -> None:
    op.drop_index(op.f('ix_task_run_state__task_run_id_version'), table_name='task_run_state')

    op.drop_table('task_run_state')
    op.drop_index(op.f('ix_log__task_run_id'), table_name='log')
    op.drop_index(op.f('ix_log__flow_run_id_timestamp'), table_name='log')

    op.drop_table('log')
    op.drop_index(op.f('ix_task_run__task_id'), table_name='task_run')
    op.drop_index(op.f('ix_task_run__state_state_start_time'), table_name='task_run')
    op.drop_index(op.f('ix_task_run__cache_key'), table_name='task_run')

    op.drop_table('task_run')
    op.drop_index(op.f('ix_flow_run_state__flow_run_id_version'), table_name='flow_run_state')

    op.drop_table('flow_run_state')
    op.drop_index(op.f('ix_edge__upstream_task_id'), table_name='edge')
    op.drop_index(op.f('ix_edge__flow_id'), table_name='edge')
    op.drop_index(op.f('ix_edge__downstream_task_id'), table_name='edge')

    op.drop_table('edge')
    op.drop_index(op.f('ix_task__flow_id'), table_name='task')
    op.drop_index(op.f('ix_task__cache_key'), table_name='task')

    op.drop_table('task')
    op.drop_index(op.f('ix_flow_run__state_state_start_time'), table_name='flow_run')
    op.drop_index(op.f('ix_flow_run__state_scheduled_start_time'), table_name='flow_run')
    op.drop_index(op.f('ix_flow_run__idempotency_key'), table_name='flow_run')
    op.drop_index(op.f('ix_flow_run__flow_id'), table_name='flow_run')
    op.drop_index(op.f('ix_flow_run__agent_id'), table_name='flow_run')

    op.drop_table('flow_run')
    op.drop_index(op.f('ix_flow__project_id_name'), table_name='flow')

    op.drop_table('flow')
    op.drop_table('project')
    op.drop_table('agent')
