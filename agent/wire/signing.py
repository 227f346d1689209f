"""HMAC-SHA256 request signing shared by the agent (signs) and the collector (verifies).

The signature covers the timestamp and the exact body bytes: ``HMAC(key, f"{ts}." + body)``.
Headers carry the agent id, the timestamp (Unix seconds) and the hex signature. Pure stdlib, so
the collector may import it without pulling in anything of the agent's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

AGENT_HEADER = "X-Canhgac-Agent"
TIMESTAMP_HEADER = "X-Canhgac-Timestamp"
SIGNATURE_HEADER = "X-Canhgac-Signature"


def new_key() -> str:
    """A fresh per-agent secret key, hex encoded (256 bits)."""
    return secrets.token_hex(32)


def sign(key: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(bytes.fromhex(key), message, hashlib.sha256).hexdigest()


def signed_headers(agent_id: str, key: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        AGENT_HEADER: agent_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(key, timestamp, body),
    }


def is_valid_signature(key: str, timestamp: int, body: bytes, signature: str) -> bool:
    expected = sign(key, timestamp, body).encode()
    return hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace"))
