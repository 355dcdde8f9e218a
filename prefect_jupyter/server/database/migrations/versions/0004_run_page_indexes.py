"""Indexes for a run page at 100,000 mapped children.

``task_run (flow_run_id, updated, map_index)``: the page's poll asks which task runs (tasks,
or mapped children) changed since a time;
``ix_task_run__children`` (flow_run_id, state, map_index, task_id, start_time, end_time): a
run's task runs in a state (the UI's state filter) or by state and map index (its sort), and
a mapped task's children counted by state with their first start and last end, from the index
alone; ``log (flow_run_id, level)``: a run's log lines at some levels counted from the index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f('ix_task_run__flow_run_id_updated_map_index'), 'task_run',
                    ['flow_run_id', 'updated', 'map_index'])
    op.create_index('ix_task_run__children', 'task_run',
                    ['flow_run_id', 'state', 'map_index', 'task_id', 'start_time', 'end_time'])
    op.create_index(op.f('ix_log__flow_run_id_level'), 'log', ['flow_run_id', 'level'])


def downgrade() -> None:
    op.drop_index(op.f('ix_log__flow_run_id_level'), table_name='log')
    op.drop_index('ix_task_run__children', table_name='task_run')
    op.drop_index(op.f('ix_task_run__flow_run_id_updated_map_index'), table_name='task_run')
