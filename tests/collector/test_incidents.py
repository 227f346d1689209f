"""The incident register on both backends: an alert of an incident rule opens an incident, its
acknowledgement and clearing are recorded, an officer writes effect, handling and outcome and
closes it; a new detection is a new incident; incidents are counted per unit and period and
exported with what Law 116/2025 asks (what, where, when, effect, handling)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from agent.wire.schema import Antivirus, AntivirusProduct, Detection, encode_report
from canhgac.cli import main
from collector.store.alerts import ack_alert
from collector.store.incidents import incident_counts, list_incidents
from collector.store.scope import EVERYTHING
from collector.store.unit_context import period_bounds
from collector.store.units import get_unit
from tests.api_world import World
from tests.factories import T0, make_report, signed

DEFENDER = AntivirusProduct(name="Windows Defender", enabled=True, realtime_on=True)
TROJAN = Detection(threat="Trojan:Win32/Wacatac.B!ml", path=r"C:\Users\an\Downloads\hoadon.exe",
                   detected_at=T0 - timedelta(minutes=30), action="detected")


def _send(world: World, agent: dict[str, str], sequence: int, detections: list[Detection],
          hostname: str = "xa-pc01") -> None:
    report = make_report(agent["agent_id"], sequence, hostname=hostname)
    report.antivirus = Antivirus(products=[DEFENDER], detections=detections)
    body = encode_report(report)
    response = world.client.post("/api/v1/reports", content=body, headers=signed(agent["agent_id"], agent["key"], body,
                                                                                       world.clock.now))
    assert response.status_code == 201, response.text


def test_a_malware_alert_becomes_an_incident_with_its_handling(world: World, db_url: str, tmp_path: Path) -> None:
    agent = world.enroll("XA", hostname="xa-pc01")
    _send(world, agent, 1, [TROJAN])
    with world.db.session() as session:
        [incident] = list_incidents(session, EVERYTHING, "XA")
        ack_alert(session, EVERYTHING, incident.alert_id, "cntt-xa", "đã ngắt mạng máy, đang quét", T0)
    assert incident.severity == "critical" and incident.hostname == "xa-pc01"
    assert "Trojan:Win32/Wacatac.B!ml" in incident.evidence and incident.acknowledged_at is None
    world.clock.advance(hours=3)
    _send(world, agent, 2, [])  # cleaned: the alert resolves, the incident is cleared (not closed)
    runner = CliRunner()
    db = ["--db", db_url]
    refused = runner.invoke(main, ["incidents", "update", str(incident.id), "--close", *db])
    assert refused.exit_code == 1 and "outcome" in refused.output
    closed = runner.invoke(main, ["incidents", "update", str(incident.id), "--effect", "một máy, không mất dữ liệu",
                                  "--handling", "cách ly, quét toàn bộ, đổi mật khẩu", "--outcome",
                                  "đã khắc phục", "--close", *db])
    assert closed.exit_code == 0, closed.output
    with world.db.session() as session:
        [done] = list_incidents(session, EVERYTHING, "XA")
    assert (done.acknowledged_by, done.closed_by, done.outcome) == ("cntt-xa", "cli", "đã khắc phục")
    assert done.cleared_at == T0 + timedelta(hours=3) and done.closed_at is not None
    out = tmp_path / "su-co.csv"
    exported = runner.invoke(main, ["incidents", "list", "--unit", "XA", "--period", str(T0.year), "--format", "csv",
                                    "--out", str(out), *db])
    assert exported.exit_code == 0, exported.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, row = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    record = dict(zip(header, row, strict=True))
    assert record["Sự cố"] == "Phát hiện mã độc đang hoạt động trên máy" and record["Nơi xảy ra (máy)"] == "xa-pc01"
    assert record["Thời điểm phát hiện"] == "22/11/2026 15:00" and record["Kết quả"] == "đã khắc phục"
    assert record["Biện pháp xử lý"] == "cách ly, quét toàn bộ, đổi mật khẩu"
    assert record["Tiếp nhận (thời điểm, người)"] == "22/11/2026 15:00 cntt-xa"


def test_a_new_detection_is_a_new_incident_and_incidents_are_counted_per_period(world: World) -> None:
    agent = world.enroll("XA-VP", hostname="vp-pc01")
    _send(world, agent, 1, [TROJAN])
    with world.db.session() as session:
        [first] = list_incidents(session, EVERYTHING)
        ack_alert(session, EVERYTHING, first.alert_id, "cntt", "đang xử lý", T0)
    other = Detection(threat="Ransom:Win32/LockBit", path=r"C:\Users\an\x.exe", detected_at=T0, action="detected")
    world.clock.advance(hours=1)
    _send(world, agent, 2, [TROJAN, other])
    with world.db.session() as session:
        incidents = list_incidents(session, EVERYTHING)
        paths = {u: get_unit(session, u).path for u in ("PV", "XA", "XB")}
        ids = {u: get_unit(session, u).id for u in paths}
        this_year = incident_counts(session, {ids[u]: p for u, p in paths.items()}, *period_bounds(T0.year))
        next_year = incident_counts(session, {ids["PV"]: paths["PV"]}, *period_bounds(T0.year + 1))
    assert len(incidents) == 2 and "LockBit" in incidents[1].evidence
    assert this_year == {ids["PV"]: 2, ids["XA"]: 2, ids["XB"]: 0} and next_year == {ids["PV"]: 0}
