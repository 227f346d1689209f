"""dashboard read indexes: the readiness count reads only an index; open alerts by severity, newest first

Revision ID: 0008
Revises: 0002, 0004
Create Date: 2026-11-22

``ix_machine_readiness_counts`` (unit_id, seen_at, then every column the per-unit readiness
aggregate reads) replaces ``ix_machine_readiness_unit_seen`` (its first two columns): the
aggregate over a province's machines scans the index alone, never the rows with their
``detail_json``. ``ix_alerts_status_severity_seen`` gives the overview's latest open alerts of a
severity without sorting every open alert (collector.store.alerts.recent_alerts).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = ('0002', '0004')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTED = ['unit_id', 'seen_at', 'role', 'via_network', 'has_lan', 'has_internet', 'has_dedicated_line',
           'av_installed', 'av_licensed', 'av_up_to_date', 'os_activated', 'backup_ok', 'hardware_ok', 'has_scanner',
           'has_certs', 'certs_valid', 'offline_isolated']


def upgrade() -> None:
    with op.batch_alter_table('machine_readiness', schema=None) as batch_op:
        batch_op.drop_index('ix_machine_readiness_unit_seen')
        batch_op.create_index('ix_machine_readiness_counts', COUNTED, unique=False)
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_status_severity_seen', ['status', 'severity', 'last_seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_status_severity_seen')
    with op.batch_alter_table('machine_readiness', schema=None) as batch_op:
        batch_op.drop_index('ix_machine_readiness_counts')
        batch_op.create_index('ix_machine_readiness_unit_seen', ['unit_id', 'seen_at'], unique=False)
