"""Shared sections of stored reports, once per content (agent.wire.sections says what and why).

Ingest splits each body into its skeleton and its shared sections (:func:`split_for_storage`),
stores each section not yet known and the combination a report lacks (a *set*), and the report
row names that set. A section the agent sent as its hash only is found here by that hash
(:func:`known_sections`); the report then names it in its set too, so a section lives as long as the
newest report that lacks it. Thinning deletes reports, then the sets and sections no report names
any more (:func:`forget_unused`).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, bindparam, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from agent.wire.sections import join, marks, split
from collector.errors import Conflict, NotFound
from collector.models.reports import ReportSection, ReportSectionSet, ReportSectionSetMember, StoredReport
from collector.store.shared_rows import shared_rows


class SectionsNeeded(Conflict):
    """The agent sent sections as their hash that this collector does not have: send them whole."""

    code = "sections_needed"

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(names)
        super().__init__(f"send these sections whole, this collector does not have them: {', '.join(self.names)}")


def known_sections(session: Session, unchanged: Mapping[str, str]) -> dict[str, bytes]:
    """Section name -> its bytes, for each section named by hash in ``unchanged``; SectionsNeeded
    naming those this collector does not have."""
    rows = dict(session.connection().execute(_SECTION_BODIES, {"digests": sorted(set(unchanged.values()))}).all())
    missing = [name for name, digest in unchanged.items() if digest not in rows]
    if missing:
        raise SectionsNeeded(missing)
    return {name: zlib.decompress(rows[digest]) for name, digest in unchanged.items()}


def split_for_storage(body: bytes) -> tuple[bytes, dict[str, bytes]]:
    """(skeleton, {hash: bytes}) of a received body; the whole body and {} when splitting would not
    give it back exactly (checked here, so a stored report always joins to the signed body)."""
    skeleton, sections = split(body)
    if sections and join(skeleton, sections) != body:
        return body, {}
    return skeleton, sections


def section_set_digest(sections: Mapping[str, bytes], also: Iterable[str] = ()) -> str | None:
    """What report_section_sets.digest holds for the set of ``sections`` (by hash) plus the hashes
    ``also``; None when both are empty (a report with no shared section names no set)."""
    digests = sorted(set(sections) | set(also))
    return hashlib.sha256(",".join(digests).encode()).hexdigest() if digests else None


SET_ID_BY_DIGEST = (select(ReportSectionSet.__table__.c.id)
                    .where(ReportSectionSet.__table__.c.digest == bindparam("set_digest")).scalar_subquery())
"""The id of the stored set whose digest is the parameter ``set_digest`` (NULL when none is): the
report's INSERT reads it in the same statement (collector.store.reports), one round trip less a
report; a set not yet stored is added after (:func:`store_section_set`)."""


def store_section_set(session: Session, sections: Mapping[str, bytes], also: Iterable[str] = ()) -> int | None:
    """The id of the set of ``sections`` (hash -> bytes, stored when new) plus the already stored
    sections of hashes ``also``; None when both are empty. Safe against a concurrent store; a new
    set and its new sections are added as shared rows (collector.store.shared_rows)."""
    set_digest = section_set_digest(sections, also)
    if set_digest is None:
        return None
    digests = sorted(set(sections) | set(also))
    found = session.connection().execute(_SET_BY_DIGEST, {"digest": set_digest}).scalar()
    if found is not None:  # its members are stored (they are what names them): nothing to look up
        return int(found)
    dialect = session.get_bind().dialect.name
    with shared_rows(session) as rows:
        return _add_set(rows, dialect, set_digest, _section_ids(rows, dialect, sections, digests))


def _add_set(rows: Session | Connection, dialect: str, set_digest: str, ids: Mapping[str, int]) -> int:
    inserted = rows.execute(_insert(dialect, ReportSectionSet).values(digest=set_digest)
                            .on_conflict_do_nothing(index_elements=["digest"])
                            .returning(ReportSectionSet.id)).scalar()
    if inserted is None:  # another transaction made the same set in between
        return int(rows.execute(_SET_BY_DIGEST, {"digest": set_digest}).scalar_one())
    rows.execute(_insert(dialect, ReportSectionSetMember),
                 [{"set_id": inserted, "section_id": section_id} for section_id in ids.values()])
    return int(inserted)


_SECTIONS, _SETS = ReportSection.__table__, ReportSectionSet.__table__
_SECTION_IDS = (select(_SECTIONS.c.sha256, _SECTIONS.c.id)
                .where(_SECTIONS.c.sha256.in_(bindparam("digests", expanding=True))))
_SET_BY_DIGEST = select(_SETS.c.id).where(_SETS.c.digest == bindparam("digest"))
"""Built once in Core: read for every new set."""
_SECTION_BODIES = (select(_SECTIONS.c.sha256, _SECTIONS.c.body_zlib)
                   .where(_SECTIONS.c.sha256.in_(bindparam("digests", expanding=True))))
"""Built once in Core: read for every report that names sections by their hash (what agents send
once the collector has them); an ORM select built per call cost about 0.3 ms of Python a report."""


def _section_ids(rows: Session | Connection, dialect: str, sections: Mapping[str, bytes],
                 digests: list[str]) -> dict[str, int]:
    ids: dict[str, int] = dict(rows.execute(_SECTION_IDS, {"digests": digests}).all())  # type: ignore[arg-type]
    new = [{"sha256": d, "body_zlib": zlib.compress(sections[d], 6), "raw_bytes": len(sections[d])}
           for d in digests if d not in ids and d in sections]
    if new:
        rows.execute(_insert(dialect, ReportSection).on_conflict_do_nothing(index_elements=["sha256"]), new)
        ids.update(rows.execute(_SECTION_IDS, {"digests": [n["sha256"] for n in new]}).all())  # type: ignore[arg-type]
    missing = [d for d in digests if d not in ids]
    if missing:
        raise NotFound(f"sections {', '.join(missing)} are not stored", code="section_not_found")
    return ids


def _insert(dialect: str, model: type) -> postgresql.Insert | sqlite.Insert:
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return builder(model)


def stored_body(session: Session, report_id: int) -> bytes:
    """A stored report's body exactly as it was signed (its shared sections joined back)."""
    skeleton = session.scalar(select(StoredReport.body_zlib).where(StoredReport.id == report_id))
    if skeleton is None:
        raise NotFound(f"no stored report {report_id}", code="report_not_found")
    skeleton = zlib.decompress(skeleton)
    wanted = marks(skeleton)
    if not wanted:
        return skeleton
    rows = session.execute(select(ReportSection.sha256, ReportSection.body_zlib)
                           .where(ReportSection.sha256.in_(wanted)))
    return join(skeleton, {digest: zlib.decompress(raw) for digest, raw in rows})


def forget_unused(session: Session, set_ids: Iterable[int]) -> tuple[int, int]:
    """Delete the sets of ``set_ids`` that no report names any more, then their sections that no
    set names any more; (sets, sections) deleted."""
    candidates = sorted(set(set_ids))
    if not candidates:
        return 0, 0
    unused = list(session.scalars(select(ReportSectionSet.id).where(
        ReportSectionSet.id.in_(candidates),
        ~exists().where(StoredReport.section_set_id == ReportSectionSet.id))))
    if not unused:
        return 0, 0
    sections = set(session.scalars(select(ReportSectionSetMember.section_id)
                                   .where(ReportSectionSetMember.set_id.in_(unused))))
    session.execute(delete(ReportSectionSetMember).where(ReportSectionSetMember.set_id.in_(unused)))
    session.execute(delete(ReportSectionSet).where(ReportSectionSet.id.in_(unused)))
    orphans = list(session.scalars(select(ReportSection.id).where(
        ReportSection.id.in_(sorted(sections)),
        ~exists().where(ReportSectionSetMember.section_id == ReportSection.id))))
    if orphans:
        session.execute(delete(ReportSection).where(ReportSection.id.in_(orphans)))
    return len(unused), len(orphans)
