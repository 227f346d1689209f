"""machines.search_text: serial, MAC and IP addresses and users' accounts the machine list searches

Revision ID: 0017a
Revises: 0012c
Create Date: 2026-12-01

Filled here from each machine's current state (its newest report's JSON), read with the json
module alone: a revision reads no application code (the same words as
collector.store.machine_search.search_text, which keeps the column current afterwards).
"""

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0017a'
down_revision: str | None = '0012c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_TEXT_MAX = 2000
BATCH = 500


def _words(state: dict[str, Any]) -> Iterator[str]:
    hardware = state.get("hardware") or {}
    yield str(hardware.get("serial") or "")
    for interface in (state.get("network") or {}).get("interfaces") or []:
        yield str(interface.get("mac") or "")
        yield from (str(a).split("/")[0] for a in interface.get("addresses") or [])
    yield from (str(u.get("name") or "") for u in (state.get("users") or {}).get("users") or [])


def search_text(state_json: str) -> str:
    try:
        state = json.loads(state_json)
    except ValueError:
        return ""
    if not isinstance(state, dict):
        return ""
    seen = dict.fromkeys(w.strip().lower() for w in _words(state) if w.strip())
    return " ".join(seen)[:SEARCH_TEXT_MAX]


def upgrade() -> None:
    op.add_column('machines', sa.Column('search_text', sa.String(length=SEARCH_TEXT_MAX), nullable=False,
                                        server_default=''))
    connection = op.get_bind()
    machines = sa.table('machines', sa.column('id', sa.Integer), sa.column('state_json', sa.Text),
                        sa.column('search_text', sa.String))
    last = 0
    while True:
        rows = connection.execute(sa.select(machines.c.id, machines.c.state_json)
                                  .where(machines.c.id > last, machines.c.state_json.is_not(None))
                                  .order_by(machines.c.id).limit(BATCH)).all()
        if not rows:
            break
        for machine_id, state_json in rows:
            text = search_text(state_json)
            if text:
                connection.execute(sa.update(machines).where(machines.c.id == machine_id).values(search_text=text))
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('machines') as batch:
        batch.drop_column('search_text')
