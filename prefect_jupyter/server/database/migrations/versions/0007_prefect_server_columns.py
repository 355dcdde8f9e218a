"""Prefect Server 1's columns that Prefect 1's client and API users read and write:

- ``flow_run_state.created``: when the state was written. Prefect 1's ``prefect run
  --execute`` reads it for a run's ``Scheduled`` states. Rows written before take their
  ``timestamp``; SQLite rebuilds the small table to make the column ``NOT NULL``.
- ``flow_group.description``, ``default_parameters`` (``{}`` for existing groups),
  ``run_config`` and ``schedule``: what ``set_flow_group_*`` set for every version of a flow.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.add_column('flow_run_state', sa.Column('created', sa.DateTime(timezone=True), nullable=True))
    op.execute('UPDATE flow_run_state SET created = "timestamp"')
    with op.batch_alter_table('flow_run_state') as batch:
        batch.alter_column('created', existing_type=sa.DateTime(timezone=True), nullable=False)
    op.add_column('flow_group', sa.Column('description', sa.Text(), nullable=True))
    op.add_column('flow_group', sa.Column('default_parameters', _json(), nullable=True))
    op.add_column('flow_group', sa.Column('run_config', _json(), nullable=True))
    op.add_column('flow_group', sa.Column('schedule', _json(), nullable=True))
    op.execute("UPDATE flow_group SET default_parameters = '{}'")
    with op.batch_alter_table('flow_group') as batch:
        batch.alter_column('default_parameters', existing_type=_json(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('flow_group') as batch:
        for column in ('description', 'default_parameters', 'run_config', 'schedule'):
            batch.drop_column(column)
    with op.batch_alter_table('flow_run_state') as batch:
        batch.drop_column('created')
