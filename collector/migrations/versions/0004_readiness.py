"""readiness: each machine's readiness columns and the daily snapshot of every indicator

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FLAGS = ('via_network', 'has_lan', 'has_internet', 'has_dedicated_line', 'av_installed', 'av_licensed',
          'av_up_to_date', 'os_activated', 'backup_ok', 'hardware_ok', 'has_scanner', 'has_certs', 'certs_valid',
          'offline_isolated')


def upgrade() -> None:
    op.create_table('machine_readiness',
    sa.Column('machine_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_path', sa.String(length=512), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    *(sa.Column(name, sa.Boolean(), nullable=True) for name in _FLAGS),
    sa.Column('detail_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_machine_readiness_machine_id_machines')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_machine_readiness_unit_id_units')),
    sa.PrimaryKeyConstraint('machine_id', name=op.f('pk_machine_readiness'))
    )
    with op.batch_alter_table('machine_readiness', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_machine_readiness_unit_path'), ['unit_path'], unique=False)
        batch_op.create_index('ix_machine_readiness_unit_seen', ['unit_id', 'seen_at'], unique=False)

    op.create_table('readiness_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('numerator', sa.Integer(), nullable=False),
    sa.Column('denominator', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_readiness_snapshots_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_snapshots')),
    sa.UniqueConstraint('unit_id', 'indicator', 'day', name='uq_readiness_snapshots_unit_indicator_day')
    )


def downgrade() -> None:
    op.drop_table('readiness_snapshots')
    with op.batch_alter_table('machine_readiness', schema=None) as batch_op:
        batch_op.drop_index('ix_machine_readiness_unit_seen')
        batch_op.drop_index(batch_op.f('ix_machine_readiness_unit_path'))

    op.drop_table('machine_readiness')
