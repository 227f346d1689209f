"""canhgac rules / licences / alerts / scan all, through the real CLI on a real SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.wire import clock
from canhgac.cli import main

PACK = """
pack: local
rules:
  - id: local.backup_180
    title: {vi: "Sao lưu quá 180 ngày", en: "Backup older than 180 days"}
    remediation: {vi: "Sao lưu", en: "Back up"}
    severity: low
    scope: machine
    parameters: {days: 180}
    condition: "backup.age_days > params.days"
    sources: [{text: "practice"}]
    examples: {fires: [{backup.age_days: 200}], silent: [{backup.age_days: 10}]}
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_rules_list_json() -> None:
    code, out = run("rules", "list", "--json")
    assert code == 0
    ids = {r["id"] for r in json.loads(out.split("\n]")[0] + "\n]")}
    assert {"av.absent", "offline.network_evidence", "backup.quarterly"} <= ids


def test_rules_check_and_test(tmp_path: Path) -> None:
    pack = tmp_path / "local.yaml"
    pack.write_text(PACK, encoding="utf-8")
    assert run("rules", "check", str(pack))[0] == 0
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"backup": {"age_days": 365}}), encoding="utf-8")
    code, out = run("rules", "test", str(pack), "--facts", str(facts))
    assert code == 0 and "firing" in out and "backup.age_days=365" in out


def test_rules_check_reports_file_line_and_reason(tmp_path: Path) -> None:
    pack = tmp_path / "bad.yaml"
    pack.write_text(PACK.replace("backup.age_days > params.days", "backup.agee > 1"), encoding="utf-8")
    code, out = run("rules", "check", str(pack))
    assert code == 1 and f"{pack}:4:" in out and "unknown fact 'backup.agee'" in out


def test_licences_alerts_and_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The commands read a fixed time: a midnight between two scans would judge the unit again.
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    db = f"sqlite:///{tmp_path / 'c.db'}"
    assert run("db", "init", "--db", db)[0] == 0
    assert run("units", "add", "XA", "--name", "UBND xã A", "--kind", "commune", "--db", db)[0] == 0
    code, out = run("licences", "add", "--product", "BKAV Pro", "--match", "*bkav*", "--seats", "5",
                    "--expires", "2020-01-01", "--unit", "XA", "--db", db)
    assert code == 0, out
    code, out = run("licences", "list", "--json", "--db", db)
    assert json.loads(out)[0]["product"] == "BKAV Pro"
    code, out = run("scan", "all", "--db", db)
    assert code == 0, out
    code, out = run("scan", "all", "--no-network", "--json", "--db", db)  # nothing changed: nothing judged
    assert code == 0 and json.loads(out)["units_judged"] == 0, out
    code, out = run("scan", "all", "--no-network", "--full", "--db", db)
    assert code == 0 and "1 đơn vị / units (1 đánh giá lại / judged again)" in out, out
    code, out = run("alerts", "list", "--json", "--db", db)
    listed = json.loads(out.split("\n]")[0] + "\n]")
    assert {a["rule_id"] for a in listed} >= {"licence.expired", "unit.no_offline_pc"}
    code, out = run("alerts", "ack", str(listed[0]["id"]), "--comment", "đang gia hạn", "--db", db)
    assert code == 0, out
    code, out = run("alerts", "list", "--status", "acknowledged", "--json", "--db", db)
    assert len(json.loads(out.split("\n]")[0] + "\n]")) == 1
