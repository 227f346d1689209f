"""Scrape cost: ``GET /metrics`` on a province (200,000 machines in 10,000 units, bench/readiness.py's
build, plus ``--alerts`` open alerts), through the app as ``serve`` builds it; the median and the
slowest of ``--scrapes`` scrapes, on SQLite and PostgreSQL.

    python bench/metrics.py [--machines 200000] [--units 10000] [--alerts 20000] [--scrapes 20] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pg_schema import with_fresh_pg_schema  # bench/ is the script's own folder
from readiness import build  # bench/readiness.py: the same province

from collector.config import CollectorConfig
from collector.db import open_database
from collector.models.alerts import Alert
from collector.store.people import add_user, issue_api_token

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SEVERITIES = ("critical", "high", "medium", "low", "info")


def measure(url: str, args: argparse.Namespace) -> dict[str, float]:
    from datetime import timedelta

    from litestar.testing import TestClient

    from server.app import create_app

    db = open_database(url)
    try:
        now = datetime.now(UTC)
        build(db, args.machines, args.units, now)
        with db.session() as session:
            session.execute(insert(Alert), [
                {"rule_id": f"rule.{i % 30}", "subject": f"machine:{i + 1}", "unit_id": 1 + i % args.units,
                 "machine_id": i + 1, "status": "open" if i % 4 else "resolved", "severity": SEVERITIES[i % 5],
                 "title": "t", "detail": "", "count": 1, "first_seen_at": now, "last_seen_at": now, "opened_at": now}
                for i in range(args.alerts)])
            add_user(session, "bench-admin", "admin", now)
            token = issue_api_token(session, "bench-admin", timedelta(days=1), now)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        app = create_app(CollectorConfig(db_url=url), db)
        times = []
        with TestClient(app) as client:
            for _ in range(args.scrapes):
                started = time.perf_counter()
                answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
        result = {"median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000,
                  "bytes": len(answer.content)}
        print(f"  {db.engine.dialect.name}: scrape median {result['median_ms']:.1f} ms, slowest "
              f"{result['max_ms']:.1f} ms, {result['bytes']} bytes", file=sys.stderr)
        return {k: round(v, 1) for k, v in result.items()}
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=200_000)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result: dict[str, object] = {"machines": args.machines, "alerts": args.alerts}
    with tempfile.TemporaryDirectory() as folder:
        result["sqlite"] = measure(f"sqlite:///{folder}/bench.db", args)
    if not args.sqlite_only:
        base = os.environ.get("CANHGAC_TEST_PG_URL", DEFAULT_PG)
        result["postgresql"] = with_fresh_pg_schema(base, lambda url: measure(url, args))
    print(json.dumps(result) if args.json else
          "; ".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
