"""job leases (one scheduled scan per database however many workers) and scan marks (the
incremental scan: what each subject was last judged on)

Revision ID: 0018b
Revises: 0012c
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018b'
down_revision: str | None = '0012c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_leases',
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_job_leases'))
    )
    op.create_table('scan_marks',
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('inputs', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('judged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('line', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('subject', name=op.f('pk_scan_marks'))
    )


def downgrade() -> None:
    op.drop_table('scan_marks')
    op.drop_table('job_leases')
