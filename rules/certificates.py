"""Digital-signature certificates (chứng thư số), pure: which of a machine's certificates sign.

A signing certificate has key usage digitalSignature or nonRepudiation (RFC 5280 4.2.1.3) and an
issuer the province accepts (a per-unit parameter of the ``certs_valid`` indicator: Ban Cơ yếu
Chính phủ's CA for officials, the licensed public CAs VNPT-CA, Viettel-CA, ...; empty = any
issuer). One whose key usage was not read (an empty list) may or may not sign: unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from agent.wire.schema import Certificate, Certificates

SIGNING_USAGES = frozenset({"digitalsignature", "nonrepudiation"})


@dataclass(frozen=True)
class SigningState:
    """What a machine's certificate store says about signing certificates."""

    days_left: int | None
    """Days the longest-valid signing certificate still has (None: none valid now, or unknown)."""
    known: bool
    """False when the answer is open: the section is missing, or a valid certificate of a listed
    issuer has no key usage read."""
    subjects: tuple[str, ...] = ()
    """The valid signing certificates' subjects (longest-valid first)."""
    until: datetime | None = None
    """When the longest-valid one ends (``days_left`` counts whole days to it)."""


def issuer_accepted(issuer: str, issuers: Sequence[str]) -> bool:
    """Case-insensitive substring match of the issuer's DN against the accepted names."""
    if not issuers:
        return True
    lowered = issuer.casefold()
    return any(name.casefold() in lowered for name in issuers if name.strip())


def signs(certificate: Certificate) -> bool | None:
    if not certificate.key_usage:
        return None
    return bool({usage.strip().lower() for usage in certificate.key_usage} & SIGNING_USAGES)


def signing_state(section: Certificates | None, issuers: Sequence[str], now: datetime) -> SigningState:
    """The signing certificates of ``section`` valid at ``now`` from an accepted issuer."""
    if section is None:
        return SigningState(None, False)
    valid = [c for c in section.certificates if issuer_accepted(c.issuer, issuers) and _valid(c, now)]
    signing = sorted((c for c in valid if signs(c)), key=lambda c: c.not_after or now, reverse=True)
    open_ = any(signs(c) is None for c in valid)
    if not signing:
        return SigningState(None, not open_)
    best = signing[0].not_after
    days = None if best is None else int((best - now).total_seconds() // 86400)
    return SigningState(days, True, tuple(c.subject for c in signing), best)


def _valid(certificate: Certificate, now: datetime) -> bool:
    started = certificate.not_before is None or certificate.not_before <= now
    return started and (certificate.not_after is None or certificate.not_after > now)


def has_signing_certificate(state: SigningState, min_days: int) -> bool | None:
    """Holds a signing certificate valid for at least ``min_days`` more days (None: unknown)."""
    if state.days_left is not None and state.days_left >= min_days:
        return True
    return False if state.known else None
