"""Importing files carried from offline PCs: enrollment requests and signed reports.

A report file goes through the same door as an HTTP report (collector.intake.ingest: signature, strict
decode, exactly-once store), except for the timestamp window: a USB stick may take weeks, so the
signing time proves nothing about freshness. Replays are stopped by the store instead: a report
whose (agent, sequence) is already stored is refused as a replay (nothing changes), an older
sequence than the newest seen is stored as history, and the same sequence with other content is
a conflict. An enrollment file (agent/wire/media.py) is accepted once: its agent id is its identity.

Order within one import: reports of known agents, then enrollments, then the reports that were
waiting for those enrollments, so one USB stick may carry both, and reports exported before a
re-enrollment still land before the new enrollment revokes their key.
"""

from __future__ import annotations

import enum
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import msgspec
from sqlalchemy.orm import Session

from agent.wire.media import (
    ENROLLMENT_KIND,
    REPORT_KIND,
    MediaError,
    open_enrollment_file,
    open_report_file,
    read_kind,
    token_lookup,
    token_secret,
    verify_enrollment,
)
from agent.wire.schema import EnrollRequest
from agent.wire.signing import AGENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from collector.config import DEFAULT_MAX_BODY_BYTES
from collector.db import Database
from collector.errors import CanhgacError
from collector.intake.ingest import IngestLimits, ingest_report
from collector.judging.enrollment import judge_enrollment_safely
from collector.judging.rules import LoadedRules
from collector.store.enrollment import (
    MachineInOtherUnit,
    agent_enrolled_at,
    find_token,
    record_refused_enrollment,
    register_agent,
)
from collector.store.reports import StoreOutcome

FILE_WINDOW_S = 100 * 366 * 86400
"""A file's signing time is not checked against the clock (see the module docstring)."""
ENVELOPE_SLACK = 64 * 1024
HEX = frozenset("0123456789abcdef")


class Verdict(enum.StrEnum):
    IMPORTED = "imported"
    REPLAYED = "replayed"
    TAMPERED = "tampered"
    FOREIGN = "foreign"
    DAMAGED = "damaged"
    REFUSED = "refused"


@dataclass(frozen=True)
class ImportResult:
    """What happened to one file; ``imported`` False means refused (nothing changed)."""

    path: Path
    verdict: Verdict
    english: str
    vietnamese: str
    code: str = ""
    agent_id: str = ""
    """The agent the file names, when it could be read (the audit log files it under its machine's unit)."""

    @property
    def imported(self) -> bool:
        return self.verdict is Verdict.IMPORTED


@dataclass
class _Pending:
    index: int
    path: Path
    data: bytes
    kind: str = ""


class _Identity(msgspec.Struct):
    sequence: int = 0
    hostname: str = ""


class _Peek(msgspec.Struct):
    identity: _Identity = msgspec.field(default_factory=_Identity)


