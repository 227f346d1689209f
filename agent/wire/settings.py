"""Agent settings set from the centre: what they may hold, and their signature.

A unit's settings (``canhgac units config``) are inherited down the tree; the collector sends a
machine's effective settings with the enrollment answer and with a report's acknowledgement when
the report ran with another version, signed with that agent's own key (HMAC-SHA256), so that nobody
between them can point the agent at other targets. Versions only grow: an agent takes a version
newer than the one it has and refuses an older one (a replayed message). The agent's own TOML file
and environment still win, key by key.

Only what the probes look at and how often; nothing here is ever executed.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

import msgspec

LIST_KEYS = ("internet_targets", "dedicated_line_targets", "backup_folders", "restic_repos", "borg_repos",
             "certificate_files")
SETTING_KEYS = (*LIST_KEYS, "probe_gateway", "certificate_password_file", "interval_minutes")
TARGET_KEYS = ("internet_targets", "dedicated_line_targets")
_TARGET = re.compile(r"^(icmp:[A-Za-z0-9._:%-]+|\[?[A-Za-z0-9._:%-]+\]?:[0-9]{1,5})$")
_DOMAIN = b"canhgac-settings."


class SettingsError(ValueError):
    """A setting's key or value is not one an agent may be given; the message names both."""


class SignedSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    version: int
    issued_at: datetime
    values: dict[str, Any]
    """Only keys of SETTING_KEYS (see :func:`check_settings`)."""
    signature: str = ""
    """Hex HMAC-SHA256(agent key, "canhgac-settings." + the JSON of version, issued_at, values)."""


def check_settings(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` if every key is a setting and every value has its shape; SettingsError otherwise."""
    for key, value in values.items():
        if key not in SETTING_KEYS:
            raise SettingsError(f"{key}: not an agent setting (settings: {', '.join(SETTING_KEYS)})")
        if key in LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise SettingsError(f"{key} = {value!r}: expected a list of texts")
            if key in TARGET_KEYS and not all(_TARGET.match(v.strip()) for v in value):
                raise SettingsError(f"{key} = {value!r}: expected HOST:PORT or icmp:HOST for each target")
        elif key == "probe_gateway" and not isinstance(value, bool):
            raise SettingsError(f"{key} = {value!r}: expected true or false")
        elif key == "certificate_password_file" and not (isinstance(value, str) and value.strip()):
            raise SettingsError(f"{key} = {value!r}: expected a file path")
        elif key == "interval_minutes" and not (isinstance(value, int | float) and not isinstance(value, bool)
                                                and math.isfinite(value) and 1 <= value <= 24 * 60):
            raise SettingsError(f"{key} = {value!r}: expected minutes between 1 and 1440")
    return values


def parse_setting(assignment: str) -> tuple[str, Any]:
    """``KEY=VALUE`` as people write it: a list separated by commas (or JSON), true/false, a number,
    else the text; SettingsError without ``=``. The key and value are checked by check_settings."""
    key, sep, raw = assignment.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise SettingsError(f"{assignment.strip()!r}: expected KEY=VALUE")
    if raw.startswith(("[", "{")):
        try:
            return key, msgspec.json.decode(raw.encode())
        except msgspec.DecodeError as exc:
            raise SettingsError(f"{assignment.strip()!r}: {exc}") from None
    if key in LIST_KEYS:
        return key, [part.strip() for part in raw.split(",") if part.strip()]
    if raw.lower() in ("true", "false"):
        return key, raw.lower() == "true"
    try:
        return key, float(raw) if "." in raw else int(raw)
    except ValueError:
        return key, raw


def _payload(settings: SignedSettings) -> bytes:
    unsigned = {"version": settings.version, "issued_at": settings.issued_at, "values": settings.values}
    return _DOMAIN + msgspec.json.encode(unsigned, order="sorted")


# hashlib and hmac are imported when signing: the agent's state holds these settings and
# `agent collect` reads the state, but must not load OpenSSL (tests/agent/test_agent_is_light.py).
def sign_settings(key: str, settings: SignedSettings) -> SignedSettings:
    import hashlib
    import hmac

    digest = hmac.new(bytes.fromhex(key), _payload(settings), hashlib.sha256).hexdigest()
    return msgspec.structs.replace(settings, signature=digest)


def settings_signed_by(key: str, settings: SignedSettings) -> bool:
    import hashlib
    import hmac

    expected = hmac.new(bytes.fromhex(key), _payload(settings), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, settings.signature)
