"""``flow_run_state.created``: when the state was written, as Prefect Server 1 has it.

Prefect 1's ``prefect run --execute`` (and ``execute_flow_run_in_subprocess``) reads the
``created`` time of a flow run's ``Scheduled`` states. Rows written before take their
``timestamp`` (the time the server wrote them). SQLite rebuilds the small table to make the
column ``NOT NULL``; its rows are kept.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('flow_run_state', sa.Column('created', sa.DateTime(timezone=True), nullable=True))
    op.execute('UPDATE flow_run_state SET created = "timestamp"')
    with op.batch_alter_table('flow_run_state') as batch:
        batch.alter_column('created', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('flow_run_state') as batch:
        batch.drop_column('created')
