"""One report from an agent to the collector, end to end, every part a real process."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.system.conftest import Server, canhgac

pytestmark = pytest.mark.system


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return str(result.stdout)


def test_an_enrolled_agent_reports_and_the_machine_is_listed(server: Server, tmp_path: Path) -> None:
    db = {"CANHGAC_DB": server.db_url}
    ok(canhgac("units", "add", "PV", "--name", "Tỉnh Thử", "--kind", "province", env=db))
    ok(canhgac("units", "add", "XA", "--name", "UBND xã A", "--kind", "commune", "--parent", "PV", "--staff", "16",
               env=db))
    token = ok(canhgac("tokens", "create", "--unit", "XA", env=db)).strip()
    ok(canhgac("users", "add", "can-bo-xa", "--role", "viewer", "--unit", "XA", env=db))
    api_token = ok(canhgac("users", "token", "can-bo-xa", env=db)).strip()

    state_dir = str(tmp_path / "agent")
    ok(canhgac("agent", "enroll", "--server", server.url, "--token", token, "--state-dir", state_dir))
    ok(canhgac("agent", "run", "--once", "--state-dir", state_dir))

    headers = {"Authorization": f"Bearer {api_token}"}
    page = requests.get(f"{server.url}/api/v1/machines", headers=headers, timeout=10).json()
    assert page["total"] == 1
    machine = page["items"][0]
    assert machine["unit_code"] == "XA" and machine["last_seen_at"] is not None
    detail = requests.get(f"{server.url}/api/v1/machines/{machine['id']}", headers=headers, timeout=10).json()
    assert detail["state"]["identity"]["sequence"] == 1
    assert detail["state"]["hardware"]["ram_bytes"] > 0
    assert detail["state"]["network"]["interfaces"]

    ok(canhgac("agent", "run", "--once", "--state-dir", state_dir))
    detail = requests.get(f"{server.url}/api/v1/machines/{machine['id']}", headers=headers, timeout=10).json()
    assert detail["report_sequence"] == 2
    listed = ok(canhgac("machines", "list", "--unit", "PV", "--json", env=db))
    assert machine["hostname"] in listed


def test_the_openapi_document_publishes_the_report_schema(server: Server) -> None:
    document = requests.get(f"{server.url}/api/v1/openapi.json", timeout=10).json()
    body = document["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[1]
    report = document["components"]["schemas"][name]
    assert {"schema_version", "identity", "hardware", "antivirus", "licence", "network", "backup",
            "certificates", "role"} <= set(report["properties"])
