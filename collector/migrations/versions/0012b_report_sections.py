"""reports: shared sections once per content, thinning progress; machines: agent and schema versions

Revision ID: 0012b
Revises: 0012a
Create Date: 2026-12-01

Reports stored before this revision keep their whole bodies (no section set): they are read as they
are, and thinning removes most of them in time.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012b'
down_revision: str | None = '0012a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('body_zlib', sa.LargeBinary(), nullable=False),
    sa.Column('raw_bytes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_sections')),
    sa.UniqueConstraint('sha256', name=op.f('uq_report_sections_sha256'))
    )
    op.create_table('report_section_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_section_sets')),
    sa.UniqueConstraint('digest', name=op.f('uq_report_section_sets_digest'))
    )
    op.create_table('report_section_set_members',
    sa.Column('set_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('section_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['report_sections.id'],
                            name=op.f('fk_report_section_set_members_section_id_report_sections')),
    sa.ForeignKeyConstraint(['set_id'], ['report_section_sets.id'],
                            name=op.f('fk_report_section_set_members_set_id_report_section_sets')),
    sa.PrimaryKeyConstraint('set_id', 'section_id', name=op.f('pk_report_section_set_members'))
    )
    op.create_index(op.f('ix_report_section_set_members_section_id'), 'report_section_set_members', ['section_id'],
                    unique=False)
    op.create_table('retention_progress',
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('done_until', sa.Date(), nullable=True),
    sa.Column('working_until', sa.Date(), nullable=True),
    sa.Column('machine_done', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('step', name=op.f('pk_retention_progress'))
    )
    # In place, not by copying the tables (reports is the largest table; SQLite refuses to copy a
    # table others refer to while foreign keys are on).
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE reports ADD COLUMN section_set_id INTEGER '
                   'CONSTRAINT fk_reports_section_set_id_report_section_sets REFERENCES report_section_sets (id)')
    else:
        op.add_column('reports', sa.Column('section_set_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_reports_section_set_id_report_section_sets'), 'reports',
                              'report_section_sets', ['section_set_id'], ['id'])
    op.create_index(op.f('ix_reports_section_set_id'), 'reports', ['section_set_id'], unique=False)
    op.add_column('machines', sa.Column('agent_version', sa.String(length=64), nullable=False, server_default=''))
    op.add_column('machines', sa.Column('report_schema', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('machines', sa.Column('settings_version', sa.Integer(), nullable=True))


def downgrade() -> None:
    for column in ('settings_version', 'report_schema', 'agent_version'):
        op.drop_column('machines', column)
    op.drop_index(op.f('ix_reports_section_set_id'), table_name='reports')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_reports_section_set_id_report_section_sets'), 'reports', type_='foreignkey')
    op.drop_column('reports', 'section_set_id')
    op.drop_table('retention_progress')
    op.drop_index(op.f('ix_report_section_set_members_section_id'), table_name='report_section_set_members')
    op.drop_table('report_section_set_members')
    op.drop_table('report_section_sets')
    op.drop_table('report_sections')
