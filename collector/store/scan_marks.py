"""Scan marks: what each machine was last judged on by the scan (collector.judging.machine_sweep),
and the queries that find, from them, the machines to judge again without reading every machine.

A mark keeps, in columns, what the machine's row said when it was judged (unit, state sequence,
last-seen time) and its key history (agents, newest enrollment): one query compares them with the
machines and agents tables as they are now, with the first time the clock could change a verdict
(``due_at``). The digests of the rest (collector.judging.machine_inputs) are compared by the caller:
the unit's, read once per unit and digest (:func:`marked_unit_inputs`), and the machine's own
observations, only for the machines that have any (:func:`marked_own`, :func:`marked_states`).
A unit's mark (:func:`unit_marks`) holds only the digest of what the unit rules judged it on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, false, func, or_, select, true
from sqlalchemy.orm import Session

from collector.models.enrollment import Agent
from collector.models.machines import Machine
from collector.models.scan import ScanMark
from collector.store.machines import StoredState

IDS_READ = 1000
"""Ids one query lists (an IN list well below every backend's parameter limit)."""


@dataclass(frozen=True)
class Mark:
    """What a machine's verdicts were judged on (collector.models.scan.ScanMark's columns)."""

    inputs: str
    due_at: datetime | None
    offline: bool = False
    line: bool | None = None
    own: str = ""
    unit_id: int | None = None
    state_sequence: int | None = None
    last_seen_at: datetime | None = None
    agents: int = 0
    key_enrolled_at: datetime | None = None


@dataclass(frozen=True)
class MarkedCount:
    """What the unit rules count of a unit's own marked machines."""

    machines: int
    offline: int
    line: bool | None
    """Whether a dedicated-line target answered any of them (None: none was probed)."""


_machines, _marks = Machine.__table__, ScanMark.__table__
_COLUMNS = (_machines.c.id, _machines.c.unit_id, _machines.c.last_seen_at, _machines.c.state_sequence)


def _stored(row: Sequence[object]) -> StoredState:
    machine_id, unit_id, last_seen_at, sequence = row[:4]
    return StoredState(id=machine_id, unit_id=unit_id, last_seen_at=last_seen_at,  # type: ignore[arg-type]
                       state_json="", state_sequence=sequence)  # type: ignore[arg-type]


def changed_machines(session: Session, now: datetime) -> list[StoredState]:
    """Machines with a current report (``state_json`` left out: "") that have no mark, a mark to
    judge again (``inputs`` ""), a clock change due by ``now``, or whose unit, state, last-seen time
    or agents differ from their mark's. In id order; nothing else is read of the machines."""
    agents = Agent.__table__
    keys = (select(agents.c.machine_id, func.count().label("agents"), func.max(agents.c.created_at).label("newest"))
            .group_by(agents.c.machine_id).subquery())
    changed = or_(_marks.c.machine_id.is_(None), _marks.c.inputs == "", _marks.c.due_at <= now,
                  _marks.c.unit_id.is_distinct_from(_machines.c.unit_id),
                  _marks.c.state_sequence.is_distinct_from(_machines.c.state_sequence),
                  _marks.c.last_seen_at.is_distinct_from(_machines.c.last_seen_at),
                  _marks.c.agents.is_distinct_from(func.coalesce(keys.c.agents, 0)),
                  _marks.c.key_enrolled_at.is_distinct_from(keys.c.newest))
    query = (select(*_COLUMNS)
             .select_from(_machines.outerjoin(_marks, _marks.c.machine_id == _machines.c.id)
                          .outerjoin(keys, keys.c.machine_id == _machines.c.id))
             .where(_machines.c.state_json.is_not(None), changed).order_by(_machines.c.id))
    return [_stored(row) for row in session.execute(query)]


def marked_unit_inputs(session: Session) -> set[tuple[int, str]]:
    """Each (unit id, digest of its shared inputs) some machine's mark holds (from one index)."""
    query = select(_marks.c.unit_id, _marks.c.inputs).where(_marks.c.machine_id.is_not(None)).distinct()
    return {(unit_id, inputs) for unit_id, inputs in session.execute(query) if unit_id is not None}


def machines_marked_in(session: Session, unit_ids: Iterable[int]) -> list[StoredState]:
    """Machines with a current report whose marks were judged in one of these units."""
    ids, found = sorted(unit_ids), []
    for start in range(0, len(ids), IDS_READ):
        query = (select(*_COLUMNS).join(_marks, _marks.c.machine_id == _machines.c.id)
                 .where(_marks.c.unit_id.in_(ids[start:start + IDS_READ]), _machines.c.state_json.is_not(None)))
        found += [_stored(row) for row in session.execute(query)]
    return found


def marked_own(session: Session) -> set[int]:
    """Machines whose marks hold a digest of their own observations (their "" is none)."""
    return set(session.scalars(select(_marks.c.machine_id).where(_marks.c.own != "", _marks.c.machine_id.is_not(None))))


def marked_states(session: Session, machine_ids: Iterable[int]) -> list[tuple[StoredState, str | None]]:
    """These machines, those with a current report and a mark, with their mark's ``own`` digest."""
    ids, found = sorted(machine_ids), []
    for start in range(0, len(ids), IDS_READ):
        query = (select(*_COLUMNS, _marks.c.own).join(_marks, _marks.c.machine_id == _machines.c.id)
                 .where(_machines.c.id.in_(ids[start:start + IDS_READ]), _machines.c.state_json.is_not(None)))
        found += [(_stored(row), row[4]) for row in session.execute(query)]
    return found


def marked_counts(session: Session) -> dict[int, MarkedCount]:
    """Per unit id, what the marks of its machines count (one aggregate over the marks alone: a
    machine is marked only once it has a current report, and never loses it; joining the machines
    to check read a row of the big table per mark, 5 times the cost at 100,000 machines)."""
    line = func.max(case((_marks.c.line == true(), 2), (_marks.c.line == false(), 1), else_=0))
    query = (select(_marks.c.unit_id, func.count(), func.count(case((_marks.c.offline == true(), 1))), line)
             .where(_marks.c.machine_id.is_not(None)).group_by(_marks.c.unit_id))
    return {unit_id: MarkedCount(machines, offline, {2: True, 1: False}.get(seen))
            for unit_id, machines, offline, seen in session.execute(query) if unit_id is not None}


def save_marks(session: Session, marks: Iterable[tuple[int, Mark]], now: datetime) -> int:
    """Replace the marks of these machines (the ones just judged); returns how many."""
    rows = [{"subject": f"machine:{machine_id}", "machine_id": machine_id, "judged_at": now, **vars(mark)}
            for machine_id, mark in marks]
    return _replace(session, rows)


def _replace(session: Session, rows: Sequence[dict[str, object]]) -> int:
    """Each row's mark in place of its subject's; returns how many."""
    for start in range(0, len(rows), IDS_READ):
        chunk = rows[start:start + IDS_READ]
        session.execute(delete(ScanMark).where(ScanMark.subject.in_([r["subject"] for r in chunk])))
        session.execute(_marks.insert(), chunk)
    return len(rows)


def unit_marks(session: Session) -> dict[str, str]:
    """Per unit subject ("unit:<code>"), the digest its verdicts were last judged on
    (collector.judging.unit_inputs). A unit's mark has no machine and no unit id: what counts the
    machines' marks never sees it."""
    query = select(_marks.c.subject, _marks.c.inputs).where(_marks.c.machine_id.is_(None),
                                                            _marks.c.subject.startswith("unit:"))
    return {subject: inputs for subject, inputs in session.execute(query)}


def save_unit_marks(session: Session, digests: Mapping[str, str], now: datetime) -> int:
    """Replace the marks of these unit subjects (the units just judged); returns how many."""
    rows = [{"subject": subject, "inputs": inputs, "judged_at": now, "due_at": None, "offline": False,
             "line": None, "own": "", "machine_id": None, "unit_id": None}
            for subject, inputs in digests.items()]
    return _replace(session, rows)


def drop_marks(session: Session, machine_ids: Iterable[int]) -> None:
    """Forget these machines' marks (their reports did not decode: not counted, judged again)."""
    ids = sorted(machine_ids)
    for start in range(0, len(ids), IDS_READ):
        session.execute(delete(ScanMark).where(ScanMark.machine_id.in_(ids[start:start + IDS_READ])))


def forget_marks(session: Session) -> None:
    """The next scan judges every subject (rules or their inputs changed in a way not digested)."""
    session.execute(delete(ScanMark))
