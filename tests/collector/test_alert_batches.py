"""Findings of many subjects applied together (collector.store.alerts.apply_many_findings, what the
scan uses) move every alert exactly as one subject at a time would, and an alert this session
already holds as an ORM object stays right on both sides of it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from collector.db import Database, open_database
from collector.judging.rules import load_rules
from collector.models.alerts import Alert, AlertEvent
from collector.store.alerts import Subject, apply_findings, apply_many_findings
from collector.store.units import add_unit
from rules.lifecycle import AlertStatus, Transition
from rules.model import Finding, Outcome, Severity

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
RULES = load_rules(None)
SUBJECTS = [Subject(f"machine:{n}", 1) for n in range(1, 4)]
TOGETHER = [Subject(f"machine:{n}", 1) for n in range(11, 14)]
"""The same three subjects again, judged together in the same database."""


def _firing(rule_id: str, subject: Subject, severity: Severity = Severity.MEDIUM,
            evidence: tuple[str, ...] = ()) -> Finding:
    return Finding(rule_id, subject.key, Outcome.FIRING, severity, "x=1", (("backup.age_days", 120),), evidence)


def _steps(subjects: list[Subject]) -> list[dict[str, list[Finding]]]:
    """Per step, each subject's findings: opened, repeated, escalated, unknown, resolved, re-opened."""
    a, b, c = subjects
    return [
        {a.key: [_firing("backup.quarterly", a)], b.key: [_firing("av.absent", b, Severity.HIGH)], c.key: []},
        {a.key: [_firing("backup.quarterly", a)], b.key: [_firing("av.absent", b, Severity.HIGH),
                                                         _firing("backup.quarterly", b)], c.key: []},
        {a.key: [_firing("backup.quarterly", a, Severity.HIGH)], b.key: [], c.key: [
            _firing("av.malware_detected", c, Severity.CRITICAL, ("threat a",))]},
        {a.key: [Finding("backup.quarterly", a.key, Outcome.UNKNOWN, Severity.MEDIUM, "missing")], b.key: [],
         c.key: [_firing("av.malware_detected", c, Severity.CRITICAL, ("threat a", "threat b"))]},
        {a.key: [], b.key: [_firing("av.absent", b, Severity.HIGH)], c.key: []},
    ]


def _world(db_url: str) -> Database:
    db = open_database(db_url)
    with db.session() as session:
        add_unit(session, "XA", "UBND xã A", "commune", T0)
    return db


def _stored(db: Database, subjects: list[Subject]) -> tuple[set[tuple[object, ...]], list[tuple[object, ...]]]:
    """The alerts and the history of ``subjects``, each subject named by its place in the list."""
    place = {s.key: n for n, s in enumerate(subjects)}
    with db.session() as session:
        alerts = {(place[a.subject], a.rule_id, a.status, a.severity, a.count, a.title, a.detail, a.evidence,
                   a.last_seen_at, a.resolved_at)
                  for a in session.scalars(select(Alert).where(Alert.subject.in_(list(place))))}
        events = [(place[subject], rule_id, e.transition, e.status, e.severity, e.notify) for e, subject, rule_id in
                  session.execute(select(AlertEvent, Alert.subject, Alert.rule_id)
                                  .join(Alert, Alert.id == AlertEvent.alert_id).where(Alert.subject.in_(list(place))))]
    return alerts, sorted(events, key=repr)


def test_many_subjects_at_once_move_as_each_subject_alone(db_url: str) -> None:
    db = _world(db_url)
    for step, (alone, together) in enumerate(zip(_steps(SUBJECTS), _steps(TOGETHER), strict=True)):
        now = T0 + timedelta(hours=step)
        with db.session() as session:
            one_by_one = [(n, rule, change) for n, s in enumerate(SUBJECTS)
                          for rule, change in apply_findings(session, s, alone[s.key], RULES.rules, now)]
        with db.session() as session:
            at_once = apply_many_findings(session, [(s, together[s.key]) for s in TOGETHER], RULES.rules, now)
        place = {s.key: n for n, s in enumerate(TOGETHER)}
        assert sorted((place[key], rule, change) for key, rule, change in at_once) == sorted(one_by_one), step
    assert _stored(db, SUBJECTS) == _stored(db, TOGETHER)
    alerts, events = _stored(db, TOGETHER)
    assert (0, "backup.quarterly", "resolved") in {a[:3] for a in alerts}
    assert (2, "av.malware_detected", "new_evidence", "open", "critical", True) not in events  # never acknowledged
    assert len(events) == 10  # a: 3, b: av.absent 3 and backup 2, c: 2 (repeats leave none)
    db.dispose()


def test_an_alert_held_by_the_session_reads_what_was_applied(db_url: str) -> None:
    db = _world(db_url)
    subject = SUBJECTS[0]
    with db.session() as session:
        apply_findings(session, subject, [_firing("av.absent", subject)], RULES.rules, T0)
        held = session.scalar(select(Alert))
        assert held is not None and held.count == 1
        assert apply_findings(session, subject, [_firing("av.absent", subject)], RULES.rules,
                              T0 + timedelta(hours=1)) == [("av.absent", Transition.REPEATED)]
        assert held.count == 2 and held.last_seen_at == T0 + timedelta(hours=1)
    db.dispose()


def test_a_change_the_session_has_not_flushed_yet_is_what_findings_move(db_url: str) -> None:
    db = _world(db_url)
    subject = SUBJECTS[0]
    with db.session() as session:
        apply_findings(session, subject, [_firing("av.absent", subject)], RULES.rules, T0)
    with db.session() as session:
        held = session.scalar(select(Alert))
        assert held is not None
        held.status, held.resolved_at = str(AlertStatus.RESOLVED), T0  # as a unit merge closes alerts
        assert apply_findings(session, subject, [_firing("av.absent", subject)], RULES.rules,
                              T0 + timedelta(hours=1)) == [("av.absent", Transition.REOPENED)]
    with db.session() as session:
        assert session.scalar(select(Alert.status)) == AlertStatus.OPEN
    db.dispose()
