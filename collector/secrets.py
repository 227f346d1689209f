"""Bearer secrets (enrollment and API tokens): random, shown once, stored as SHA-256 only.

The tokens carry 192+ bits of randomness, so a plain SHA-256 is enough to make a stolen
database useless for signing in; passwords (low entropy) use argon2 elsewhere.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

ENROLLMENT_PREFIX = "cge_"
API_PREFIX = "cgt_"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def parse_duration(text: str) -> timedelta:
    """"30d", "12h", "90m", "2w" -> timedelta; raises ValueError naming the bad text."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration like 7d, 12h, 30m or 2w")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])
