"""auditor figures: the officials register and machine users, agentless machines and machine
usage, the incident register, alert remediation and evidence, signing certificates in readiness;
alerts of the rules folded into levels (backup.half_year into backup.quarterly, updates.missing
into updates.late) keep one alert per condition.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('machine_users',
    sa.Column('machine_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('account', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('signed_in', sa.Boolean(), nullable=False),
    sa.Column('last_use', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_machine_users_machine_id_machines')),
    sa.PrimaryKeyConstraint('machine_id', 'account', name=op.f('pk_machine_users'))
    )
    with op.batch_alter_table('machine_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_machine_users_account'), ['account'], unique=False)

    op.create_table('officials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('position', sa.String(length=255), nullable=False),
    sa.Column('account', sa.String(length=128), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_officials_machine_id_machines')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_officials_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officials'))
    )
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officials_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_officials_machine_id'), ['machine_id'], unique=False)
        batch_op.create_index('ix_officials_unit_retired', ['unit_id', 'retired_at'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=128), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=160), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=128), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=128), nullable=True),
    sa.Column('effect', sa.Text(), nullable=False),
    sa.Column('handling', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_incidents_alert_id_alerts')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_incidents_machine_id_machines')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_incidents_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index('ix_incidents_unit_detected', ['unit_id', 'detected_at'], unique=False)

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remediation', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('evidence', sa.Text(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('acked_evidence', sa.Text(), nullable=True))

    with op.batch_alter_table('machine_readiness', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_signing_cert', sa.Boolean(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_machine_readiness_counts'))
        batch_op.create_index('ix_machine_readiness_counts', ['unit_id', 'seen_at', 'role', 'via_network', 'has_lan', 'has_internet', 'has_dedicated_line', 'av_installed', 'av_licensed', 'av_up_to_date', 'os_activated', 'backup_ok', 'hardware_ok', 'has_scanner', 'has_signing_cert', 'offline_isolated'], unique=False)
        batch_op.drop_column('certs_valid')
        batch_op.drop_column('has_certs')

    with op.batch_alter_table('machines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('usage', sa.String(length=16), server_default='personal', nullable=False))
        batch_op.add_column(sa.Column('agentless', sa.Boolean(), server_default=sa.false(), nullable=False))

    _fold_alerts('backup.half_year', 'backup.quarterly')
    _fold_alerts('updates.missing', 'updates.late')


_ALERTS = sa.table('alerts', sa.column('id'), sa.column('rule_id'), sa.column('subject'), sa.column('status'),
                   sa.column('severity'), sa.column('title'), sa.column('detail'), sa.column('count'),
                   sa.column('last_seen_at'), sa.column('opened_at'), sa.column('resolved_at'),
                   sa.column('acked_at'), sa.column('acked_by'), sa.column('ack_comment'))
_EVENTS = sa.table('alert_events', sa.column('alert_id'))
_STATE = ('status', 'severity', 'title', 'detail', 'last_seen_at', 'opened_at', 'resolved_at', 'acked_at',
          'acked_by', 'ack_comment')


def _fold_alerts(retired: str, kept: str) -> None:
    """One alert per subject and condition: the retired rule's alert becomes the kept rule's (its
    state when it is the active one, its history always), so a second level is not a second alert."""
    connection = op.get_bind()
    old_alerts = connection.execute(sa.select(_ALERTS).where(_ALERTS.c.rule_id == retired)).mappings().all()
    for old in old_alerts:
        new = connection.execute(sa.select(_ALERTS).where(_ALERTS.c.rule_id == kept,
                                                          _ALERTS.c.subject == old['subject'])).mappings().first()
        if new is None:
            connection.execute(_ALERTS.update().where(_ALERTS.c.id == old['id']).values(rule_id=kept))
            continue
        connection.execute(_EVENTS.update().where(_EVENTS.c.alert_id == old['id']).values(alert_id=new['id']))
        if old['status'] != 'resolved':
            values = {name: old[name] for name in _STATE}
            connection.execute(_ALERTS.update().where(_ALERTS.c.id == new['id'])
                               .values(count=new['count'] + old['count'], **values))
        connection.execute(_ALERTS.delete().where(_ALERTS.c.id == old['id']))



def downgrade() -> None:
    with op.batch_alter_table('machines', schema=None) as batch_op:
        batch_op.drop_column('agentless')
        batch_op.drop_column('usage')

    with op.batch_alter_table('machine_readiness', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_certs', sa.BOOLEAN(), nullable=True))
        batch_op.add_column(sa.Column('certs_valid', sa.BOOLEAN(), nullable=True))
        batch_op.drop_index('ix_machine_readiness_counts')
        batch_op.create_index(batch_op.f('ix_machine_readiness_counts'), ['unit_id', 'seen_at', 'role', 'via_network', 'has_lan', 'has_internet', 'has_dedicated_line', 'av_installed', 'av_licensed', 'av_up_to_date', 'os_activated', 'backup_ok', 'hardware_ok', 'has_scanner', 'has_certs', 'certs_valid', 'offline_isolated'], unique=False)
        batch_op.drop_column('has_signing_cert')

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('acked_evidence')
        batch_op.drop_column('evidence')
        batch_op.drop_column('remediation')

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_unit_detected')
        batch_op.drop_index(batch_op.f('ix_incidents_alert_id'))

    op.drop_table('incidents')
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.drop_index('ix_officials_unit_retired')
        batch_op.drop_index(batch_op.f('ix_officials_machine_id'))
        batch_op.drop_index(batch_op.f('ix_officials_account'))

    op.drop_table('officials')
    with op.batch_alter_table('machine_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_machine_users_account'))

    op.drop_table('machine_users')
