"""Dashboard benchmark: the readiness benchmark's 200,000 machines in 10,000 units (bench/readiness.py
builds them) plus open alerts, on SQLite, then the time to render pages through the real app
(Litestar TestClient, signed in as a province-wide admin): the overview (the province's readiness
with one row per commune and the open alerts by severity) and machine list pages. Target: < 500 ms.

    python bench/dashboard.py [--machines 200000] [--units 10000] [--alerts 20000] [--repeat 5] [--json]

The figure printed per page is the median of ``--repeat`` renders after the first; the first (cold)
render is printed too. The overview pages keep a unit's readiness table for 60 s
(server/web/cache.py), so their cold render pays the province rollup (bench/readiness.py) and the
median does not; list pages have no cache.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from readiness import build  # noqa: E402  (bench/readiness.py: the same province)

from collector.alert_models import Alert  # noqa: E402
from collector.config import CollectorConfig  # noqa: E402
from collector.db import Database, open_database  # noqa: E402
from collector.store.people import add_user  # noqa: E402

PAGES = {"overview": "/", "commune overview": "/units/C7", "machines, page 1": "/machines",
         "machines, page 2,000": "/machines?p=2000", "machines of one commune": "/machines?unit=C7",
         "machines by name": "/machines?q=pc19999", "alerts, open": "/alerts"}
PASSWORD = "bench-password"


def add_alerts(db: Database, count: int, machines: int, now: datetime) -> None:
    severities = ("critical", "high", "medium", "low")
    with db.session() as session:
        for start in range(0, count, 10_000):
            rows = []
            for i in range(start, min(start + 10_000, count)):
                machine = 1 + (i * 7919) % machines
                rows.append({"rule_id": f"bench.rule{i % 12}", "subject": f"machine:{machine}:{i}",
                             "unit_id": 102 + machine % 9_000, "machine_id": machine, "status": "open",
                             "severity": severities[i % 4], "title": "Cảnh báo thử / Bench alert", "detail": "",
                             "count": 1, "first_seen_at": now, "last_seen_at": now - timedelta(seconds=i),
                             "opened_at": now})
            session.execute(insert(Alert), rows)


def sign_in(client) -> None:  # type: ignore[no-untyped-def]
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"csrf": token, "name": "bench-admin", "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def measure(url: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    from argon2 import PasswordHasher
    from litestar.testing import TestClient

    from server.app import create_app

    db = open_database(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    build(db, args.machines, args.units, now)
    add_alerts(db, args.alerts, args.machines, now)
    with db.session() as session:
        add_user(session, "bench-admin", "admin", now, None, PasswordHasher().hash(PASSWORD))
    print(f"  built {args.machines} machines in {args.units} units, {args.alerts} open alerts in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    results: dict[str, dict[str, float]] = {}
    try:
        with TestClient(create_app(CollectorConfig(db_url=url), db)) as client:
            sign_in(client)
            for name, path in PAGES.items():
                times = []
                for _ in range(args.repeat + 1):
                    begun = time.perf_counter()
                    response = client.get(path)
                    times.append(time.perf_counter() - begun)
                    assert response.status_code == 200, (path, response.status_code, response.text[:500])
                results[name] = {"cold_ms": round(times[0] * 1000, 1),
                                 "median_ms": round(statistics.median(times[1:]) * 1000, 1),
                                 "kb": round(len(response.content) / 1024, 1)}
                print(f"  {name:26} {path:22} median {results[name]['median_ms']:7.1f} ms  "
                      f"(cold {results[name]['cold_ms']:.1f} ms, {results[name]['kb']} KiB)", file=sys.stderr)
    finally:
        db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=200_000)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="Print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = measure(f"sqlite:///{folder}/bench.db", args)
    if args.json:
        print(json.dumps({"machines": args.machines, "units": args.units, "sqlite": results}))
    else:
        slowest = max(results.items(), key=lambda item: item[1]["median_ms"])
        print(f"dashboard on SQLite, {args.machines} machines: every page's median under "
              f"{slowest[1]['median_ms']:.0f} ms (slowest: {slowest[0]})")


if __name__ == "__main__":
    main()
