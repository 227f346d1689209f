"""Reorganisation benchmark: the 2025 reform on a province of 10,000 units and 200,000 machines.

The province has ``--districts`` districts of communes with their offices (10,000 units in all) and
the machines spread over the offices and communes, with their readiness rows and ``--programs``
installed product names each, bulk-inserted into the tables ingest writes. Then, each one
transaction as ``canhgac units move|merge|retire`` runs it (collector.store.reorganisation/merge):

- a whole district (its communes, offices and machines) moved under another district, and back;
- one district's communes moved directly under the province (one ``move`` per commune, one
  transaction);
- every remaining commune moved under the province in ONE transaction (every stored path of the
  province rewritten: the worst case);
- three communes merged into one (a typical merge), timed over ``--merges`` merges;
- a district retired.

    python bench/units.py [--units 10000] [--machines 200000] [--programs 20] [--sqlite-only] [--json]

PostgreSQL comes from CANHGAC_TEST_PG_URL (or postgresql+psycopg://postgres@127.0.0.1:5432/test),
in a fresh schema dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pg_schema import with_fresh_pg_schema  # bench/ is the script's own folder

from collector.db import Database, open_database
from collector.models.machines import Machine
from collector.models.products import MachineProduct, ProductName
from collector.models.readiness import MachineReadiness
from collector.models.units import Unit
from collector.store.merge import merge_units
from collector.store.reorganisation import move_unit, retire_unit

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAY = date(2025, 7, 1)


def build(db: Database, units: int, machines: int, districts: int, programs: int, now: datetime) -> dict[str, list]:
    """P > districts > communes > offices (a third of the units are communes); machines in the
    communes and offices. Returns the communes of each district."""
    communes_n = (units - 1 - districts) // 3
    rows = [_unit(1, "P", "province", None, "/1/", now)]
    rows += [_unit(2 + d, f"D{d}", "district", 1, f"/1/{2 + d}/", now) for d in range(districts)]
    first = 2 + districts
    by_district: dict[str, list] = {f"D{d}": [] for d in range(districts)}
    paths = {r["id"]: r["path"] for r in rows}
    for c in range(communes_n):
        unit_id, parent = first + c, 2 + c % districts
        paths[unit_id] = f"{paths[parent]}{unit_id}/"
        rows.append(_unit(unit_id, f"C{c}", "commune", parent, paths[unit_id], now))
        by_district[f"D{c % districts}"].append(f"C{c}")
    for o in range(first + communes_n, units + 1):
        parent = first + o % communes_n
        paths[o] = f"{paths[parent]}{o}/"
        rows.append(_unit(o, f"O{o}", "office", parent, paths[o], now))
    with db.session() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Unit), rows[start:start + 5000])
        session.execute(insert(ProductName), [{"id": p + 1, "name": f"Program {p}"} for p in range(programs * 10)])
    holders = [r["id"] for r in rows if r["kind"] in ("commune", "office")]
    for start in range(1, machines + 1, 10000):
        ids = range(start, min(start + 10000, machines + 1))
        placed = {m: holders[m % len(holders)] for m in ids}
        with db.session() as session:
            session.execute(insert(Machine), [
                {"id": m, "machine_uid": f"m{m}", "unit_id": placed[m], "hostname": f"pc{m}", "role": "normal",
                 "os_name": "Windows 11", "created_at": now, "state_sequence": 0} for m in ids])
            session.execute(insert(MachineReadiness), [
                {"machine_id": m, "unit_id": placed[m], "unit_path": paths[placed[m]], "role": "normal",
                 "seen_at": now, "updated_at": now, "detail_json": "{}", "av_installed": m % 3 > 0} for m in ids])
            session.execute(insert(MachineProduct), [
                {"machine_id": m, "product_id": 1 + (m + p * 7) % (programs * 10), "unit_id": placed[m]}
                for m in ids for p in range(programs)])
    return by_district


def _unit(unit_id: int, code: str, kind: str, parent: int | None, path: str, now: datetime) -> dict[str, object]:
    return {"id": unit_id, "code": code, "name": f"{kind} {code}", "kind": kind, "parent_id": parent, "path": path,
            "staff_count": 10, "created_at": now}


def timed(db: Database, work) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with db.session() as session:
        work(session)
    return time.perf_counter() - started


def measure(url: str, args: argparse.Namespace) -> dict[str, float]:
    db = open_database(url)
    try:
        now = datetime.now(UTC)
        started = time.perf_counter()
        by_district = build(db, args.units, args.machines, args.districts, args.programs, now)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        print(f"  {db.engine.dialect.name}: built {args.units} units, {args.machines} machines x {args.programs} "
              f"programs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        result = {}
        first = by_district.pop("D0")
        result["move_a_whole_district_s"] = timed(db, lambda s: move_unit(s, "D1", "D2", now, "bench"))
        result["move_it_back_s"] = timed(db, lambda s: move_unit(s, "D1", "P", now, "bench"))
        result["move_one_district_s"] = timed(db, lambda s: [move_unit(s, c, "P", now, "bench") for c in first])
        rest = [c for communes in by_district.values() for c in communes]
        result["move_every_commune_s"] = timed(db, lambda s: [move_unit(s, c, "P", now, "bench") for c in rest])
        with db.session() as session:
            districts = select(Unit.id).where(Unit.kind == "district").scalar_subquery()
            deep = session.scalar(select(func.count()).select_from(MachineReadiness).join(
                Unit, Unit.id == MachineReadiness.unit_id).where(Unit.kind == "commune", Unit.parent_id.in_(districts)))
        merges = []
        for i in range(min(args.merges, len(first) // 3)):
            trio = first[3 * i:3 * i + 3]
            merges.append(timed(db, lambda s, trio=trio: merge_units(s, trio[1:], trio[0], DAY, now, "bench")))
        result["merge_three_communes_s"] = statistics.median(merges)
        result["retire_district_s"] = timed(db, lambda s: retire_unit(s, "D0", DAY, now, "bench"))
        print(f"  {db.engine.dialect.name}: " + ", ".join(f"{k} {v:.3f}" for k, v in result.items())
              + f" (machines of communes still under a district: {deep})", file=sys.stderr)
        return {k: round(v, 3) for k, v in result.items()}
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--machines", type=int, default=200_000)
    parser.add_argument("--districts", type=int, default=30)
    parser.add_argument("--programs", type=int, default=20)
    parser.add_argument("--merges", type=int, default=5)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--json", action="store_true", help="Print one JSON object")
    args = parser.parse_args()
    result: dict[str, object] = {"units": args.units, "machines": args.machines, "programs": args.programs}
    with tempfile.TemporaryDirectory() as folder:
        result["sqlite"] = measure(f"sqlite:///{folder}/bench.db", args)
    if not args.sqlite_only:
        base = os.environ.get("CANHGAC_TEST_PG_URL", DEFAULT_PG)
        result["postgresql"] = with_fresh_pg_schema(base, lambda url: measure(url, args))
    if args.json:
        print(json.dumps(result))
        return
    for backend in ("sqlite", "postgresql"):
        if backend in result:
            print(f"{backend}: " + ", ".join(f"{k} {v} s" for k, v in result[backend].items()))  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
