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
    # The reading of names is the application's own (one definition of "a report's product names").
    from sqlalchemy.orm import Session

    from collector.store.products import record_machine_products, stored_product_names

    session = Session(bind=op.get_bind())
    machines = sa.table('machines', sa.column('id', sa.Integer), sa.column('unit_id', sa.Integer),
                        sa.column('state_json', sa.Text))
    units = sa.table('units', sa.column('id', sa.Integer), sa.column('path', sa.String))
    last = 0
    while True:
        rows = session.execute(sa.select(machines.c.id, units.c.path, machines.c.state_json)
                               .join(units, units.c.id == machines.c.unit_id)
                               .where(machines.c.id > last, machines.c.state_json.is_not(None))
                               .order_by(machines.c.id).limit(BATCH)).all()
        if not rows:
            break
        for machine_id, unit_path, state_json in rows:
            try:
                names = stored_product_names(state_json)
            except ValueError:  # msgspec.DecodeError: a damaged state is left without names
                names = set()
            record_machine_products(session, machine_id, unit_path, names)
        last = rows[-1][0]
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table('machine_products', schema=None) as batch_op:
        batch_op.drop_index('ix_machine_products_product_path')
    op.drop_table('machine_products')
    op.drop_table('product_names')
