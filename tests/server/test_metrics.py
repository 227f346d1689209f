"""``GET /metrics``: the Prometheus text format (checked by promtool when installed), counters that
follow what ingest did, the database's gauges, and who may scrape."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from collector.metrics import Gauges, Metrics, render
from tests.api_world import World
from tests.factories import report_body, signed


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in the scrape")


def test_the_scrape_follows_what_ingest_did(world: World) -> None:
    agent = world.enroll()
    body = report_body(agent["agent_id"], 1)
    for _ in range(2):  # stored, then a retry
        assert world.client.post("/api/v1/reports", content=body,
                                 headers=signed(agent["agent_id"], agent["key"], body)).status_code in (200, 201)
    forged = signed(agent["agent_id"], "00" * 32, body)
    assert world.client.post("/api/v1/reports", content=body, headers=forged).status_code == 401
    scraped = world.client.get("/metrics", headers=world.as_person("admin"))
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = scraped.text
    assert _sample(text, "canhgac_reports_stored_total") == 1
    assert _sample(text, "canhgac_reports_duplicate_total") == 1
    assert 'canhgac_reports_refused_total{reason="bad_signature"} 1' in text
    assert _sample(text, "canhgac_ingest_duration_seconds_count") == 3
    assert _sample(text, "canhgac_machines") == 1 and _sample(text, "canhgac_machines_silent") == 0
    assert _sample(text, "canhgac_database_size_bytes") > 0
    assert 'canhgac_alerts_open{severity="critical"}' in text
    assert "canhgac_scan_last_run_timestamp_seconds NaN" in text


@pytest.mark.parametrize(("person", "status"), [(None, 401), ("viewer_a", 403), ("province", 403)])
def test_only_the_collectors_admins_scrape_from_afar(world: World, person: str | None, status: int) -> None:
    headers = world.as_person(person) if person else {}
    assert world.client.get("/metrics", headers=headers).status_code == status


def test_the_format_passes_promtool() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus; .ci/run installs it)")
    metrics = Metrics()
    metrics.report_stored(0.004, duplicate=False)
    metrics.report_stored(0.3, duplicate=True)
    metrics.report_refused("bad_signature", 12.0)
    metrics.report_refused('odd "reason"\n', 0.01)
    metrics.job_ran("scan", 2.5, 1_764_590_000.25)
    text = render(metrics, Gauges(alerts_open={"high": 2, "low": 0}, machines_silent=1, silent_hours=48,
                                  database_bytes=4096, machines=3))
    checked = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert 'canhgac_ingest_duration_seconds_bucket{le="+Inf"} 4' in text
    assert 'canhgac_ingest_duration_seconds_bucket{le="0.005"} 1' in text
    assert "canhgac_scan_duration_seconds 2.5" in text
