"""The agent stays light: in a fresh interpreter, loading every agent module and running
`canhgac agent collect` pulls in nothing of the server extra or of the other packages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FORBIDDEN = [
    "sqlalchemy", "alembic", "litestar", "uvicorn", "starlette", "fastapi", "pysnmp", "scapy", "celpy", "cel",
    "yaml", "openpyxl", "psycopg", "argon2", "collector", "server", "rules",
]

SCRIPT = """
import importlib, json, sys
from click.testing import CliRunner
import canhgac.cli, canhgac.agent_commands, agent.report, agent.transport, agent.spool, agent.runner
import agent.enrollment
from agent.probes import PROBES
for probe in PROBES.values():
    importlib.import_module(probe.__module__)
result = CliRunner().invoke(canhgac.cli.main, ["agent", "collect", "--state-dir", sys.argv[1]])
assert result.exit_code == 0, result.output
forbidden = json.loads(sys.argv[2])
loaded = sorted(name for name in sys.modules if name.split(".")[0] in forbidden)
print(json.dumps({"loaded": loaded, "probes": sorted(PROBES)}))
"""


def test_the_agent_loads_no_server_side_module(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "agent"), json.dumps(FORBIDDEN)],
        capture_output=True, text=True, timeout=120, check=False, cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["probes"] == sorted(
        ["antivirus", "backup", "certificates", "hardening", "hardware", "identity", "licence", "network", "software",
         "users"]
    )
    assert outcome["loaded"] == []


# What `agent collect` (every office PC, every cycle, a process of its own) must not load: the
# enrolling / sending / exporting side (hashlib loads OpenSSL: ~3.5 MB of RSS), the config
# file reader (only with --config), and what only some PCs need (NetworkManager keyfiles,
# reachability targets). bench/agent_footprint.py measures the cost; this keeps it from creeping back.
NOT_FOR_COLLECT = [
    "agent.enrollment", "agent.export", "agent.wire.media", "agent.runner", "agent.wire.signing", "agent.spool",
    "agent.tls", "agent.transport", "requests", "hashlib", "_hashlib", "hmac", "gzip", "schedule", "tomllib",
    "configparser", "concurrent.futures",
]

COLLECT_ONLY = """
import json, sys
from click.testing import CliRunner
import canhgac.cli
result = CliRunner().invoke(canhgac.cli.main, ["agent", "collect", "--state-dir", sys.argv[1]])
assert result.exit_code == 0, result.output
print(json.dumps(sorted(name for name in json.loads(sys.argv[2]) if name in sys.modules)))
"""


def test_collect_loads_only_what_collecting_needs(tmp_path: Path) -> None:
    env = {**os.environ, "CANHGAC_PROBE_GATEWAY": "false", "CANHGAC_INTERNET_TARGETS": "",
           "CANHGAC_DEDICATED_LINE_TARGETS": ""}
    done = subprocess.run(
        [sys.executable, "-c", COLLECT_ONLY, str(tmp_path / "agent"), json.dumps(NOT_FOR_COLLECT)],
        capture_output=True, text=True, timeout=120, check=False, cwd=Path(__file__).resolve().parents[2], env=env,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
