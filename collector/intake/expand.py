"""A report that names sections by their hash (schema 2, ``Report.unchanged``) made whole again from
the sections this collector stored before, so that judging, the machine's current state and every
reader see a complete report; the body as signed is stored as it came."""

from __future__ import annotations

import re

import msgspec
from sqlalchemy.orm import Session

from agent.wire.schema import Report, encode_report
from agent.wire.sections import SHARED_SECTIONS
from collector.errors import InvalidInput
from collector.store.report_sections import known_sections

_HEX = re.compile(r"^[0-9a-f]{64}$")
_TYPES = {field.name: field.type for field in msgspec.structs.fields(Report)}


def expand_unchanged(session: Session, report: Report, body: bytes) -> tuple[Report, bytes]:
    """(the whole report, its JSON for the machine's state); ``report`` and ``body`` as they are when
    nothing was left out. InvalidInput for a bad ``unchanged``, SectionsNeeded when this collector
    lacks a section (the agent then sends the report whole, with the same sequence)."""
    if not report.unchanged:
        return report, body
    for name, digest in report.unchanged.items():
        if name not in SHARED_SECTIONS or not _HEX.match(digest):
            raise InvalidInput(f"unchanged: {name!r} is not a shared section named by a SHA-256 "
                               f"(shared: {', '.join(SHARED_SECTIONS)})", code="invalid_report")
        if getattr(report, name) is not None:
            raise InvalidInput(f"unchanged: {name} is sent as well as named by its hash", code="invalid_report")
    sections = known_sections(session, report.unchanged)
    try:
        filled = {name: msgspec.json.decode(raw, type=_TYPES[name], strict=True) for name, raw in sections.items()}
    except msgspec.DecodeError as exc:  # a stored section no longer fits the schema
        raise InvalidInput(f"a stored section does not decode: {exc}", code="invalid_report") from exc
    whole = msgspec.structs.replace(report, unchanged={}, **filled)
    return whole, encode_report(whole)
