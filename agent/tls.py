"""How the agent trusts its collector over HTTPS: the system's CA store by default, or what was
given at enrollment and kept in the agent's state: a CA certificate (``--ca FILE``: only
certificates it signed, for the collector's host name or address, are accepted) or the SHA-256
fingerprint of the collector's own certificate (``--fingerprint sha256:HEX``: that certificate
and no other, self-signed included). Over plain HTTP nothing is verified or encrypted; the agent
says so once per run (:func:`plain_http_warning`).

requests is imported only when a session is made: ``agent collect`` never loads it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec

if TYPE_CHECKING:
    import requests

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class TrustError(ValueError):
    """A CA file or a fingerprint given to enroll cannot be used (the message says why)."""


class Trust(msgspec.Struct, frozen=True):
    """What the collector's certificate must satisfy; both empty: the system's CA store."""

    ca_pem: str = ""
    fingerprint: str = ""
    """64 lower-case hex characters: SHA-256 of the certificate (DER)."""

    @property
    def pinned(self) -> bool:
        return bool(self.ca_pem or self.fingerprint)


def trust_of(server_ca: str, server_fingerprint: str) -> Trust:
    """The trust an agent's state keeps (agent.state.AgentState's two fields)."""
    return Trust(ca_pem=server_ca, fingerprint=server_fingerprint)


def parse_fingerprint(text: str) -> str:
    """``sha256:AB:CD:...`` (as ``openssl x509 -fingerprint -sha256`` prints it, with or without
    the prefix and colons) -> 64 lower-case hex characters; TrustError otherwise."""
    value = text.strip().lower()
    if value.startswith("sha256:"):
        value = value[len("sha256:"):]
    elif value.startswith("sha256 fingerprint="):
        value = value[len("sha256 fingerprint="):]
    value = value.replace(":", "").replace(" ", "")
    if not _HEX64.match(value):
        raise TrustError(f"{text!r} is not a SHA-256 fingerprint (sha256: and 64 hex digits; "
                         "openssl x509 -noout -fingerprint -sha256 -in collector.crt)")
    return value


def read_ca_file(path: Path) -> str:
    """The PEM certificates of ``path``, checked to load as trust anchors; TrustError otherwise."""
    import ssl

    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustError(f"cannot read the CA file {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise TrustError(f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        ssl.create_default_context(cadata=text)
    except (ssl.SSLError, ValueError) as exc:
        raise TrustError(f"{path} is not a usable CA certificate: {exc}") from exc
    return text


def check_trust_for(server: str, trust: Trust) -> None:
    """A CA file or a fingerprint is for an https:// collector only (TrustError otherwise)."""
    if trust.pinned and urlsplit(server).scheme != "https":
        raise TrustError(f"--ca and --fingerprint are for an https:// collector, not {server}")


def plain_http_warning(server: str) -> str | None:
    """The warning an agent prints once per run when it reports without encryption; None over HTTPS."""
    if urlsplit(server).scheme == "https":
        return None
    return (f"warning: {server} is plain HTTP: reports travel unencrypted and the collector is not verified; "
            "use it only on a trusted line (enroll with --server https://... --ca FILE or --fingerprint) "
            "/ cảnh báo: gửi báo cáo không mã hóa")


def session_for(trust: Trust) -> requests.Session:
    """A requests session that checks the collector's certificate against ``trust``."""
    import requests

    session = requests.Session()
    if trust.pinned:
        session.mount("https://", _trust_adapter(trust))
    return session


def _trust_adapter(trust: Trust) -> requests.adapters.HTTPAdapter:
    """requests' documented subclassing hook (``cert_verify``) set to the trust given at
    enrollment, and to nothing else: with a CA, only that CA (not the system store); with a
    fingerprint, that certificate (urllib3 compares it during the handshake, before the request
    is sent, and the host name does not matter)."""
    from requests.adapters import HTTPAdapter

    class TrustAdapter(HTTPAdapter):
        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, verify, cert)
            conn.ca_certs = None
            conn.ca_cert_dir = None
            if trust.fingerprint:
                conn.cert_reqs = "CERT_NONE"
                conn.assert_fingerprint = trust.fingerprint
            else:
                conn.cert_reqs = "CERT_REQUIRED"
                conn.conn_kw["ca_cert_data"] = trust.ca_pem  # a connection's keyword, not a pool attribute

    return TrustAdapter()
