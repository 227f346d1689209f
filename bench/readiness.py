"""Readiness rollup benchmark: 200,000 machines in 10,000 units (a province, 100 communes, the
rest offices), bulk-inserted straight into the tables, then the time of a full province rollup
(``readiness_table`` for the province: the SQL aggregate, the tree rollup, every child's figures)
on SQLite and on PostgreSQL.

    python bench/readiness.py [--machines 200000] [--units 10000] [--repeat 3] [--sqlite-only] [--json]

PostgreSQL comes from CANHGAC_TEST_PG_URL (or postgresql+psycopg://postgres@127.0.0.1:5432/test),
in a fresh schema dropped afterwards. The figure printed is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pg_schema import with_fresh_pg_schema  # bench/ is the script's own folder

from collector.db import Database, open_database
from collector.models.machines import Machine
from collector.models.readiness import MachineReadiness
from collector.models.units import Unit
from collector.store.readiness_report import readiness_table
from collector.store.scope import EVERYTHING

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COMMUNES = 100
FLAGS = ("has_lan", "has_internet", "has_dedicated_line", "av_installed", "av_licensed", "av_up_to_date",
         "os_activated", "backup_ok", "hardware_ok", "has_scanner", "has_signing_cert", "offline_isolated")


def build(db: Database, machines: int, units: int, now: datetime) -> None:
    """The province, its communes and offices, and the machines spread over the offices."""
    rng = random.Random(7)
    rows = [{"id": 1, "code": "P", "name": "Tỉnh", "kind": "province", "parent_id": None, "path": "/1/",
             "staff_count": 0, "created_at": now}]
    rows += [{"id": c, "code": f"C{c}", "name": f"Xã {c}", "kind": "commune", "parent_id": 1, "path": f"/1/{c}/",
              "staff_count": 5, "created_at": now} for c in range(2, COMMUNES + 2)]
    offices = list(range(COMMUNES + 2, units + 1))
    parents = {o: 2 + (o % COMMUNES) for o in offices}
    rows += [{"id": o, "code": f"O{o}", "name": f"Văn phòng {o}", "kind": "office", "parent_id": parents[o],
              "path": f"/1/{parents[o]}/{o}/", "staff_count": 20, "created_at": now} for o in offices]
    paths = {r["id"]: r["path"] for r in rows}
    with db.session() as session:
        session.execute(insert(Unit), rows)
    seen_old = now - timedelta(days=200)
    for start in range(1, machines + 1, 20000):
        ids = range(start, min(start + 20000, machines + 1))
        placed = {m: offices[m % len(offices)] for m in ids}
        with db.session() as session:
            session.execute(insert(Machine), [
                {"id": m, "machine_uid": f"m{m}", "unit_id": placed[m], "hostname": f"pc{m}", "role": "normal",
                 "os_name": "Windows 11", "created_at": now, "state_sequence": 0,
                 # what the machine list searches besides the host name (collector.store.machine_search)
                 "search_text": f"sn-{m:08d} 00:1a:2b:{m >> 16 & 255:02x}:{m >> 8 & 255:02x}:{m & 255:02x} "
                                f"10.{m >> 16 & 255}.{m >> 8 & 255}.{m & 255} office\\user{m}"} for m in ids])
            session.execute(insert(MachineReadiness), [
                {"machine_id": m, "unit_id": placed[m], "unit_path": paths[placed[m]],
                 "role": "offline" if m % 20 == 0 else "normal", "seen_at": seen_old if m % 97 == 0 else now,
                 "updated_at": now, "via_network": m % 20 != 0, "detail_json": "{}",
                 **{flag: (None if rng.random() < 0.02 else rng.random() < 0.9) for flag in FLAGS}} for m in ids])


def measure(url: str, machines: int, units: int, repeat: int) -> float:
    db = open_database(url)
    try:
        now = datetime.now(UTC)
        started = time.perf_counter()
        build(db, machines, units, now)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        print(f"  built {machines} machines in {units} units in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            with db.session() as session:
                table = readiness_table(session, EVERYTHING, "P", now)
            best = min(best, time.perf_counter() - started)
        in_use = table.unit.figures["av_installed"].d
        print(f"  {db.engine.dialect.name}: province rollup {best:.3f} s ({len(table.children)} communes, "
              f"av_installed {table.unit.figures['av_installed'].text}, {in_use} machines in use)", file=sys.stderr)
        return best
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=200_000)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--json", action="store_true", help="Print one JSON object")
    args = parser.parse_args()
    if args.units < COMMUNES + 2:
        parser.error(f"--units must be at least {COMMUNES + 2}")
    result: dict[str, object] = {"machines": args.machines, "units": args.units}
    with tempfile.TemporaryDirectory() as folder:
        result["sqlite_s"] = round(measure(f"sqlite:///{folder}/bench.db", args.machines, args.units,
                                           args.repeat), 3)
    if not args.sqlite_only:
        base = os.environ.get("CANHGAC_TEST_PG_URL", DEFAULT_PG)
        result["postgresql_s"] = round(with_fresh_pg_schema(
            base, lambda url: measure(url, args.machines, args.units, args.repeat)), 3)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"province rollup of {args.machines} machines in {args.units} units: SQLite {result['sqlite_s']} s"
              + (f", PostgreSQL {result['postgresql_s']} s" if "postgresql_s" in result else ""))


if __name__ == "__main__":
    main()
