"""Flow groups: what the versions of one flow share (settings, labels), as Prefect Server 1.

Adds ``flow_group`` and ``flow.flow_group_id``, and gives every existing version group one flow
group (its name: the latest version's name).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 02:25:00
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table('flow_group',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('settings', _json(), nullable=False),
    sa.Column('labels', _json(), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_group'))
    )
    # no foreign key (see models.Flow.flow_group_id): a column SQLite can add in place
    op.add_column('flow', sa.Column('flow_group_id', sa.String(length=36), nullable=True))
    op.create_index(op.f('ix_flow__flow_group_id'), 'flow', ['flow_group_id'])
    _fill_flow_groups()


def _fill_flow_groups() -> None:
    bind = op.get_bind()
    flow_group = sa.table(
        'flow_group', sa.column('id', sa.String), sa.column('name', sa.String),
        sa.column('settings', _json()), sa.column('created', sa.DateTime(timezone=True)),
        sa.column('updated', sa.DateTime(timezone=True)),
    )
    flow = sa.table(
        'flow', sa.column('version_group_id', sa.String), sa.column('flow_group_id', sa.String),
        sa.column('name', sa.String), sa.column('version', sa.Integer),
        sa.column('created', sa.DateTime(timezone=True)),
    )
    other = flow.alias('other')
    newest = (
        sa.select(sa.func.max(other.c.version))
        .where(other.c.version_group_id == flow.c.version_group_id)
        .scalar_subquery()
    )
    latest = bind.execute(
        sa.select(flow.c.version_group_id, flow.c.name, flow.c.created)
        .where(flow.c.version == newest)
    ).all()
    for version_group_id, name, created in latest:
        group_id = str(uuid.uuid4())
        bind.execute(sa.insert(flow_group).values(
            id=group_id, name=name, settings={}, created=created, updated=created
        ))
        bind.execute(sa.update(flow).where(flow.c.version_group_id == version_group_id)
                     .values(flow_group_id=group_id))


def downgrade() -> None:
    op.drop_index(op.f('ix_flow__flow_group_id'), table_name='flow')
    op.drop_column('flow', 'flow_group_id')
    op.drop_table('flow_group')
