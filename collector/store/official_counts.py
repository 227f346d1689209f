"""What the officials register gives readiness: per unit, its officials, those with a working
machine of their own and those whose machine holds what an official indicator counts; and, for
explain, each official left out with the reason in words.

An official's machine is the one an officer assigned, else the machines whose users include the
official's account (not a machine assigned to someone else). It is working when it reported (or
the LAN saw it) within the indicators' in-use window, is not the offline PC and is not shared (the
one-stop desk, the scanner PC: nobody's own computer).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.wire.schema import Role
from collector.models.machines import Machine, MachineUsage
from collector.models.officials import MachineUser, Official
from collector.models.readiness import MachineReadiness
from collector.models.units import Unit
from rules.indicators import Indicator, IndicatorKind, IndicatorSet
from rules.model import Text
from rules.readiness import official_keys, official_kinds
from rules.readiness_reasons import machine_reason


@dataclass(frozen=True)
class Candidate:
    machine_id: int
    hostname: str
    usage: str
    role: str | None
    """None: the machine has no readiness row yet (no report)."""
    seen_at: datetime | None
    values: dict[str, bool | None]
    detail: dict[str, Any]


@dataclass(frozen=True)
class OfficialMachines:
    id: int
    unit_id: int
    unit_code: str
    name: str
    account: str
    assigned: bool
    candidates: tuple[Candidate, ...]


def _columns(indicators: IndicatorSet) -> list[str]:
    return sorted({i.counts for i in official_kinds(indicators)})


def official_machines(session: Session, indicators: IndicatorSet, subtree: str | None) -> list[OfficialMachines]:
    """Every active official of the subtree (everything when None) with the machines that may be theirs."""
    columns = _columns(indicators)
    readiness = [MachineReadiness.role, MachineReadiness.seen_at, MachineReadiness.detail_json,
                 *(getattr(MachineReadiness, c) for c in columns)]
    officials = select(Official.id, Official.unit_id, Unit.code, Official.name, Official.account, Official.machine_id) \
        .join(Unit, Official.unit_id == Unit.id).where(Official.retired_at.is_(None))
    if subtree is not None and subtree != "/":
        officials = officials.where(Unit.path.startswith(subtree, autoescape=True))
    people = list(session.execute(officials.order_by(Unit.path, Official.name, Official.id)))
    if not people:
        return []
    assigned_ids = set(session.scalars(select(Official.machine_id).where(Official.retired_at.is_(None),
                                                                         Official.machine_id.is_not(None))))
    machine_cols = (Machine.id, Machine.hostname, Machine.usage, *readiness)
    by_machine = {row[0]: _candidate(row, columns) for row in session.execute(
        select(*machine_cols).outerjoin(MachineReadiness, MachineReadiness.machine_id == Machine.id)
        .where(Machine.id.in_({p.machine_id for p in people if p.machine_id is not None} or {-1})))}
    accounts = {p.account for p in people if p.machine_id is None and p.account}
    by_account: dict[str, list[Candidate]] = defaultdict(list)
    if accounts:
        for row in session.execute(select(MachineUser.account, *machine_cols)
                                   .join(Machine, Machine.id == MachineUser.machine_id)
                                   .outerjoin(MachineReadiness, MachineReadiness.machine_id == Machine.id)
                                   .where(MachineUser.account.in_(accounts)).order_by(Machine.hostname)):
            if row[1] not in assigned_ids:
                by_account[row[0]].append(_candidate(row[1:], columns))
    return [OfficialMachines(p.id, p.unit_id, p.code, p.name, p.account, p.machine_id is not None,
                             (by_machine[p.machine_id],) if p.machine_id in by_machine
                             else () if p.machine_id is not None else tuple(by_account.get(p.account, ())))
            for p in people]


def _candidate(row: Sequence[Any], columns: list[str]) -> Candidate:
    machine_id, hostname, usage, role, seen_at, detail_json, *flags = row
    return Candidate(machine_id, hostname, usage, role, seen_at, dict(zip(columns, flags, strict=True)),
                     json.loads(detail_json) if detail_json else {})


def in_use_since(indicators: IndicatorSet, now: datetime) -> datetime:
    return now - timedelta(days=indicators.in_use_days)


def working(candidate: Candidate, since: datetime) -> bool:
    return (candidate.role is not None and candidate.role != Role.OFFLINE and candidate.usage == MachineUsage.PERSONAL
            and candidate.seen_at is not None and candidate.seen_at >= since)


def official_counts(session: Session, indicators: IndicatorSet, now: datetime,
                    subtree: str | None = None) -> dict[int, tuple[int, ...]]:
    """Per unit with officials: its counts in rules.readiness.official_keys order."""
    since = in_use_since(indicators, now)
    kinds = official_kinds(indicators)
    counts: dict[int, list[int]] = {}
    for person in official_machines(session, indicators, subtree):
        mine = counts.setdefault(person.unit_id, [0] * len(official_keys(indicators)))
        machines = [c for c in person.candidates if working(c, since)]
        mine[0] += 1
        mine[1] += bool(machines)
        for position, indicator in enumerate(kinds, start=2):
            mine[position] += any(c.values.get(indicator.counts) for c in machines)
    return {unit_id: tuple(values) for unit_id, values in counts.items()}


@dataclass(frozen=True)
class OfficialGap:
    """An official not in a people-counting figure's numerator, and why."""

    official_id: int
    name: str
    unit_code: str
    machine_id: int | None
    reason: Text


