"""Sections that rarely change, stored once per content and sent as their hash when unchanged.

A report's *shared* sections (:data:`SHARED_SECTIONS`: the program list, certificates, security
settings, licence, users) are the same from one report to the next for days. The collector keeps
each distinct content once, named by its SHA-256, and the rest of the report (the *skeleton*) per
report; the agent may send a section it sent before as its hash only, in ``Report.unchanged``
(schema 2). The section the collector does not have it asks for (``sections_needed``).

Everything here works on the report's bytes as signed, never re-encoding them: a section is the
exact bytes of its value in the body, its hash the SHA-256 of those bytes (what the agent's
``msgspec.json.encode(section)`` gives, since a report is encoded field by field). The skeleton
holds, where a section was, a NUL byte, its hash, a NUL byte: a NUL never occurs in JSON text, so
joining puts back exactly the body that was signed.

Hardware is not shared: its disks' free space changes with every report (measured in
bench/retention.py), so its content is new each time and stays in the skeleton.
"""

from __future__ import annotations

import hashlib
import re

import msgspec

SHARED_SECTIONS = ("software", "certificates", "hardening", "licence", "users")
_MARK = re.compile(rb"\x00([0-9a-f]{64})\x00")


def section_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _null() -> msgspec.Raw:
    return msgspec.Raw(b"null")


class _Sections(msgspec.Struct):
    software: msgspec.Raw = msgspec.field(default_factory=_null)
    certificates: msgspec.Raw = msgspec.field(default_factory=_null)
    hardening: msgspec.Raw = msgspec.field(default_factory=_null)
    licence: msgspec.Raw = msgspec.field(default_factory=_null)
    users: msgspec.Raw = msgspec.field(default_factory=_null)


_DECODER = msgspec.json.Decoder(_Sections)


def shared_sections(body: bytes) -> dict[str, bytes]:
    """The raw bytes of each shared section present (not null) in the report ``body``."""
    found = _DECODER.decode(body)
    raws = {name: bytes(getattr(found, name)) for name in SHARED_SECTIONS}
    return {name: raw for name, raw in raws.items() if raw != b"null"}


def split(body: bytes) -> tuple[bytes, dict[str, bytes]]:
    """(skeleton, {hash: section bytes}): the body with each shared section replaced by its mark.
    A section whose bytes are not found exactly once after its key (a body not written compactly,
    or the same key and value nested elsewhere) stays in the skeleton; ``join(skeleton, sections)
    == body`` always holds. The body is cut once, not rewritten per section (on ingest's path)."""
    spans: list[tuple[int, int, str]] = []
    sections: dict[str, bytes] = {}
    for name, raw in shared_sections(body).items():
        key = b'"' + name.encode() + b'":'
        needle = key + raw
        at = body.find(needle)
        if at < 0 or body.find(needle, at + 1) >= 0:
            continue
        digest = section_digest(raw)
        spans.append((at + len(key), at + len(key) + len(raw), digest))
        sections[digest] = raw
    pieces, start = [], 0
    for begin, end, digest in sorted(spans):
        pieces += [body[start:begin], b"\x00", digest.encode(), b"\x00"]
        start = end
    return b"".join([*pieces, body[start:]]), sections


def marks(skeleton: bytes) -> list[str]:
    """The hashes of the sections a skeleton lacks, in order."""
    return [m.group(1).decode() for m in _MARK.finditer(skeleton)]


def join(skeleton: bytes, sections: dict[str, bytes]) -> bytes:
    """The body a skeleton was split from; KeyError naming a hash that ``sections`` lacks."""
    return _MARK.sub(lambda m: sections[m.group(1).decode()], skeleton)


def compact(body: bytes, known: dict[str, str]) -> tuple[bytes, dict[str, str]] | None:
    """Agent side: the report ``body`` (schema 2) again with each shared section whose hash is
    ``known[name]`` (the collector acknowledged a report with it) left out (null) and named in
    ``unchanged``, and those names; None when no section can be left out. Deterministic: the same
    body and ``known`` give the same bytes (a retry sends what the first attempt sent)."""
    from agent.wire.schema import SCHEMA_VERSION, Report, decode_report, encode_report

    unchanged = {name: digest for name, raw in shared_sections(body).items()
                 if known.get(name) == (digest := section_digest(raw))}
    report = decode_report(body)
    if not unchanged or report.schema_version != SCHEMA_VERSION or report.unchanged:
        return None
    left_out: Report = msgspec.structs.replace(report, unchanged=unchanged, **dict.fromkeys(unchanged))
    return encode_report(left_out), unchanged
