"""Adding a unit from the browser: under a parent inside the admin's subtree, audited; a unit under
another province is refused and nothing is added."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import select, update

from collector.models.audit import AuditEntry
from collector.models.people import User
from collector.models.units import Unit
from collector.store.people import add_user
from collector.store.units import add_unit, get_unit
from tests.api_world import World
from tests.factories import T0
from tests.web.conftest import PASSWORD, sign_in


def test_an_admin_adds_an_office_under_a_commune_of_their_subtree(web: World) -> None:
    with web.db.session() as session:
        add_unit(session, "PW", "Tỉnh Khác", "province", T0)
        add_user(session, "admin_pv", "admin", T0 + timedelta(seconds=1), "PV")
    with web.db.session() as session:
        session.execute(update(User).where(User.name == "admin_pv").values(
            password_hash=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)))
    csrf = sign_in(web.client, "admin_pv")
    added = web.client.post("/admin/units/add", data={"csrf": csrf, "code": "XA-CA", "name": "Công an xã A",
                                                      "kind": "office", "parent": "XA", "staff": "4"},
                            follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/admin/units?done=add"
    refused = web.client.post("/admin/units/add", data={"csrf": csrf, "code": "PW-X", "name": "Xã ngoài",
                                                        "kind": "commune", "parent": "PW"})
    assert refused.status_code == 404
    with web.db.session() as session:
        office = get_unit(session, "XA-CA")
        assert (office.name, office.staff_count, office.parent_id) == ("Công an xã A", 4, get_unit(session, "XA").id)
        assert session.scalar(select(Unit.id).where(Unit.code == "PW-X")) is None
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "unit_added",
                                                        AuditEntry.actor == "admin_pv"))
        assert entry is not None and entry.subject == "unit:XA-CA"


def test_an_officer_adds_a_unit_under_their_commune_only(web: World) -> None:
    csrf = sign_in(web.client, "officer_b")
    fields = {"csrf": csrf, "name": "Trường tiểu học", "kind": "office", "staff": "2"}
    added = web.client.post("/admin/units/add", data={**fields, "code": "XB-TH", "parent": "XB"},
                            follow_redirects=False)
    assert added.status_code == 303
    assert web.client.post("/admin/units/add", data={**fields, "code": "XA-TH", "parent": "XA"}).status_code == 404
    assert web.client.post("/admin/units/add", data={**fields, "code": "PV-X", "parent": "PV"}).status_code == 404
    with web.db.session() as session:
        assert get_unit(session, "XB-TH").parent_id == get_unit(session, "XB").id
        assert session.scalar(select(Unit.id).where(Unit.code.in_(("XA-TH", "PV-X")))) is None
    web.client.cookies.clear()
    csrf = sign_in(web.client, "viewer_a")
    assert web.client.get("/admin/units").status_code == 403
