"""Levels of one condition keep one alert: the backup alert escalates from "over 90 days" to "no
backup in 180 days" and back, never resolving while the backup is old; revision 0011 folds the
alerts of the retired second-level rules into the kept ones; new evidence re-opens an
acknowledged alert and is notified (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import column, insert, select, table

from agent.wire.schema import Antivirus, AntivirusProduct, Backup, BackupSource, Detection, Identity, Report
from collector.db import Database, create_db_engine, open_database
from collector.judging.rules import load_rules
from collector.migrate import alembic_config
from collector.models.alerts import Alert, AlertEvent
from collector.store.alerts import Subject, ack_alert, alert_history, apply_findings, get_alert
from collector.store.scope import EVERYTHING
from collector.store.units import add_unit
from rules.engine import evaluate
from rules.facts import MachineContext, machine_facts
from rules.lifecycle import AlertStatus, Transition
from rules.model import Severity

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
RULES = load_rules(None)


def _report(backup_age_days: float | None = None, detections: list[Detection] | None = None,
            now: datetime = T0) -> Report:
    backup = None if backup_age_days is None else Backup(sources=[BackupSource(
        kind="folder", location="D:/SaoLuu", last_success=now - timedelta(days=backup_age_days))])
    antivirus = Antivirus(products=[AntivirusProduct(name="Windows Defender", enabled=True, realtime_on=True)],
                          detections=detections or [])
    return Report(identity=Identity(hostname="pc", collected_at=T0), backup=backup, antivirus=antivirus)


def _judge(db: Database, report: Report, now: datetime, only: str) -> list[tuple[str, Transition]]:
    facts = machine_facts(report, MachineContext(last_seen_at=now), now)
    findings = [f for f in evaluate(RULES.ruleset, facts, now, subject="machine:1") if f.rule_id == only]
    with db.session() as session:
        return apply_findings(session, Subject("machine:1", 1, None), findings, RULES.rules, now)


def _world(db_url: str) -> Database:
    db = open_database(db_url)
    with db.session() as session:
        add_unit(session, "XA", "UBND xã A", "commune", T0)
    return db


def test_the_backup_alert_escalates_and_comes_back_down_but_never_resolves_while_old(db_url: str) -> None:
    db = _world(db_url)
    steps = [(120, Transition.OPENED, Severity.MEDIUM), (185, Transition.ESCALATED, Severity.HIGH),
             (186, Transition.REPEATED, Severity.HIGH), (100, Transition.DEESCALATED, Severity.MEDIUM),
             (10, Transition.RESOLVED, Severity.MEDIUM)]
    for day, (age, expected, severity) in enumerate(steps):
        now = T0 + timedelta(days=day)
        assert _judge(db, _report(age, now=now), now, "backup.quarterly") == [("backup.quarterly", expected)], age
        with db.session() as session:
            alert = session.scalar(select(Alert))
            assert alert is not None and alert.severity == severity
            if expected is Transition.ESCALATED:
                assert alert.title == "Không có bản sao lưu trong 180 ngày / No backup within 180 days"
                assert alert.detail.startswith("đã cấu hình sao lưu, bản sao lưu mới nhất 185 ngày trước /")
                assert "180 ngày" in alert.remediation
    with db.session() as session:
        assert session.scalar(select(Alert.status)) == AlertStatus.RESOLVED
        assert len(session.scalars(select(Alert)).all()) == 1  # one alert, not one per band
        history = [e.transition for e in alert_history(session, session.scalar(select(Alert.id)))]
    assert history == ["opened", "escalated", "deescalated", "resolved"]
    db.dispose()


def test_an_acknowledged_malware_alert_reopens_on_a_new_detection_only(db_url: str) -> None:
    db = _world(db_url)
    first = Detection(threat="Trojan:Win32/Wacatac.B!ml", path=r"C:\Users\an\a.exe", detected_at=T0, action="detected")
    assert _judge(db, _report(detections=[first]), T0, "av.malware_detected") == [
        ("av.malware_detected", Transition.OPENED)]
    with db.session() as session:
        alert_id = session.scalar(select(Alert.id))
        ack_alert(session, EVERYTHING, alert_id, "cntt", "đang quét lại máy", T0)
    assert _judge(db, _report(detections=[first]), T0 + timedelta(hours=1), "av.malware_detected") == [
        ("av.malware_detected", Transition.REPEATED)]  # the acknowledgement covers what was seen
    second = Detection(threat="Trojan:Win32/Wacatac.B!ml", path=r"C:\Users\an\b.exe", detected_at=T0, action="detected")
    assert _judge(db, _report(detections=[first, second]), T0 + timedelta(hours=2), "av.malware_detected") == [
        ("av.malware_detected", Transition.NEW_EVIDENCE)]
    with db.session() as session:
        row = get_alert(session, EVERYTHING, alert_id)
        notified = session.scalar(select(AlertEvent.notify).where(AlertEvent.transition == "new_evidence"))
    assert row.status is AlertStatus.OPEN and row.acked_by is None and notified is True
    assert any(r"b.exe" in item for item in row.evidence) and row.severity is Severity.CRITICAL
    db.dispose()


def test_a_quarantined_detection_is_recorded_at_a_lower_severity(db_url: str) -> None:
    db = _world(db_url)
    contained = Detection(threat="HackTool:Win32/Keygen", path=r"C:\x.exe", detected_at=T0, action="quarantined")
    _judge(db, _report(detections=[contained]), T0, "av.malware_detected")
    with db.session() as session:
        alert = session.scalar(select(Alert))
    assert alert is not None and alert.severity == Severity.MEDIUM
    assert alert.title.startswith("Phát hiện mã độc, phần mềm đã cách ly hoặc xóa")
    db.dispose()


_ALERTS = table("alerts", *(column(c) for c in ("id", "rule_id", "subject", "unit_id", "status", "severity", "title",
                                                 "detail", "count", "first_seen_at", "last_seen_at", "opened_at",
                                                 "resolved_at")))
_EVENTS = table("alert_events", *(column(c) for c in ("id", "alert_id", "at", "transition", "status", "severity",
                                                       "notify")))


def test_revision_0011_folds_the_second_level_rules_alerts_into_one(db_url: str) -> None:
    engine = create_db_engine(db_url)
    config = alembic_config(engine)
    naive = T0.replace(tzinfo=None)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
        connection.execute(table("units", *(column(c) for c in ("id", "code", "name", "kind", "path", "staff_count",
                                                                "created_at"))).insert(),
                           [{"id": 1, "code": "XA", "name": "Xã A", "kind": "commune", "path": "/1/",
                             "staff_count": 0, "created_at": naive}])
        alert = {"unit_id": 1, "detail": "", "first_seen_at": naive, "last_seen_at": naive, "opened_at": naive}
        connection.execute(insert(_ALERTS), [
            {**alert, "id": 1, "rule_id": "backup.quarterly", "subject": "machine:7", "status": "resolved",
             "severity": "medium", "title": "90", "count": 2, "resolved_at": naive},
            {**alert, "id": 2, "rule_id": "backup.half_year", "subject": "machine:7", "status": "open",
             "severity": "high", "title": "180", "count": 1, "resolved_at": None},
            {**alert, "id": 3, "rule_id": "backup.half_year", "subject": "machine:8", "status": "open",
             "severity": "high", "title": "180", "count": 1, "resolved_at": None}])
        connection.execute(insert(_EVENTS), [
            {"id": 1, "alert_id": 1, "at": naive, "transition": "resolved", "status": "resolved", "severity": "medium",
             "notify": True},
            {"id": 2, "alert_id": 2, "at": naive, "transition": "opened", "status": "open", "severity": "high",
             "notify": True}])
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
        alerts = connection.execute(select(_ALERTS.c.id, _ALERTS.c.rule_id, _ALERTS.c.subject, _ALERTS.c.status,
                                           _ALERTS.c.severity, _ALERTS.c.count).order_by(_ALERTS.c.id)).all()
        events = connection.execute(select(_EVENTS.c.alert_id).order_by(_EVENTS.c.id)).scalars().all()
    assert [tuple(a) for a in alerts] == [(1, "backup.quarterly", "machine:7", "open", "high", 3),
                                          (3, "backup.quarterly", "machine:8", "open", "high", 1)]
    assert events == [1, 1]
    engine.dispose()