def import_files(db: Database, paths: Sequence[Path], now: datetime, rules: LoadedRules,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> list[ImportResult]:
    """Import every file; one result per path, in the order given; each report judged by
    ``rules`` as it is stored. Never raises for a file."""
    results: dict[int, ImportResult] = {}
    pending: list[_Pending] = []
    for index, path in enumerate(paths):
        item = _Pending(index, path, b"")
        failure = _read(item, max_body_bytes)
        if failure is None:
            pending.append(item)
        else:
            results[index] = failure
    reports = sorted((p for p in pending if p.kind == REPORT_KIND), key=_report_order)
    limits = IngestLimits(max_body_bytes=max_body_bytes, signature_window_s=FILE_WINDOW_S)
    waiting = []
    for item in reports:
        result = import_report(db, item.path, item.data, now, limits, rules)
        if result.code == "unknown_agent":
            waiting.append(item)
        else:
            results[item.index] = result
    for item in (p for p in pending if p.kind == ENROLLMENT_KIND):
        results[item.index] = import_enrollment(db, item.path, item.data, now, rules)
    for item in waiting:
        results[item.index] = import_report(db, item.path, item.data, now, limits, rules)
    return [results[index] for index in range(len(paths))]


def _read(item: _Pending, max_body_bytes: int) -> ImportResult | None:
    """Fill ``item`` with the file's bytes and kind; a refusal when it cannot be read or is not
    a canhgac file."""
    limit = max_body_bytes + ENVELOPE_SLACK
    try:
        item.data = read_regular_file(item.path, limit + 1)
    except NotARegularFile as exc:
        return _refused(item.path, Verdict.DAMAGED, f"not a regular file ({exc}): not opened",
                        "không phải tệp thông thường (FIFO, thiết bị, socket...), không mở", "not_a_file")
    except OSError as exc:
        return _refused(item.path, Verdict.DAMAGED, f"cannot read the file: {exc.strerror or exc}",
                        "không đọc được tệp", "unreadable")
    if len(item.data) > limit:
        return _refused(item.path, Verdict.DAMAGED, f"larger than {limit} bytes: not a canhgac file",
                        "tệp quá lớn, không phải tệp canhgac", "too_large")
    try:
        item.kind = read_kind(item.data)
    except MediaError as exc:
        return _refused(item.path, Verdict.DAMAGED, str(exc), "không phải tệp canhgac hoặc tệp bị hỏng", "damaged")
    return None


class NotARegularFile(OSError):
    """A FIFO, device, socket or folder where a file was expected (its kind is the message)."""


def read_regular_file(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of ``path`` when it is a regular file (a link to one counts).

    A FIFO on a USB stick would block ``open`` forever and a device can be read without end, so
    anything else is refused by its ``stat`` before it is opened; the open is non-blocking and
    checked again on the open descriptor, in case the path was swapped in between."""
    kind = _kind_of(os.stat(path).st_mode)
    if kind:
        raise NotARegularFile(kind)
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(descriptor, "rb") as handle:
        kind = _kind_of(os.fstat(descriptor).st_mode)
        if kind:
            raise NotARegularFile(kind)
        return handle.read(limit)


def _kind_of(mode: int) -> str:
    """"" for a regular file, else what it is."""
    if stat.S_ISREG(mode):
        return ""
    kinds = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
             (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "folder"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def files_in(paths: Sequence[Path]) -> list[Path]:
    """The paths given, each folder replaced by every file inside it and its subfolders (sorted by
    name, as ``agent export --out E:\\`` writes them side by side); links to folders are not followed."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir() or path.is_symlink():
            found.append(path)
            continue
        for folder, subfolders, names in os.walk(path):
            subfolders.sort()
            found.extend(Path(folder) / name for name in sorted(names))
    return found


def _report_order(item: _Pending) -> tuple[str, int]:
    try:
        envelope = open_report_file(item.data)
        return envelope.agent_id, msgspec.json.decode(bytes(envelope.report), type=_Peek).identity.sequence
    except (MediaError, msgspec.DecodeError, RecursionError):
        return "", 0


# --- reports ---------------------------------------------------------------------------------

# ingest's error code -> (verdict, Vietnamese), for the refusals a person meets with files.
REPORT_REFUSALS = {
    "bad_signature": (Verdict.TAMPERED, "tệp đã bị sửa đổi: chữ ký không khớp với nội dung"),
    "unknown_agent": (Verdict.FOREIGN, "tệp của máy chưa đăng ký tại máy chủ này (hãy nhập tệp đăng ký trước)"),
    "agent_revoked": (Verdict.REFUSED, "máy này đã đăng ký lại; khóa cũ không còn hiệu lực"),
    "sequence_conflict": (Verdict.TAMPERED, "số thứ tự này đã được lưu với nội dung khác"),
    "agent_mismatch": (Verdict.TAMPERED, "mã máy trong báo cáo khác mã máy đã ký"),
}


def import_report(db: Database, path: Path, data: bytes, now: datetime, limits: IngestLimits,
                  rules: LoadedRules) -> ImportResult:
    """Verify and store one report file through collector.intake.ingest (see the module docstring)."""
    try:
        envelope = open_report_file(data)
    except MediaError as exc:
        return _refused(path, Verdict.DAMAGED, str(exc), "tệp báo cáo bị hỏng", "damaged")
    headers = {AGENT_HEADER: envelope.agent_id, TIMESTAMP_HEADER: str(envelope.signed_at),
               SIGNATURE_HEADER: envelope.signature}
    body = bytes(envelope.report)
    try:
        ack, outcome = ingest_report(db, headers, body, now, limits, rules, via_network=False)
    except CanhgacError as exc:
        verdict, vietnamese = REPORT_REFUSALS.get(exc.code, (Verdict.REFUSED, "báo cáo không hợp lệ, bị từ chối"))
        english = f"{exc.detail}" if exc.code != "unknown_agent" else (
            f"agent {envelope.agent_id} is not enrolled with this collector: import its enrollment file first "
            "(or the file belongs to another collector)")
        return _refused(path, verdict, english, vietnamese, exc.code, envelope.agent_id)
    hostname = msgspec.json.decode(body, type=_Peek).identity.hostname
    if outcome is StoreOutcome.DUPLICATE:
        return _refused(path, Verdict.REPLAYED,
                        f"report #{ack.sequence} of {hostname} (agent {ack.agent_id}) was already stored; "
                        "nothing changed (replayed file)",
                        f"báo cáo #{ack.sequence} đã được nhập trước đó, không thay đổi gì", "duplicate", ack.agent_id)
    return ImportResult(path, Verdict.IMPORTED, f"report #{ack.sequence} of {hostname} (agent {ack.agent_id}) stored",
                        f"đã nhập báo cáo #{ack.sequence} của máy {hostname}", "stored", ack.agent_id)


# --- enrollments -----------------------------------------------------------------------------


def import_enrollment(db: Database, path: Path, data: bytes, now: datetime,
                      rules: LoadedRules | None = None) -> ImportResult:
    """Register the agent an enrollment file describes, once (see agent/wire/media.py); a known
    machine enrolled again raises the enrollment rules' alerts (collector.judging.enrollment)."""
    try:
        with db.session() as session:
            result = _enroll_from_file(session, path, data, now)
            if result.imported and rules is not None:
                judge_enrollment_safely(session, result.machine_id, rules, now)
            return result.result
    except MachineInOtherUnit as exc:
        with db.session() as session:
            record_refused_enrollment(session, exc, now, f"file {path.name}")
        return _refused(path, Verdict.REFUSED, exc.detail, "máy này thuộc đơn vị khác: mã đăng ký của đơn vị này "
                        "không đăng ký được máy này", exc.code)
    except CanhgacError as exc:
        return _refused(path, Verdict.REFUSED, exc.detail, ENROLLMENT_REFUSALS.get(
            exc.code, "mã đăng ký hết hạn, bị thu hồi hoặc tệp không hợp lệ"), exc.code)
    except MediaError as exc:
        return _refused(path, Verdict.TAMPERED, str(exc), "tệp đăng ký đã bị sửa đổi hoặc hỏng", "tampered")


@dataclass(frozen=True)
class _FileEnrolled:
    result: ImportResult
    machine_id: int = 0

    @property
    def imported(self) -> bool:
        return self.result.imported


ENROLLMENT_REFUSALS = {
    "token_exhausted": "mã đăng ký đã dùng hết số máy cho phép",
    "token_expired": "mã đăng ký đã hết hạn",
    "token_revoked": "mã đăng ký đã bị thu hồi",
}


def _enroll_from_file(session: Session, path: Path, data: bytes, now: datetime) -> _FileEnrolled:
    envelope = open_enrollment_file(data)
    wanted = envelope.token_lookup.strip().lower()
    token = find_token(session, lambda token_hash: token_lookup(token_secret(token_hash)) == wanted)
    if token is None:
        return _FileEnrolled(_refused(path, Verdict.FOREIGN, "made with an enrollment token this collector never "
                                      "issued", "tệp đăng ký dùng mã không do máy chủ này cấp", "invalid_token"))
    request, key = verify_enrollment(envelope, token_secret(token.token_hash))
    enrolled_at = agent_enrolled_at(session, request.agent_id)
    if enrolled_at is not None:
        return _FileEnrolled(_refused(
            path, Verdict.REPLAYED, f"agent {request.agent_id} was already enrolled at {enrolled_at:%Y-%m-%d %H:%M} "
            "UTC; nothing changed (replayed file)", "tệp đăng ký này đã được nhập trước đó, không thay đổi gì",
            "already_enrolled", request.agent_id))
    if not _is_hex(request.agent_id, 32) or not _is_hex(key, 64):
        raise MediaError("the agent id or key inside is malformed")
    answer = register_agent(session, EnrollRequest(
        token="", machine_uid=request.machine_uid, hostname=request.hostname, role=request.role, macs=request.macs,
        serial=request.serial, os_name=request.os_name), token.id, now, request.agent_id, key,
        source=f"file {path.name}")
    return _FileEnrolled(ImportResult(path, Verdict.IMPORTED,
                                      f"enrolled {request.hostname} as agent {answer.agent_id} in unit "
                                      f"{answer.unit_code} (role {request.role})",
                                      f"đã đăng ký máy {request.hostname} vào đơn vị {answer.unit_code}", "enrolled",
                                      answer.agent_id), answer.machine_id)


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and set(text) <= HEX


def _refused(path: Path, verdict: Verdict, english: str, vietnamese: str, code: str,
             agent_id: str = "") -> ImportResult:
    return ImportResult(path, verdict, english, vietnamese, code, agent_id)
