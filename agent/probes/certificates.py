"""Certificates probe: digital-signature certificates with subject, issuer, serial and validity.

Windows: the personal stores ``Cert:\\CurrentUser\\My`` and ``Cert:\\LocalMachine\\My``
(an agent running as LocalSystem sees SYSTEM's CurrentUser store, not the logged-in user's:
reference §6). Linux: the PEM / DER / PKCS#12 files the configuration lists. X.509 is read by a
small DER reader below (the agent carries no crypto library); PKCS#12 bags are encrypted, so
``openssl pkcs12`` turns them into PEM first, with the configured password file.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import windows
from agent.probes.context import CommandError, ProbeContext, attempt, describe
from agent.wire.schema import Certificate, Certificates, ProbeError

# X.520 / PKCS#9 attribute names (RFC 4514 keys, plus those common in Vietnamese CA certs).
ATTRIBUTE_NAMES = {
    "2.5.4.3": "CN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
    "2.5.4.9": "STREET", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "T",
    "1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
}
_PEM = re.compile(rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----(.+?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----",
                  re.DOTALL)
WINDOWS_STORES = ("Cert:\\CurrentUser\\My", "Cert:\\LocalMachine\\My")


# --- DER ----------------------------------------------------------------------------------------


def read_tlv(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(tag, value, offset after it) of the DER element at ``offset``; raises ValueError."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length, offset = data[offset], data[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4 or offset + count > len(data):
            raise ValueError("bad DER length")
        length, offset = int.from_bytes(data[offset:offset + count], "big"), offset + count
    if offset + length > len(data):
        raise ValueError("truncated DER")
    return tag, data[offset:offset + length], offset + length


def read_children(data: bytes) -> list[tuple[int, bytes]]:
    children, offset = [], 0
    while offset < len(data):
        tag, value, offset = read_tlv(data, offset)
        children.append((tag, value))
    return children


def decode_oid(value: bytes) -> str:
    parts, number = [], 0
    for byte in value:
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(number)
            number = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in [first, parts[0] - 40 * first, *parts[1:]])


def decode_string(tag: int, value: bytes) -> str:
    if tag == 0x1E:  # BMPString
        return value.decode("utf-16-be", errors="replace")
    if tag == 0x1C:  # UniversalString
        return value.decode("utf-32-be", errors="replace")
    return value.decode("utf-8" if tag == 0x0C else "latin-1", errors="replace")


def decode_name(value: bytes) -> str:
    """An X.501 Name as RFC 4514-style text, most significant first (``C=VN, O=..., CN=...``
    as written in the certificate)."""
    parts = []
    for _set_tag, rdn in read_children(value):
        for _seq_tag, pair in read_children(rdn):
            (_, oid), (tag, text) = read_children(pair)[:2]
            name = decode_oid(oid)
            parts.append(f"{ATTRIBUTE_NAMES.get(name, name)}={decode_string(tag, text)}")
    return ", ".join(parts)


def decode_time(tag: int, value: bytes) -> datetime:
    """UTCTime (YYMMDDHHMMSSZ, years 50-99 are 19xx: RFC 5280 4.1.2.5.1) or GeneralizedTime."""
    text = value.decode("ascii").rstrip("Z")
    if tag == 0x17:
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    return datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def parse_der_certificate(der: bytes, store: str = "") -> Certificate:
    """Subject, issuer, serial (hex, upper case, as Windows and ``openssl -serial`` print it)
    and validity of one DER X.509 certificate; raises ValueError when it is not one."""
    _tag, cert, _end = read_tlv(der, 0)
    _tag, tbs, _end = read_tlv(cert, 0)
    fields = read_children(tbs)
    if fields and fields[0][0] == 0xA0:  # [0] EXPLICIT version
        fields = fields[1:]
    serial, _algorithm, issuer, validity, subject = (value for _tag, value in fields[:5])
    (before_tag, before), (after_tag, after) = read_children(validity)[:2]
    return Certificate(
        subject=decode_name(subject),
        issuer=decode_name(issuer),
        serial=serial.lstrip(b"\x00").hex().upper() or "00",
        not_before=decode_time(before_tag, before),
        not_after=decode_time(after_tag, after),
        store=store,
    )


def parse_certificate_file(data: bytes, store: str = "") -> list[Certificate]:
    """Every certificate of a PEM file (any number of blocks) or one DER certificate."""
    blocks = _PEM.findall(data)
    if blocks:
        return [parse_der_certificate(base64.b64decode(b"".join(block.split())), store) for block in blocks]
    return [parse_der_certificate(data, store)]


def parse_windows_certificates(items: list[dict[str, Any]]) -> list[Certificate]:
    """Rows of the Windows store script (dates written by the script as ISO-8601 UTC)."""
    return [
        Certificate(
            subject=windows.as_text(item.get("Subject")),
            issuer=windows.as_text(item.get("Issuer")),
            serial=windows.as_text(item.get("SerialNumber")).upper(),
            not_before=windows.parse_ps_date(item.get("NotBefore")),
            not_after=windows.parse_ps_date(item.get("NotAfter")),
            store=windows.as_text(item.get("Store")),
        )
        for item in items
    ]


# --- readers ------------------------------------------------------------------------------------


def read_file_certificates(ctx: ProbeContext, path: Path) -> list[Certificate]:
    if path.suffix.lower() in (".p12", ".pfx"):
        return parse_certificate_file(read_pkcs12(ctx, path).encode(), str(path))
    return parse_certificate_file(path.read_bytes(), str(path))


def read_pkcs12(ctx: ProbeContext, path: Path) -> str:
    """The certificates of a PKCS#12 file as PEM, via ``openssl pkcs12 -nokeys`` (never the
    private key); OpenSSL 3 needs ``-legacy`` for the RC2/3DES files older tools write."""
    password = ctx.settings.certificate_password_file
    secret = f"file:{password}" if password else "pass:"
    base = ["openssl", "pkcs12", "-in", str(path), "-nokeys", "-passin", secret]
    done = ctx.run(base, 30.0, None)
    if done.returncode != 0:
        done = ctx.run([*base, "-legacy"], 30.0, None)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise ValueError(f"openssl pkcs12: {lines[0] if lines else 'failed'}")
    return done.stdout


def windows_script() -> str:
    stores = ", ".join(f"'{store}'" for store in WINDOWS_STORES)
    return windows.json_rows(
        f"foreach ($s in @({stores})) {{ Get-ChildItem $s -ErrorAction SilentlyContinue | ForEach-Object {{ "
        "[pscustomobject]@{ Store=$s; Subject=$_.Subject; Issuer=$_.Issuer; SerialNumber=$_.SerialNumber; "
        "Thumbprint=$_.Thumbprint; HasPrivateKey=$_.HasPrivateKey; "
        "NotBefore=$_.NotBefore.ToUniversalTime().ToString('o'); NotAfter=$_.NotAfter.ToUniversalTime().ToString('o') "
        "} } }"
    )


def collect(ctx: ProbeContext) -> Certificates:
    """Windows stores, plus every configured file on any system; never raises."""
    errors: list[ProbeError] = []
    found: list[Certificate] = []
    if ctx.system == "Windows":
        found += attempt(errors, "windows certificate stores", lambda: parse_windows_certificates(
            windows.rows(windows.run_powershell(windows_script(), run=ctx.run))), [])
    for path in ctx.settings.certificate_files:
        try:
            found += read_file_certificates(ctx, path)
        except (OSError, ValueError, IndexError, CommandError) as exc:
            errors.append(ProbeError(what=f"certificate {path}", reason=describe(exc)))
    return Certificates(errors=errors, certificates=found)
