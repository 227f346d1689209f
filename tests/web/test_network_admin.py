"""What the scan looks at, from the browser: known LAN devices (only one seen in the officer's
units), saved subnets and SNMP devices of their units (a forged post for another commune is refused
and stores nothing); SNMP credentials never come back in any page; each change audited."""

from __future__ import annotations

from sqlalchemy import select

from collector.models.audit import AuditEntry
from collector.models.lan import KnownLanDevice, LanSubnet
from collector.models.snmp import SnmpDevice
from collector.network.arp import Seen
from collector.store.lan import record_seen
from collector.store.units import get_unit
from tests.api_world import World
from tests.factories import T0
from tests.web.conftest import sign_in

SECRET = "community-never-shown"


def _post(web: World, action: str, csrf: str, **fields: str):  # type: ignore[no-untyped-def]
    return web.client.post(f"/admin/network/{action}", data={"csrf": csrf, **fields}, follow_redirects=False)


def test_an_officer_sets_subnets_and_snmp_devices_of_their_commune(web: World) -> None:
    csrf = sign_in(web.client, "officer_b")
    assert _post(web, "subnet", csrf, subnet="192.168.7.0/24", unit="XB").status_code == 303
    saved = _post(web, "snmp", csrf, unit="XB", name="Router TSLCD", host="127.0.0.1", port="16100",
                  version="v2c", community=SECRET, dedicated_line_if="ge-0/0/1")
    assert saved.status_code == 303
    page = web.client.get("/admin/network").text
    assert "192.168.7.0/24" in page and "Router TSLCD" in page and SECRET not in page
    for path in ("/network", "/admin/network?done=snmp", "/audit"):
        assert SECRET not in web.client.get(path).text, path
    refused = _post(web, "snmp", csrf, unit="XB", host="127.0.0.2", version="v3", user="u", auth_key="short",
                    priv_key="x")
    assert refused.status_code == 422 and "short" not in refused.text
    with web.db.session() as session:
        assert session.scalar(select(LanSubnet.unit_id)) == get_unit(session, "XB").id
        assert [d.host for d in session.scalars(select(SnmpDevice))] == ["127.0.0.1"]
        actions = {a for (a,) in session.execute(select(AuditEntry.action).where(AuditEntry.actor == "officer_b"))}
        details = " ".join(d for (d,) in session.execute(select(AuditEntry.detail)))
    assert {"subnet_saved", "snmp_device_added"} <= actions and SECRET not in details


def test_forged_posts_for_another_commune_store_nothing(web: World) -> None:
    with web.db.session() as session:
        record_seen(session, [Seen(ip="192.168.1.50", mac="aa:bb:cc:00:00:01")], T0, get_unit(session, "XA").id)
    csrf = sign_in(web.client, "officer_b")
    assert _post(web, "subnet", csrf, subnet="192.168.1.0/24", unit="XA").status_code == 404
    assert _post(web, "snmp", csrf, unit="XA", host="127.0.0.1", community=SECRET).status_code == 404
    assert _post(web, "known", csrf, mac="aa:bb:cc:00:00:01", note="máy in").status_code == 404
    assert _post(web, "subnet", "forged", subnet="192.168.9.0/24", unit="XB").status_code == 403
    with web.db.session() as session:
        assert session.scalar(select(LanSubnet.id)) is None and session.scalar(select(SnmpDevice.id)) is None
        assert session.scalar(select(KnownLanDevice.id)) is None
    web.client.cookies.clear()
    csrf = sign_in(web.client, "admin")
    assert _post(web, "known", csrf, mac="AA-BB-CC-00-00-01", note="máy in").status_code == 303
    with web.db.session() as session:
        assert session.scalar(select(KnownLanDevice.mac)) == "aa:bb:cc:00:00:01"


def test_a_subnet_too_large_is_said(web: World) -> None:
    csrf = sign_in(web.client, "admin")
    refused = _post(web, "subnet", csrf, subnet="10.0.0.0/8", unit="XA")
    assert refused.status_code == 422 and "10.0.0.0/8" in refused.text
