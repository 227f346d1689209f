"""The audit log's seam: an entry is appended with the change it records and read within a scope
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collector.db import open_database
from collector.store.audit import AuditAction, list_audit, record_audit
from collector.store.scope import EVERYTHING, Scope
from collector.store.units import add_unit
from tests.factories import T0


def test_entries_are_read_newest_first_within_the_scope(db_url: str) -> None:
    db = open_database(db_url)
    with db.session() as session:
        province = add_unit(session, "PV", "Tỉnh", "province", T0)
        xa = add_unit(session, "XA", "Xã A", "commune", T0, "PV")
        xb = add_unit(session, "XB", "Xã B", "commune", T0, "PV")
        record_audit(session, "admin", AuditAction.UNIT_ADDED, T0, "unit:XA", xa.id, "UBND xã A")
        record_audit(session, "can-bo-b", AuditAction.TOKEN_CREATED, T0 + timedelta(minutes=1), "unit:XB", xb.id)
        record_audit(session, "cli", AuditAction.USER_ADDED, T0 + timedelta(minutes=2), "user:admin")
    with db.session() as session:
        everything = list_audit(session, EVERYTHING)
        commune_a = list_audit(session, Scope(xa.path))
        recent = list_audit(session, Scope(province.path), since=T0 + timedelta(seconds=30))
    db.dispose()
    assert [e.action for e in everything] == ["user_added", "token_created", "unit_added"]
    assert [(e.actor, e.subject, e.unit_code, e.detail) for e in commune_a] == [("admin", "unit:XA", "XA",
                                                                                "UBND xã A")]
    assert [e.unit_code for e in recent] == ["XB"]  # no unit's entry only for an unscoped admin


def test_a_rolled_back_change_leaves_no_entry(db_url: str) -> None:
    db = open_database(db_url)
    with pytest.raises(RuntimeError), db.session() as session:
        record_audit(session, "admin", AuditAction.UNIT_ADDED, T0, "unit:XC")
        raise RuntimeError("the change failed")
    with db.session() as session:
        assert list_audit(session, EVERYTHING) == []
    db.dispose()
