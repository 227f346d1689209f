"""Scheduled-scan benchmark: N machines with stored reports bulk-inserted straight into the tables,
then the machine and unit rules of ``scan_all`` (no network parts) as the scheduler runs them:

1. the first scan (every machine judged: no marks yet) - the full sweep;
2. 15 minutes later, nothing changed - the incremental scan's floor;
3. 1 % of the machines reported meanwhile - judged again, the others not;
4. a day later - the machines whose ages crossed a rule's threshold.

    python bench/scan.py [--machines 10000 100000 200000] [--postgresql] [--json]

Prints seconds (wall and this process's CPU), machines and units judged, and each step's cost as a ratio of
the full sweep of the same run; and the process's peak RSS so far (the sizes run in one process).
SQLite in a temporary folder by default; --postgresql works in a fresh schema of
CANHGAC_TEST_PG_URL (or postgresql+psycopg://postgres@127.0.0.1:5432/test).
No network: traffic stays in the process and the local database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pg_schema import with_fresh_pg_schema  # bench/ is the script's own folder

from agent.wire.schema import encode_report
from collector.db import Database, open_database
from collector.judging.rules import load_rules
from collector.judging.scan import scan_all
from collector.models.machines import Machine
from collector.models.units import Unit
from server.demo_fleet import demo_machines, demo_report

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
COMMUNES = 100
VARIANTS = 200


def build(db: Database, machines: int) -> None:
    """A province, 100 communes, an office per 20 machines; reports drawn from the demo's PCs."""
    offices = max(1, machines // 20)
    rows = [{"id": 1, "code": "P", "name": "Tỉnh", "kind": "province", "parent_id": None, "path": "/1/",
             "staff_count": 0, "created_at": NOW}]
    rows += [{"id": c, "code": f"C{c}", "name": f"Xã {c}", "kind": "commune", "parent_id": 1, "path": f"/1/{c}/",
              "staff_count": 5, "created_at": NOW} for c in range(2, COMMUNES + 2)]
    office_ids = list(range(COMMUNES + 2, COMMUNES + 2 + offices))
    rows += [{"id": o, "code": f"O{o}", "name": f"Văn phòng {o}", "kind": "office", "parent_id": 2 + o % COMMUNES,
              "path": f"/1/{2 + o % COMMUNES}/{o}/", "staff_count": 20, "created_at": NOW} for o in office_ids]
    with db.session() as session:
        session.execute(insert(Unit), rows)
    rng = random.Random(5)
    pcs = demo_machines()
    bodies = [encode_report(demo_report(pcs[i % len(pcs)], f"agent-{i}", 1, NOW - timedelta(hours=rng.randint(0, 90)),
                                        rng)).decode() for i in range(VARIANTS)]
    for start in range(1, machines + 1, 10000):
        ids = range(start, min(start + 10000, machines + 1))
        with db.session() as session:
            session.execute(insert(Machine), [
                {"id": m, "machine_uid": f"m{m}", "unit_id": office_ids[m % offices], "hostname": f"pc{m}",
                 "role": "normal", "os_name": "Windows 11", "created_at": NOW - timedelta(days=30),
                 "last_seen_at": NOW - timedelta(minutes=rng.randint(0, 5 * 24 * 60)), "state_sequence": 1,
                 "state_json": bodies[m % VARIANTS]} for m in ids])


def timed(db: Database, now: datetime, rules: object) -> dict[str, float]:
    started, cpu = time.perf_counter(), time.process_time()
    summary = scan_all(db, now, rules, network=False)  # type: ignore[arg-type]
    return {"wall_s": round(time.perf_counter() - started, 3), "cpu_s": round(time.process_time() - cpu, 3),
            "judged": summary.judged, "machines": summary.machines, "units_judged": summary.units_judged,
            "units": summary.units, "changes": summary.changes}


def measure(url: str, machines: int) -> dict[str, object]:
    db = open_database(url)
    rules = load_rules(None)
    try:
        started = time.perf_counter()
        build(db, machines)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        built = time.perf_counter() - started
        steps = {"full": timed(db, NOW, rules), "unchanged": timed(db, NOW + timedelta(minutes=15), rules)}
        changed = range(1, machines + 1, 100)
        with db.session() as session:
            session.execute(update(Machine).where(Machine.id.in_(list(changed)))
                            .values(state_sequence=2, last_seen_at=NOW + timedelta(minutes=20)))
        steps["one_percent_reported"] = timed(db, NOW + timedelta(minutes=30), rules)
        steps["a_day_later"] = timed(db, NOW + timedelta(days=1, minutes=30), rules)
        full = steps["full"]["cpu_s"] or 1e-9
        for step in steps.values():
            step["cpu_ratio_to_full"] = round(step["cpu_s"] / full, 3)
        return {"db": db.engine.dialect.name, "machines": machines, "built_s": round(built, 1), **steps,
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, nargs="+", default=[10_000])
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for machines in args.machines:
        if args.postgresql:
            result = with_fresh_pg_schema(os.environ.get("CANHGAC_TEST_PG_URL", DEFAULT_PG),
                                          lambda url, n=machines: measure(url, n))
        else:
            with tempfile.TemporaryDirectory() as folder:
                result = measure(f"sqlite:///{folder}/bench.db", machines)
        if args.json:
            print(json.dumps(result))
            continue
        print(f"{result['db']} {machines} machines (built in {result['built_s']} s, peak RSS so far "
              f"{result['peak_rss_mib']} MiB):")
        for name in ("full", "unchanged", "one_percent_reported", "a_day_later"):
            step = result[name]
            assert isinstance(step, dict)
            print(f"  {name:22} {step['wall_s']:8.2f} s wall, {step['cpu_s']:8.2f} s CPU, judged {step['judged']:>7}"
                  f" of {step['machines']} machines, {step['units_judged']:>5} of {step['units']} units,"
                  f" {step['changes']:>7} alert changes, CPU ratio to full "
                  f"{step['cpu_ratio_to_full']}")


if __name__ == "__main__":
    main()
