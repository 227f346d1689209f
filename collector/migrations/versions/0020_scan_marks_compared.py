"""scan_marks: what a machine was judged on, in columns the scan compares in SQL (its unit, state
sequence, last-seen time, agents and newest key) and the digest of its own observations, so that
the incremental scan finds the machines due with one query instead of reading every machine

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01

Marks of earlier revisions keep NULL in the new columns: they read as "changed", so each machine
is judged once more by the next scan (as after forget_marks).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | Sequence[str] | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('scan_marks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('own', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('machine_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('state_sequence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('agents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('key_enrolled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_scan_marks_machine_id', ['machine_id'], unique=True)
        batch_op.create_index('ix_scan_marks_unit_inputs', ['unit_id', 'inputs'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scan_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_scan_marks_unit_inputs')
        batch_op.drop_index('ix_scan_marks_machine_id')
        for column in ('key_enrolled_at', 'agents', 'last_seen_at', 'state_sequence', 'unit_id', 'machine_id',
                       'own'):
            batch_op.drop_column(column)
