"""``log`` and ``task_run_state`` without foreign keys: their run ids stay, indexed as before.

These are the tables a flow run writes in bulk (a 10,000-child map: 20,000 log rows and 30,000
state rows). The server checks every run a write names before writing; the foreign keys made
the database check each row again, about a third of PostgreSQL's work for such a run's reports.
Their rows are now deleted with their flow runs by the server (``api/run_history.py``) instead
of by ``ON DELETE CASCADE``. SQLite rebuilds the two tables (its ``ALTER TABLE`` cannot drop a
constraint); their rows are kept.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 00:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column, referenced table) of each foreign key this revision drops
_KEYS = (
    ('log', 'flow_run_id', 'flow_run'),
    ('log', 'task_run_id', 'task_run'),
    ('task_run_state', 'task_run_id', 'task_run'),
)


def _name(table: str, column: str, target: str) -> str:
    return f'fk_{table}__{column}__{target}'


def upgrade() -> None:
    for table in ('log', 'task_run_state'):
        with op.batch_alter_table(table) as batch:
            for key_table, column, target in _KEYS:
                if key_table == table:
                    batch.drop_constraint(op.f(_name(table, column, target)), type_='foreignkey')


def downgrade() -> None:
    # rows of runs deleted since the upgrade are removed with their runs, so none is orphaned
    for table in ('log', 'task_run_state'):
        with op.batch_alter_table(table) as batch:
            for key_table, column, target in _KEYS:
                if key_table == table:
                    batch.create_foreign_key(op.f(_name(table, column, target)), target,
                                             [column], ['id'], ondelete='CASCADE')
