"""The ``task_run_artifact`` table: markdown and link artifacts a task run published
(Prefect 1's ``create_markdown_artifact`` / ``create_link_artifact``), removed with their task run;
``flow_run_id`` and its index with ``updated`` serve a run page's "did its artifacts change" poll.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 13:35:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The column types as they were at this revision (see 0001).
def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _timestamp() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('task_run_artifact',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('task_run_id', sa.String(length=36), nullable=False),
    sa.Column('flow_run_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('data', _json(), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('created', _timestamp(), nullable=False),
    sa.Column('updated', _timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['task_run_id'], ['task_run.id'],
                            name=op.f('fk_task_run_artifact__task_run_id__task_run'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['flow_run_id'], ['flow_run.id'],
                            name=op.f('fk_task_run_artifact__flow_run_id__flow_run'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_run_artifact'))
    )
    op.create_index(op.f('ix_task_run_artifact__task_run_id'), 'task_run_artifact', ['task_run_id'])
    op.create_index(op.f('ix_task_run_artifact__flow_run_id_updated'), 'task_run_artifact',
                    ['flow_run_id', 'updated'])


def downgrade() -> None:
    op.drop_index(op.f('ix_task_run_artifact__flow_run_id_updated'), table_name='task_run_artifact')
    op.drop_index(op.f('ix_task_run_artifact__task_run_id'), table_name='task_run_artifact')
    op.drop_table('task_run_artifact')
