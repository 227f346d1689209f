"""The alert state machine, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rules.lifecycle import NOTIFY_ON, AckError, AlertState, AlertStatus, Transition, acknowledge, transition
from rules.model import Outcome, Severity

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
OPEN = AlertState(AlertStatus.OPEN, Severity.MEDIUM, 1, T0, T0, T0)
ACKED = replace(OPEN, status=AlertStatus.ACKNOWLEDGED, acked_at=T0, acked_by="cb", ack_comment="đang xử lý")
RESOLVED = replace(OPEN, status=AlertStatus.RESOLVED, resolved_at=T0)
F, U, P = Outcome.FIRING, Outcome.UNKNOWN, None
MED, HIGH, LOW = Severity.MEDIUM, Severity.HIGH, Severity.LOW

CASES = [
    # previous, outcome, severity -> status, transition, count
    (None, F, MED, AlertStatus.OPEN, Transition.OPENED, 1),
    (None, P, MED, None, Transition.NONE, None),
    (None, U, MED, None, Transition.NONE, None),
    (OPEN, F, MED, AlertStatus.OPEN, Transition.REPEATED, 2),
    (OPEN, F, HIGH, AlertStatus.OPEN, Transition.ESCALATED, 2),
    (OPEN, F, LOW, AlertStatus.OPEN, Transition.DEESCALATED, 2),
    (OPEN, P, MED, AlertStatus.RESOLVED, Transition.RESOLVED, 1),
    (OPEN, U, MED, AlertStatus.OPEN, Transition.NONE, 1),
    (ACKED, F, MED, AlertStatus.ACKNOWLEDGED, Transition.REPEATED, 2),
    (ACKED, F, HIGH, AlertStatus.OPEN, Transition.ESCALATED, 2),
    (ACKED, P, MED, AlertStatus.RESOLVED, Transition.RESOLVED, 1),
    (RESOLVED, F, MED, AlertStatus.OPEN, Transition.REOPENED, 2),
    (RESOLVED, P, MED, AlertStatus.RESOLVED, Transition.NONE, 1),
    (RESOLVED, U, MED, AlertStatus.RESOLVED, Transition.NONE, 1),
]


@pytest.mark.parametrize(("previous", "outcome", "severity", "status", "change", "count"), CASES)
def test_transitions(previous: AlertState | None, outcome: Outcome | None, severity: Severity,
                     status: AlertStatus | None, change: Transition, count: int | None) -> None:
    state, happened = transition(previous, outcome, severity, T1)
    assert happened is change
    assert (state.status if state else None) is status
    assert (state.count if state else None) == count


def test_a_reopened_alert_forgets_its_acknowledgement_and_keeps_its_first_sighting() -> None:
    state, _ = transition(replace(ACKED, status=AlertStatus.RESOLVED), F, MED, T1)
    assert state is not None and state.acked_by is None and state.first_seen == T0 and state.opened_at == T1


def test_acknowledging_records_who_when_and_why() -> None:
    state, happened = acknowledge(OPEN, "can-bo-cntt", "đã gọi nhà cung cấp", T1)
    assert happened is Transition.ACKNOWLEDGED and state.status is AlertStatus.ACKNOWLEDGED
    assert (state.acked_by, state.acked_at, state.ack_comment) == ("can-bo-cntt", T1, "đã gọi nhà cung cấp")


def test_a_resolved_alert_cannot_be_acknowledged() -> None:
    with pytest.raises(AckError):
        acknowledge(RESOLVED, "cb", "x", T1)


def test_an_acknowledgement_covers_the_evidence_seen_and_new_items_reopen() -> None:
    state, _ = transition(None, Outcome.FIRING, Severity.CRITICAL, T0, ("threat A at C:/a.exe",))
    assert state is not None
    acked, _ = acknowledge(state, "cntt", "đang xử lý", T0)
    assert acked.acked_evidence == ("threat A at C:/a.exe",)
    same, change = transition(acked, Outcome.FIRING, Severity.CRITICAL, T0, ("threat A at C:/a.exe",))
    assert change is Transition.REPEATED and same is not None and same.status is AlertStatus.ACKNOWLEDGED
    fewer, change = transition(acked, Outcome.FIRING, Severity.CRITICAL, T0, ())
    assert change is Transition.REPEATED  # evidence that went away is not new evidence
    more, change = transition(acked, Outcome.FIRING, Severity.CRITICAL, T0,
                              ("threat A at C:/a.exe", "threat B at C:/b.exe"))
    assert change is Transition.NEW_EVIDENCE and more is not None
    assert more.status is AlertStatus.OPEN and more.acked_by is None and Transition.NEW_EVIDENCE in NOTIFY_ON


def test_new_evidence_on_an_open_alert_is_a_repeat() -> None:
    state, _ = transition(None, Outcome.FIRING, Severity.HIGH, T0, ("Windows Defender",))
    assert state is not None
    _, change = transition(state, Outcome.FIRING, Severity.HIGH, T0, ("Windows Defender", "BKAV Pro"))
    assert change is Transition.REPEATED
