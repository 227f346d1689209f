"""Reorganising the unit tree from the dashboard (admins only, within their subtree), audited."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select, update

from collector.models.audit import AuditEntry
from collector.models.people import User
from collector.store.people import add_user
from collector.store.units import get_unit
from tests.api_world import World
from tests.factories import T0
from tests.web.conftest import PASSWORD, sign_in


def _post(web: World, action: str, csrf: str, **fields: str):  # type: ignore[no-untyped-def]
    return web.client.post(f"/admin/units/{action}", data={"csrf": csrf, **fields}, follow_redirects=False)


def test_only_admins_reorganise(web: World) -> None:
    csrf = sign_in(web.client, "officer_b")
    assert "/admin/units" not in web.client.get("/units").text
    assert web.client.get("/admin/units").status_code == 403
    assert _post(web, "rename", csrf, code="XB", name="Xã Bê").status_code == 403
    with web.db.session() as session:
        assert get_unit(session, "XB").name == "UBND xã B"


def test_an_admin_merges_renames_and_imports_with_audit(web: World) -> None:
    csrf = sign_in(web.client, "admin")
    assert "/admin/units" in web.client.get("/units").text
    page = web.client.get("/admin/units")
    assert page.status_code == 200 and 'action="/admin/units/merge"' in page.text
    merged = _post(web, "merge", csrf, sources="XB", into="XA", on="2025-07-01")
    assert merged.status_code == 303 and merged.headers["location"] == "/admin/units?done=merge"
    assert _post(web, "rename", csrf, code="XA", name="UBND xã A mới").status_code == 303
    assert _post(web, "import", csrf, csv="XC,UBND phường C,phường,PV,26740\n").status_code == 303
    shown = web.client.get("/admin/units?done=import&lang=en").text
    assert "Done:" in shown and "Merged-away and retired units" in shown and "01/07/2025" in shown
    with web.db.session() as session:
        assert get_unit(session, "XB").merged_into_id == get_unit(session, "XA").id
        assert get_unit(session, "XA").name == "UBND xã A mới"
        assert (get_unit(session, "XC").kind, get_unit(session, "XC").admin_code) == ("ward", "26740")
        actions = list(session.execute(select(AuditEntry.actor, AuditEntry.action)
                                       .where(AuditEntry.action.like("unit_%")).order_by(AuditEntry.id)))
    assert [tuple(a) for a in actions] == [("admin", "unit_merged"), ("admin", "unit_renamed"),
                                           ("admin", "unit_changed"), ("admin", "unit_added")]


def test_a_refused_change_shows_why_and_changes_nothing(web: World) -> None:
    csrf = sign_in(web.client, "admin")
    refused = _post(web, "move", csrf, code="XA", parent="XA-VP")
    assert refused.status_code == 422 and "itself" in refused.text
    assert _post(web, "retire", csrf, code="XA", on="not a date").status_code == 422
    assert _post(web, "explode", csrf).status_code == 404
    assert _post(web, "rename", "forged", code="XA", name="X").status_code == 403
    with web.db.session() as session:
        assert get_unit(session, "XA").parent_id == get_unit(session, "PV").id
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.action.like("unit_%"))) is None


def test_an_admin_of_a_commune_reorganises_only_inside_it(web: World) -> None:
    with web.db.session() as session:
        add_user(session, "admin_a", "admin", T0, "XA")
        hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
        session.execute(update(User).where(User.name == "admin_a").values(password_hash=hashed))
    csrf = sign_in(web.client, "admin_a")
    assert _post(web, "rename", csrf, code="XB", name="Xã Bê").status_code == 404
    assert _post(web, "rename", csrf, code="XA-VP", name="Văn phòng A").status_code == 303
    page = web.client.get("/admin/units").text
    assert "UBND xã B" not in page and '<option value="XA-VP">' in page
