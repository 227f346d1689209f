"""The agent configuration file an officer downloads with a new enrollment token: TOML for the
``[agent]`` table (canhgac/options.py), so that ``canhgac agent enroll --config FILE`` needs nothing
else. The unit's settings from the centre are written as comments: the collector sends them with
the enrollment answer and keeps them current, while a value in this file would win over the
centre's for good (agent/central.py), so they are there to read, not to pin."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from collector.errors import InvalidInput
from collector.store.units import UnitRow
from server.web.i18n import moment

FILE_NAME = "canhgac-agent.toml"


def check_server_address(address: str) -> str:
    """``address`` as an http(s) URL without path, query or fragment (a trailing /api/v1 is
    dropped); InvalidInput otherwise."""
    text = address.strip().rstrip("/")
    if text.endswith("/api/v1"):
        text = text[: -len("/api/v1")]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        raise InvalidInput(f"server address {address!r}: like http://10.0.0.5:8470", code="invalid_server_address")
    return text


def _toml(value: Any) -> str:
    # JSON's strings, numbers, booleans and arrays of them are TOML values too.
    return json.dumps(value, ensure_ascii=False)


def agent_file(server: str, token: str, unit: UnitRow, expires_at: datetime, settings: Mapping[str, Any]) -> str:
    """The file's text: who it is for, until when the token works, the [agent] table."""
    lines = [f"# canhgac: cấu hình phần mềm giám sát cho {unit.name} ({unit.code})",
             f"# canhgac agent configuration for {unit.name} ({unit.code})",
             f"# Mã đăng ký hết hạn / the token expires: {moment(expires_at)} (giờ Việt Nam, UTC+7)",
             "# Trên máy tính / on the PC:  canhgac agent enroll --config canhgac-agent.toml",
             "#                             canhgac agent run --config canhgac-agent.toml",
             "", "[agent]", f"server = {_toml(server)}", f"token = {_toml(token)}"]
    if settings:
        lines += ["", "# Cài đặt của đơn vị, do máy chủ gửi khi đăng ký (bỏ dấu # chỉ khi muốn cố định trên máy này):",
                  "# The unit's settings, sent by the collector at enrollment (uncomment only to pin them on this PC):"]
        lines += [f"# {key} = {_toml(value)}" for key, value in sorted(settings.items())]
    return "\n".join(lines) + "\n"


def pc_commands(server: str, token: str) -> dict[str, str]:
    """What is typed on the PC: enroll with the file or by hand, the first report, keep running,
    and the offline PC's enrollment by file (to a USB stick, E:)."""
    return {"install": "pip install canhgac",
            "enroll_file": f"canhgac agent enroll --config {FILE_NAME}",
            "enroll_typed": f"canhgac agent enroll --server {server} --token {token}",
            "first_report": "canhgac agent run --once",
            "run": f"canhgac agent run --config {FILE_NAME}",
            "offline": f"canhgac agent enroll --offline --token {token} --out E:\\"}
