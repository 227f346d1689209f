"""The signed session cookie and the secret behind it (whether a signed-in session is still live
is the server's to say: tests/web/test_session_end.py)."""

from __future__ import annotations

import stat
from pathlib import Path

from collector.config import CollectorConfig
from server.web.session import (
    SECRET_FILE,
    SessionData,
    csrf_ok,
    load_or_create_secret,
    read_session,
    secret_path,
    sign_session,
)

KEY = b"k" * 32


def test_a_session_reads_back_only_with_its_key() -> None:
    data = SessionData(csrf="tok", token="cgs_secret", issued_at=1000)
    value = sign_session(data, KEY)
    assert read_session(value, KEY) == data
    assert read_session(value, b"x" * 32) is None
    body, _, mac = value.partition(".")
    assert read_session(f"{body}x.{mac}", KEY) is None
    for junk in (None, "", "no-dot", ".", "a.b"):
        assert read_session(junk, KEY) is None


def test_a_well_signed_cookie_of_another_shape_is_no_session() -> None:
    import base64
    import hashlib
    import hmac
    import json

    for shape in ([1, 2], ["c", 7, 0], ["c", None, "x"]):
        body = base64.urlsafe_b64encode(json.dumps(shape).encode()).rstrip(b"=").decode()
        mac = base64.urlsafe_b64encode(hmac.new(KEY, body.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
        assert read_session(f"{body}.{mac}", KEY) is None, shape


def test_csrf_needs_the_sessions_own_token() -> None:
    data = SessionData(csrf="right")
    assert csrf_ok(data, "right")
    assert not csrf_ok(data, "wrong") and not csrf_ok(data, "") and not csrf_ok(data, None)
    assert not csrf_ok(None, "right")


def test_the_secret_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = secret_path(CollectorConfig(db_url=f"sqlite:///{tmp_path / 'canhgac.db'}"))
    assert path == tmp_path / SECRET_FILE
    first = load_or_create_secret(path)
    assert len(first) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == first
