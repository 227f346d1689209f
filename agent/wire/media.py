"""Files for removable media: the offline PC's enrollment request and its signed reports.

Pure (stdlib + msgspec, like agent.wire.signing), so the collector can verify what the agent seals.
Both files are one JSON object: ``kind``, ``format``, a signed payload kept as the exact bytes
that were sealed (``msgspec.Raw``: reformatting the file breaks the seal, as it should), and the
seal itself.

Report file: the report body signed exactly as for HTTP (``HMAC(key, f"{signed_at}." + body)``),
so the collector verifies it with the same code. A USB stick may take days, so the HTTP
timestamp window cannot apply; replays are stopped by the exactly-once (agent, sequence) store.

Enrollment file: the collector keeps only SHA-256(token) (collector/secrets.py), so the proof is
keyed by ``T = SHA-256(token)``: the file carries a lookup tag ``HMAC(T, "lookup")`` (to find the
token without naming it), the agent's own id, its key XOR ``HMAC(T, "wrap" + nonce)`` (never in
clear), and ``HMAC(T, "proof" + request)`` over the exact request bytes. Without the token a
stolen file can be imported (registering this PC, which is what it is for) and read (hostname,
MACs, serial), but not altered, not turned into another machine, and its key cannot be
recovered, so no report can be forged with it. With the token too (or a copy of the collector's
database, which holds the agent keys anyway) the key can be unwrapped: tokens are per unit,
expire and can be revoked, and the agent id inside is accepted once only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import TypeVar

import msgspec

from agent.wire.schema import Role
from agent.wire.signing import sign

REPORT_KIND = "canhgac-report"
ENROLLMENT_KIND = "canhgac-enrollment"
FORMAT = 1
_LOOKUP = b"canhgac/offline-enrollment/lookup"
_WRAP = b"canhgac/offline-enrollment/wrap\x00"
_PROOF = b"canhgac/offline-enrollment/proof\x00"
S = TypeVar("S", bound=msgspec.Struct)


class MediaError(ValueError):
    """A file is not a canhgac file of a known kind and format, or is damaged."""


class _Kind(msgspec.Struct):
    kind: str = ""
    format: int = 0


class ReportFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: str
    format: int
    agent_id: str
    signed_at: int
    """Unix seconds the report was signed at (on the agent's clock)."""
    signature: str
    report: msgspec.Raw
    """The report JSON exactly as signed."""


class OfflineEnrollment(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What the offline PC asks the collector to register (sealed by the token)."""

    agent_id: str
    nonce: str
    wrapped_key: str
    machine_uid: str
    hostname: str
    role: Role = Role.OFFLINE
    macs: list[str] = []
    serial: str = ""
    os_name: str = ""
    created_at: datetime


class EnrollmentFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: str
    format: int
    token_lookup: str
    request: msgspec.Raw
    proof: str


# --- reports ---------------------------------------------------------------------------------


def seal_report(agent_id: str, key: str, body: bytes, now: int) -> bytes:
    """The report file for ``body`` (report JSON), signed with the agent's key at ``now``."""
    envelope = ReportFile(REPORT_KIND, FORMAT, agent_id, now, sign(key, now, body), msgspec.Raw(body))
    return msgspec.json.encode(envelope)


def read_kind(data: bytes) -> str:
    """The ``kind`` of a canhgac file; MediaError when it is not one, or of an unknown format."""
    try:
        head = msgspec.json.decode(data, type=_Kind)
    except msgspec.DecodeError as exc:
        raise MediaError(f"not a canhgac file, or damaged ({exc})") from None
    except RecursionError:
        raise MediaError("not a canhgac file, or damaged (JSON nested too deeply)") from None
    if head.kind not in (REPORT_KIND, ENROLLMENT_KIND):
        raise MediaError(f"not a canhgac report or enrollment file (kind {head.kind!r})")
    if head.format != FORMAT:
        raise MediaError(f"{head.kind} format {head.format} is not supported (this version reads {FORMAT})")
    return head.kind


def open_report_file(data: bytes) -> ReportFile:
    """The envelope of a report file (signature not checked here); MediaError when damaged."""
    return _decode(data, ReportFile)


# --- enrollment ------------------------------------------------------------------------------


def token_secret(token_hash_hex: str) -> bytes:
    """The proof key T from the collector's stored token hash (hex SHA-256 of the token)."""
    return bytes.fromhex(token_hash_hex)


def secret_of_token(token: str) -> bytes:
    """T for a clear token, the way collector/secrets.py hashes it (stripped, SHA-256)."""
    return hashlib.sha256(token.strip().encode()).digest()


def token_lookup(secret: bytes) -> str:
    return hmac.new(secret, _LOOKUP, hashlib.sha256).hexdigest()


def _pad(secret: bytes, nonce: str) -> bytes:
    return hmac.new(secret, _WRAP + bytes.fromhex(nonce), hashlib.sha256).digest()


def _xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def _proof(secret: bytes, request: bytes) -> str:
    return hmac.new(secret, _PROOF + request, hashlib.sha256).hexdigest()


def seal_enrollment(token: str, key: str, request: OfflineEnrollment) -> bytes:
    """The enrollment file for ``request`` (whose ``nonce``/``wrapped_key`` are filled here)."""
    secret = secret_of_token(token)
    nonce = secrets.token_hex(16)
    wrapped = _xor(bytes.fromhex(key), _pad(secret, nonce)).hex()
    body = msgspec.json.encode(msgspec.structs.replace(request, nonce=nonce, wrapped_key=wrapped))
    envelope = EnrollmentFile(ENROLLMENT_KIND, FORMAT, token_lookup(secret), msgspec.Raw(body), _proof(secret, body))
    return msgspec.json.encode(envelope)


def open_enrollment_file(data: bytes) -> EnrollmentFile:
    """The envelope of an enrollment file (proof not checked here); MediaError when damaged."""
    return _decode(data, EnrollmentFile)


def verify_enrollment(envelope: EnrollmentFile, secret: bytes) -> tuple[OfflineEnrollment, str]:
    """The request and the agent's clear key, when the proof holds under ``secret``.

    Raises MediaError when the proof does not match (the file was altered, or made with another
    token) or the request inside is malformed.
    """
    body = bytes(envelope.request)
    if not hmac.compare_digest(_proof(secret, body), envelope.proof.strip().lower()):
        raise MediaError("the enrollment proof does not match: the file was altered")
    request = _decode(body, OfflineEnrollment)
    try:
        key = _xor(bytes.fromhex(request.wrapped_key), _pad(secret, request.nonce)).hex()
    except ValueError as exc:
        raise MediaError(f"the wrapped key is malformed ({exc})") from None
    return request, key


def _decode(data: bytes, kind: type[S]) -> S:
    try:
        return msgspec.json.decode(data, type=kind, strict=True)
    except msgspec.DecodeError as exc:
        raise MediaError(f"damaged {kind.__name__} ({exc})") from None
    except RecursionError:
        raise MediaError(f"damaged {kind.__name__} (JSON nested too deeply)") from None
