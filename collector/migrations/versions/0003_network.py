"""network: LAN devices and sweeps, SNMP devices and polls, dedicated-line and Internet links

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lan_sweeps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('subnet', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('found', sa.Integer(), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('no_agent', sa.Integer(), nullable=False),
    sa.Column('offline_seen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_lan_sweeps_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lan_sweeps'))
    )
    with op.batch_alter_table('lan_sweeps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lan_sweeps_unit_id'), ['unit_id'], unique=False)

    op.create_table('snmp_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('credentials_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_snmp_devices_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snmp_devices')),
    sa.UniqueConstraint('host', 'port', name='uq_snmp_devices_host_port')
    )
    with op.batch_alter_table('snmp_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snmp_devices_unit_id'), ['unit_id'], unique=False)

    op.create_table('lan_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mac', sa.String(length=17), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('vendor', sa.String(length=255), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('machine_id', sa.Integer(), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_by', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_lan_devices_machine_id_machines')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_lan_devices_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lan_devices')),
    sa.UniqueConstraint('mac', name=op.f('uq_lan_devices_mac'))
    )
    with op.batch_alter_table('lan_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lan_devices_machine_id'), ['machine_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lan_devices_unit_id'), ['unit_id'], unique=False)

    op.create_table('network_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('interface', sa.String(length=128), nullable=False),
    sa.Column('targets_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['snmp_devices.id'], name=op.f('fk_network_links_device_id_snmp_devices')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_network_links_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_links')),
    sa.UniqueConstraint('unit_id', 'kind', name='uq_network_links_unit_kind')
    )
    with op.batch_alter_table('network_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_links_device_id'), ['device_id'], unique=False)

    op.create_table('snmp_polls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('polled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error_kind', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('sys_name', sa.String(length=255), nullable=False),
    sa.Column('sys_descr', sa.Text(), nullable=False),
    sa.Column('sys_location', sa.String(length=255), nullable=False),
    sa.Column('uptime_ticks', sa.BigInteger(), nullable=True),
    sa.Column('interfaces_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['snmp_devices.id'], name=op.f('fk_snmp_polls_device_id_snmp_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snmp_polls'))
    )
    with op.batch_alter_table('snmp_polls', schema=None) as batch_op:
        batch_op.create_index('ix_snmp_polls_device_polled', ['device_id', 'polled_at'], unique=False)

def downgrade() -> None:
    with op.batch_alter_table('snmp_polls', schema=None) as batch_op:
        batch_op.drop_index('ix_snmp_polls_device_polled')

    op.drop_table('snmp_polls')
    with op.batch_alter_table('network_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_links_device_id'))

    op.drop_table('network_links')
    with op.batch_alter_table('lan_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lan_devices_unit_id'))
        batch_op.drop_index(batch_op.f('ix_lan_devices_machine_id'))

    op.drop_table('lan_devices')
    with op.batch_alter_table('snmp_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snmp_devices_unit_id'))

    op.drop_table('snmp_devices')
    with op.batch_alter_table('lan_sweeps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lan_sweeps_unit_id'))

    op.drop_table('lan_sweeps')
