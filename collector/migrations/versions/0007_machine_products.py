"""products: the product names each machine's current report lists (installs against seats in SQL)

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-22

Machines stored before this revision get their names from their stored state here, so the
licence register counts them at once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    op.create_table('product_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_names')),
    sa.UniqueConstraint('name', name=op.f('uq_product_names_name'))
    )
    op.create_table('machine_products',
    sa.Column('machine_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unit_path', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_machine_products_machine_id_machines')),
    sa.ForeignKeyConstraint(['product_id'], ['product_names.id'],
                            name=op.f('fk_machine_products_product_id_product_names')),
    sa.PrimaryKeyConstraint('machine_id', 'product_id', name=op.f('pk_machine_products'))
    )
    with op.batch_alter_table('machine_products', schema=None) as batch_op:
        batch_op.create_index('ix_machine_products_product_path', ['product_id', 'unit_path', 'machine_id'],
                              unique=False)
    _fill_from_stored_state()


def _fill_from_stored_state() -> None:
    # Self-contained on purpose: written with this revision's columns, not the application's
    # current store (which writes the columns of later revisions; revision 0012b replaced unit_path).
    from collector.store.products import stored_product_names

    bind = op.get_bind()
    machines = sa.table('machines', sa.column('id', sa.Integer), sa.column('unit_id', sa.Integer),
                        sa.column('state_json', sa.Text))
    units = sa.table('units', sa.column('id', sa.Integer), sa.column('path', sa.String))
    names = sa.table('product_names', sa.column('id', sa.Integer), sa.column('name', sa.String))
    pairs = sa.table('machine_products', sa.column('machine_id', sa.Integer), sa.column('product_id', sa.Integer),
                     sa.column('unit_path', sa.String))
    ids: dict[str, int] = {}
    last = 0
    while True:
        rows = bind.execute(sa.select(machines.c.id, units.c.path, machines.c.state_json)
                            .join(units, units.c.id == machines.c.unit_id)
                            .where(machines.c.id > last, machines.c.state_json.is_not(None))
                            .order_by(machines.c.id).limit(BATCH)).all()
        if not rows:
            break
        for machine_id, unit_path, state_json in rows:
            try:
                found = stored_product_names(state_json)
            except ValueError:  # msgspec.DecodeError: a damaged state is left without names
                found = set()
            for name in sorted(found - ids.keys()):
                ids[name] = bind.execute(sa.insert(names).values(name=name).returning(names.c.id)).scalar_one()
            if found:
                bind.execute(sa.insert(pairs), [{"machine_id": machine_id, "product_id": ids[name], "unit_path": unit_path}
                                                for name in found])
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('machine_products', schema=None) as batch_op:
        batch_op.drop_index('ix_machine_products_product_path')
    op.drop_table('machine_products')
    op.drop_table('product_names')
