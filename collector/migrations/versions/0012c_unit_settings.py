"""agent settings per unit, inherited down the tree and versioned

Revision ID: 0012c
Revises: 0012b
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012c'
down_revision: str | None = '0012b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('unit_settings',
    sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('values_json', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=160), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_settings_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_unit_settings'))
    )
    op.create_index(op.f('ix_unit_settings_version'), 'unit_settings', ['version'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_unit_settings_version'), table_name='unit_settings')
    op.drop_table('unit_settings')
