"""The agent stays light: in a fresh interpreter, loading every agent module and running
`canhgac agent collect` pulls in nothing of the server extra or of the other packages."""

from __future__ import annotations

import json
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
        ["antivirus", "backup", "certificates", "hardening", "hardware", "identity", "licence", "network", "software"]
    )
    assert outcome["loaded"] == []
