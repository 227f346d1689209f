"""Bearer secrets (enrollment and API tokens): random, shown once, stored as SHA-256 only; and
the collector's secret files kept apart from its database (the dashboard's session key, the key
that seals agent keys at rest).

The tokens carry 192+ bits of randomness, so a plain SHA-256 is enough to make a stolen
database useless for signing in; passwords (low entropy) use argon2 elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

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


def secret_file_path(db_url: str, data_dir: Path | None, name: str) -> Path:
    """Where a collector secret kept apart from the database lives: beside a SQLite file
    database, else in the data directory (the platform's when ``data_dir`` is None)."""
    from sqlalchemy.engine import make_url

    from collector.config import default_data_dir

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / name
    return (data_dir or default_data_dir()) / name


def load_or_create_secret_file(path: Path) -> bytes:
    """32 random bytes kept as hex in ``path``; created (mode 0600, exclusively: two processes
    starting together read the same one) when absent."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: read its secret
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())
