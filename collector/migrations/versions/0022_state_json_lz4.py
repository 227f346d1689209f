"""machines.state_json compressed with lz4 on PostgreSQL (pglz before): every stored report
rewrites its machine's state (a 16 KB report of 150 programs), and the scan and the pages read it
back. With lz4 that UPDATE took 0.21 ms instead of 0.31 ms (bench/ingest_work.py --postgresql,
statement timings, 2026-12-03). Values already stored keep pglz until the machine's next report
rewrites them; PostgreSQL reads both. Nothing on SQLite, nor on a PostgreSQL built without lz4
(it then keeps pglz).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | Sequence[str] | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _has_lz4() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    methods = bind.execute(sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
    return "lz4" in (methods.scalar() or [])


def upgrade() -> None:
    if _has_lz4():
        op.execute("ALTER TABLE machines ALTER COLUMN state_json SET COMPRESSION lz4")


def downgrade() -> None:
    if _has_lz4():
        op.execute("ALTER TABLE machines ALTER COLUMN state_json SET COMPRESSION pglz")
