"""Licences edited and deleted from the browser, within the officer's subtree (a forged post for
another commune's entry is refused and changes nothing), each in the audit log."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from collector.models.audit import AuditEntry
from collector.store.licences import add_licence, list_licences
from tests.api_world import World
from tests.factories import T0
from tests.web.conftest import sign_in


def _entries(web: World) -> dict[str, tuple[int, int, date]]:
    with web.db.session() as session:
        return {f"{r.unit_code}:{r.product}": (r.id, r.seats, r.expires_on) for r in list_licences(session)}


def test_an_officer_edits_and_deletes_a_licence_of_their_commune(web: World) -> None:
    with web.db.session() as session:
        mine = add_licence(session, "Kaspersky", "Kaspersky*", 10, date(2027, 1, 1), "XB", T0).id
        theirs = add_licence(session, "BKAV Pro", "BKAV*", 5, date(2027, 1, 1), "XA", T0).id
    csrf = sign_in(web.client, "officer_b")
    form = web.client.get("/licences", params={"edit": mine}).text
    assert f'action="/licences/{mine}/edit"' in form and 'value="Kaspersky*"' in form
    assert 'value="01/01/2027"' in form and 'type="date"' not in form  # days as officials write them
    edited = web.client.post(f"/licences/{mine}/edit", data={"csrf": csrf, "product": "Kaspersky Endpoint",
                                                            "match": "Kaspersky*", "seats": "16",
                                                            "expires": "30/06/2027"}, follow_redirects=False)
    assert edited.status_code == 303
    assert _entries(web)["XB:Kaspersky Endpoint"] == (mine, 16, date(2027, 6, 30))
    bad = web.client.post(f"/licences/{mine}/edit", data={"csrf": csrf, "product": "K", "match": "K*",
                                                         "seats": "many", "expires": "2027-06-30"})
    assert bad.status_code == 400 and _entries(web)["XB:Kaspersky Endpoint"][1] == 16

    forged = {"csrf": csrf, "product": "Stolen", "match": "*", "seats": "0", "expires": "2027-01-01"}
    assert web.client.post(f"/licences/{theirs}/edit", data=forged).status_code == 404
    assert web.client.post(f"/licences/{theirs}/delete", data={"csrf": csrf}).status_code == 404
    assert web.client.post(f"/licences/{mine}/delete", data={"csrf": "forged"}).status_code == 403
    assert _entries(web)["XA:BKAV Pro"] == (theirs, 5, date(2027, 1, 1))

    assert web.client.post(f"/licences/{mine}/delete", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert set(_entries(web)) == {"XA:BKAV Pro"}
    with web.db.session() as session:
        actions = [a for (a,) in session.execute(select(AuditEntry.action).where(AuditEntry.actor == "officer_b"))]
    assert actions[-2:] == ["licence_edited", "licence_deleted"]


def test_viewers_neither_edit_nor_delete(web: World) -> None:
    with web.db.session() as session:
        entry = add_licence(session, "BKAV Pro", "BKAV*", 5, date(2027, 1, 1), "XA", T0).id
    csrf = sign_in(web.client, "viewer_a")
    assert "/delete" not in web.client.get("/licences").text
    assert web.client.post(f"/licences/{entry}/delete", data={"csrf": csrf}).status_code == 403
    assert len(_entries(web)) == 1
