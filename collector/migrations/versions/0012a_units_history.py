"""units keep their history: official code, end date, survivor; installed products by unit id

Revision ID: 0012a
Revises: 0009, 0007
Create Date: 2026-12-01

A merged-away or retired unit keeps its row with ``ended_on`` (and ``merged_into_id``). The
installed products of each machine carry the machine's unit id instead of its unit path, so that
moving a unit rewrites no row of that table (one row per installed program of every machine); the
unit id of each row is filled from its machine.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012a'
down_revision: str | Sequence[str] | None = ('0009', '0007')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added in place, never by copying the table: every other table refers to units, and SQLite
    # (foreign keys on) refuses to drop a referenced table that a batch copy would replace.
    op.add_column('units', sa.Column('admin_code', sa.String(length=16), nullable=True))
    op.add_column('units', sa.Column('ended_on', sa.Date(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE units ADD COLUMN merged_into_id INTEGER '
                   'CONSTRAINT fk_units_merged_into_id_units REFERENCES units (id)')
    else:
        op.add_column('units', sa.Column('merged_into_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_units_merged_into_id_units'), 'units', 'units', ['merged_into_id'], ['id'])
    op.create_index(op.f('ix_units_admin_code'), 'units', ['admin_code'], unique=False)

    with op.batch_alter_table('machine_products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
    pairs = sa.table('machine_products', sa.column('machine_id', sa.Integer), sa.column('unit_id', sa.Integer))
    machines = sa.table('machines', sa.column('id', sa.Integer), sa.column('unit_id', sa.Integer))
    op.execute(pairs.update().values(unit_id=sa.select(machines.c.unit_id)
                                     .where(machines.c.id == pairs.c.machine_id).scalar_subquery()))
    with op.batch_alter_table('machine_products', schema=None) as batch_op:
        batch_op.drop_index('ix_machine_products_product_path')
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_machine_products_unit_id_units'), 'units', ['unit_id'], ['id'])
        batch_op.drop_column('unit_path')
        batch_op.create_index('ix_machine_products_product_unit', ['product_id', 'unit_id', 'machine_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('machine_products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_path', sa.String(length=512), nullable=True))
    pairs = sa.table('machine_products', sa.column('unit_id', sa.Integer), sa.column('unit_path', sa.String))
    units = sa.table('units', sa.column('id', sa.Integer), sa.column('path', sa.String))
    op.execute(pairs.update().values(unit_path=sa.select(units.c.path)
                                     .where(units.c.id == pairs.c.unit_id).scalar_subquery()))
    with op.batch_alter_table('machine_products', schema=None) as batch_op:
        batch_op.drop_index('ix_machine_products_product_unit')
        batch_op.drop_constraint(batch_op.f('fk_machine_products_unit_id_units'), type_='foreignkey')
        batch_op.drop_column('unit_id')
        batch_op.alter_column('unit_path', existing_type=sa.String(length=512), nullable=False)
        batch_op.create_index('ix_machine_products_product_path', ['product_id', 'unit_path', 'machine_id'],
                              unique=False)
    op.drop_index(op.f('ix_units_admin_code'), table_name='units')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_units_merged_into_id_units'), 'units', type_='foreignkey')
    for column in ('merged_into_id', 'ended_on', 'admin_code'):
        op.drop_column('units', column)  # SQLite 3.35+ drops a column in place
