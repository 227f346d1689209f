"""machines.products_digest: which product names machine_products holds for the machine, so that
storing a report compares digests instead of reading and parsing the previous report

Revision ID: 0019
Revises: 0017a, 0018b
Create Date: 2026-12-01

Left empty here: an empty digest reads as "changed", so each machine's next report writes its
names once (as before this revision) and the digest with them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | Sequence[str] | None = ('0017a', '0018b')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('machines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('products_digest', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('machines', schema=None) as batch_op:
        batch_op.drop_column('products_digest')
