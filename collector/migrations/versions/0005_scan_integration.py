"""scan integration: subnets swept by the scheduled scan, known LAN devices, refused reports per agent

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lan_subnets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subnet', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('iface', sa.String(length=64), nullable=False),
    sa.Column('max_prefix', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_lan_subnets_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lan_subnets')),
    sa.UniqueConstraint('subnet', name=op.f('uq_lan_subnets_subnet'))
    )
    with op.batch_alter_table('lan_subnets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lan_subnets_unit_id'), ['unit_id'], unique=False)

    op.create_table('known_lan_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mac', sa.String(length=17), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_lan_devices')),
    sa.UniqueConstraint('mac', name=op.f('uq_known_lan_devices_mac'))
    )

    op.create_table('ingest_rejections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.String(length=32), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_ingest_rejections_agent_id_agents')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_ingest_rejections_machine_id_machines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_rejections')),
    sa.UniqueConstraint('agent_id', 'reason', 'hour', name='uq_ingest_rejections_agent_reason_hour')
    )
    with op.batch_alter_table('ingest_rejections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingest_rejections_machine_id'), ['machine_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ingest_rejections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingest_rejections_machine_id'))
    op.drop_table('ingest_rejections')
    op.drop_table('known_lan_devices')
    with op.batch_alter_table('lan_subnets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lan_subnets_unit_id'))
    op.drop_table('lan_subnets')