def official_gaps(session: Session, indicator: Indicator, path: str, indicators: IndicatorSet,
                  now: datetime) -> list[OfficialGap]:
    """The officials of the subtree at ``path`` that ``indicator`` (staff or official kind) does not count."""
    since = in_use_since(indicators, now)
    gaps = []
    for person in official_machines(session, indicators, path):
        machines = [c for c in person.candidates if working(c, since)]
        if not machines:
            gaps.append(OfficialGap(person.id, person.name, person.unit_code,
                                    person.candidates[0].machine_id if person.candidates else None,
                                    no_machine_reason(person, since)))
            continue
        if indicator.kind is IndicatorKind.OFFICIAL and not any(c.values.get(indicator.counts) for c in machines):
            first = machines[0]
            why = machine_reason(indicator, first.values.get(indicator.counts), first.detail)
            gaps.append(OfficialGap(person.id, person.name, person.unit_code, first.machine_id,
                                    Text(f"{first.hostname}: {why.vi}", f"{first.hostname}: {why.en}")))
    return gaps


def no_machine_reason(person: OfficialMachines, since: datetime) -> Text:
    """Why an official has no working machine of their own, in words."""
    if not person.candidates:
        if person.assigned:
            return Text("máy được giao không còn", "the assigned machine is gone")
        if person.account:
            return Text(f"chưa được giao máy; không máy nào có tài khoản {person.account}",
                        f"no machine assigned; no machine has the account {person.account}")
        return Text("chưa được giao máy", "no machine assigned")
    machine = person.candidates[0]
    if machine.usage == MachineUsage.SHARED:
        return Text(f"{machine.hostname} là máy dùng chung, không phải máy riêng",
                    f"{machine.hostname} is a shared machine, nobody's own")
    if machine.role == Role.OFFLINE:
        return Text(f"{machine.hostname} là máy soạn thảo văn bản mật, không tính là máy làm việc",
                    f"{machine.hostname} is the offline PC, not a working computer")
    if machine.seen_at is None:
        return Text(f"{machine.hostname} chưa có báo cáo nào", f"{machine.hostname} has not reported yet")
    return Text(f"{machine.hostname} không báo cáo từ {machine.seen_at:%d/%m/%Y}",
                f"{machine.hostname} has not reported since {machine.seen_at:%Y-%m-%d}")
