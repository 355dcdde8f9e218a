"""flow_run.run_config: Prefect 1's run config of each run (the one given, else its flow's).

Runs made before it get their flow's run config.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 02:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.add_column('flow_run', sa.Column('run_config', _json(), nullable=True))
    bind = op.get_bind()
    flow = sa.table('flow', sa.column('id', sa.String), sa.column('serialized_flow', _json()))
    flow_run = sa.table('flow_run', sa.column('flow_id', sa.String),
                        sa.column('run_config', _json()))
    for flow_id, serialized_flow in bind.execute(sa.select(flow.c.id, flow.c.serialized_flow)):
        run_config = (serialized_flow or {}).get("run_config")
        if run_config is not None:
            bind.execute(sa.update(flow_run).where(flow_run.c.flow_id == flow_id)
                         .values(run_config=run_config))


def downgrade() -> None:
    with op.batch_alter_table('flow_run') as batch:
        batch.drop_column('run_config')
