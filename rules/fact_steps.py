"""When does each clock fact of a machine next step? ``machine_facts(report, meta, now)`` counts
ages and days left in whole hours, days or years from instants it reads (last seen, a backup's
success, a certificate's end); this module gives, per such fact, the instant up to which its value
is sure to hold: from ``now`` until then it is the same (the value may change just after). Steps
after the first come one step apart (rules.clock_facts.CLOCK_FACTS). rules.clock_facts reads
them to tell when a verdict can first change, so the scan judges a machine again then, not before.

The formulas mirror rules.facts (``_hours``, ``_days``, the signing certificate, the antivirus
licence); a test keeps them equal by evaluating the facts at and around every step. A fact left
out is one whose steps cannot be told (or that does not move): the plan then assumes it may step
at once. Pure: typed report and context in, instants out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from agent.wire.schema import Certificates, Report
from rules.antivirus_licence import days_left, judge_av_licence
from rules.certificates import issuer_accepted, signing_state
from rules.facts import MachineContext

HOUR, DAY, YEAR_DAYS = timedelta(hours=1), timedelta(days=1), 365


def clock_steps(report: Report, meta: MachineContext, now: datetime,
                facts: Mapping[str, Any] | None = None) -> dict[str, datetime]:
    """Per clock fact of the machine, the instant its value holds until (see the module).
    ``facts``: the machine's facts at ``now`` (rules.facts.machine_facts), when at hand: a fact they
    leave unknown gets no step (the plan does not ask for it), and the licence's days left are
    taken from them rather than judged again."""
    found = {fact: step(report, meta, now, facts) for fact, step in _STEPS.items()
             if facts is None or facts.get(fact) is not None}
    return {fact: when for fact, when in found.items() if when is not None}


_Facts = Mapping[str, Any] | None
_STEPS: dict[str, Callable[[Report, MachineContext, datetime, _Facts], datetime | None]] = {
    "agent.silent_hours": lambda report, meta, now, facts: _step_after(now, meta.last_seen_at, HOUR),
    "agent.key_age_hours": lambda report, meta, now, facts: _step_after(now, meta.key_enrolled_at, HOUR),
    "av.signature_age_days": lambda report, meta, now, facts: _signature_step(report, now),
    "backup.age_days": lambda report, meta, now, facts: _backup_step(report, now),
    "os.update_age_days": lambda report, meta, now, facts: _day_step(
        now, report.hardening.last_os_update if report.hardening else None),
    "hw.age_years": lambda report, meta, now, facts: _year_step(
        now, report.hardware.bios_release_date if report.hardware else None),
    "cert.signing_days_left": lambda report, meta, now, facts: _certificate_step(
        report.certificates, meta.cert_issuers, now),
    # Known in the facts: the licence has days left, counted in calendar days (a step at midnight).
    "av.licence_days_left": lambda report, meta, now, facts: _next_midnight(now) if facts is not None
    else _licence_step(report, meta, now),
}
"""Per clock fact, when it next steps (None: it cannot be told)."""


def _step_after(now: datetime, then: datetime | None, step: timedelta) -> datetime | None:
    """The next step of ``max(0, whole steps since then)`` (rules.facts._hours and _days)."""
    if then is None:
        return None
    done = max(0, int((now - then).total_seconds() // step.total_seconds()))
    return _shifted(then, step * (done + 1))


def _day_step(now: datetime, then: datetime | date | None) -> datetime | None:
    """rules.facts._days: whole days since an instant, or calendar days since a date (which step at
    midnight)."""
    if then is None:
        return None
    return _step_after(now, then, DAY) if isinstance(then, datetime) else _next_midnight(now)


def _year_step(now: datetime, released: date | None) -> datetime | None:
    """``hw.age_years``: calendar days since the BIOS date, in whole years of 365 days."""
    if released is None:
        return None
    if isinstance(released, datetime):
        days = max(0, int((now - released).total_seconds() // 86400))
        return _shifted(released, DAY * (YEAR_DAYS * (days // YEAR_DAYS + 1)))
    years = (now.date() - released).days // YEAR_DAYS
    try:
        return datetime.combine(released + DAY * (YEAR_DAYS * (years + 1)), time.min, tzinfo=now.tzinfo)
    except OverflowError:
        return None


def _signature_step(report: Report, now: datetime) -> datetime | None:
    """The youngest signatures of an enabled product set ``av.signature_age_days``; only those with
    a date age (an age in days alone stays as reported). The soonest of their steps comes first."""
    if report.antivirus is None:
        return None
    steps = [_day_step(now, p.signatures_date) for p in report.antivirus.products
             if p.enabled and p.signatures_date is not None]
    return min((s for s in steps if s is not None), default=None)


def _backup_step(report: Report, now: datetime) -> datetime | None:
    if report.backup is None:
        return None
    successes = [s.last_success for s in report.backup.sources if s.last_success is not None]
    return _day_step(now, max(successes)) if successes else None


def _certificate_step(section: Certificates | None, issuers: Sequence[str], now: datetime) -> datetime | None:
    """``cert.signing_days_left`` (whole days the longest-valid signing certificate has left until
    its end) holds until ``end - days``; and a certificate of an accepted issuer that starts or
    ends changes which ones count (``cert.signing`` too)."""
    if section is None:
        return None
    state = signing_state(section, issuers, now)
    accepted = [c for c in section.certificates if issuer_accepted(c.issuer, issuers)]
    moments = [m for c in accepted for m in (c.not_before, c.not_after) if m is not None and m > now]
    if state.days_left is not None and state.until is not None:
        moments.append(state.until - DAY * state.days_left)
    return min(moments, default=None)


def _licence_step(report: Report, meta: MachineContext, now: datetime) -> datetime | None:
    """``av.licence_days_left`` counts calendar days to the licence's end: it steps at midnight."""
    verdict = judge_av_licence(report.antivirus, report.licence, meta.licences, now.date())
    return None if days_left(verdict, now.date()) is None else _next_midnight(now)


def _next_midnight(now: datetime) -> datetime:
    return datetime.combine(now.date() + DAY, time.min, tzinfo=now.tzinfo)


def _shifted(then: datetime, by: timedelta) -> datetime | None:
    try:
        return then + by
    except OverflowError:
        return None
