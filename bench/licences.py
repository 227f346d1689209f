"""Licence register benchmark: installs against seats at province scale, on SQLite.

    python bench/licences.py [--machines 20000] [--communes 200] [--programs 150] [--repeat 5] [--json]

Builds a province of ``--communes`` communes whose machines each list ``--programs`` installed
programs (drawn from a shared vocabulary of real-looking names) and one antivirus, with their
product names in the tables ingest writes (collector.store.products), and a register of
one province-wide entry plus one entry per commune (more than one page): half of them the
commune's own antivirus, half one office program. The vocabulary's vendor names make nearly
every machine match "Kaspersky*" (a worst case: ~8 matching names per machine). Then it renders the
licences page (/licences, 50 entries with their installs) through the real app, signed in
province-wide, and prints the cold and median times. For comparison it also prints how long it
takes only to read the product names out of every stored report of the province, which is what
the page did before revision 0007 (decoding reports), before any counting.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.wire.schema import Antivirus, AntivirusProduct, Identity, Program, Report, Software, encode_report  # noqa: E402
from collector.config import CollectorConfig  # noqa: E402
from collector.db import Database, open_database  # noqa: E402
from collector.models.licences import LicenceEntry
from collector.models.machines import Machine
from collector.models.products import MachineProduct  # noqa: E402
from collector.models.units import Unit
from collector.store.people import add_user  # noqa: E402
from collector.store.products import name_ids, stored_product_names  # noqa: E402

PASSWORD = "bench-password"
VENDORS = ("Microsoft", "Adobe", "Google", "Mozilla", "Oracle", "VNPT", "Viettel", "Zalo Group", "Foxit", "7-Zip",
           "WinRAR", "TeamViewer", "UltraViewer", "Kaspersky", "BKAV", "ESET", "Unikey", "VLC", "Notepad++", "Zoom")
ANTIVIRUS = ("Kaspersky Endpoint Security 12.3", "BKAV Pro Internet Security", "Windows Defender")


def vocabulary(size: int) -> list[str]:
    return [f"{VENDORS[i % len(VENDORS)]} Product {i:04d} {i % 9}.{i % 4} (x64)" for i in range(size)]


def build(db: Database, machines: int, communes: int, programs: int, now: datetime) -> None:
    rng = random.Random(11)
    names = vocabulary(3_000)
    units = [{"id": 1, "code": "P", "name": "Tỉnh", "kind": "province", "parent_id": None, "path": "/1/",
              "staff_count": 0, "created_at": now}]
    units += [{"id": c, "code": f"C{c}", "name": f"Xã {c}", "kind": "commune", "parent_id": 1, "path": f"/1/{c}/",
               "staff_count": 16, "created_at": now} for c in range(2, communes + 2)]
    with db.session() as session:
        session.execute(insert(Unit), units)
        session.execute(insert(LicenceEntry), [
            {"product": "Kaspersky (toàn tỉnh)", "pattern": "Kaspersky*", "seats": machines // 2, "unit_id": 1,
             "expires_on": date(2027, 12, 31), "created_at": now}] + [
            {"product": f"Kaspersky xã {c}" if c % 2 else f"Bộ văn phòng xã {c}",
             "pattern": "Kaspersky*" if c % 2 else f"Microsoft Product {c * 20 % 3000:04d}*", "seats": 20,
             "unit_id": c, "expires_on": date(2027, 12, 31), "created_at": now} for c in range(2, communes + 2)])
    for start in range(1, machines + 1, 2_000):
        rows = []
        for m in range(start, min(start + 2_000, machines + 1)):
            report = Report(identity=Identity(machine_uid=f"m{m}", hostname=f"pc{m}", collected_at=now),
                            antivirus=Antivirus(products=[AntivirusProduct(name=rng.choice(ANTIVIRUS))]),
                            software=Software(programs=[Program(name=n) for n in rng.sample(names, programs)]))
            rows.append({"id": m, "machine_uid": f"m{m}", "unit_id": 2 + m % communes, "hostname": f"pc{m}",
                         "role": "normal", "created_at": now, "state_sequence": 1,
                         "state_json": encode_report(report).decode()})
        with db.session() as session:
            session.execute(insert(Machine), rows)
            listed = {row["id"]: stored_product_names(row["state_json"]) for row in rows}
            ids = name_ids(session, set().union(*listed.values()))
            session.execute(insert(MachineProduct), [
                {"machine_id": m, "product_id": ids[n], "unit_path": f"/1/{2 + m % communes}/"}
                for m, names_of in listed.items() for n in names_of])


def decode_all(db: Database) -> float:
    """Seconds to read the names out of every stored report (the old page's floor)."""
    started = time.perf_counter()
    with db.session() as session:
        for (state,) in session.execute(select(Machine.state_json).where(Machine.state_json.is_not(None))):
            stored_product_names(state)
    return time.perf_counter() - started


def measure(url: str, args: argparse.Namespace) -> dict[str, float]:
    import logging

    from argon2 import PasswordHasher
    from litestar.testing import TestClient

    from server.app import create_app

    logging.getLogger("httpx").setLevel(logging.WARNING)
    db = open_database(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    build(db, args.machines, args.communes, args.programs, now)
    with db.session() as session:
        add_user(session, "bench-admin", "admin", now, None, PasswordHasher().hash(PASSWORD))
    print(f"  built {args.machines} machines x {args.programs} programs in {args.communes} communes in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    try:
        with TestClient(create_app(CollectorConfig(db_url=url), db)) as client:
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
            client.post("/login", data={"csrf": token, "name": "bench-admin", "password": PASSWORD})
            times = []
            for _ in range(args.repeat + 1):
                begun = time.perf_counter()
                response = client.get("/licences")
                times.append(time.perf_counter() - begun)
                assert response.status_code == 200, response.text[:500]
            assert "Kaspersky (toàn tỉnh)" in response.text
        old = decode_all(db)
    finally:
        db.dispose()
    return {"cold_ms": round(times[0] * 1000, 1), "median_ms": round(statistics.median(times[1:]) * 1000, 1),
            "decode_all_reports_ms": round(old * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=20_000)
    parser.add_argument("--communes", type=int, default=200)
    parser.add_argument("--programs", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="Print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = measure(f"sqlite:///{folder}/bench.db", args)
    if args.json:
        print(json.dumps({"machines": args.machines, "programs": args.programs, "sqlite": result}))
        return
    print(f"licences page on SQLite, {args.machines} machines x {args.programs} programs: median "
          f"{result['median_ms']:.0f} ms (cold {result['cold_ms']:.0f} ms); only decoding every stored report's "
          f"names, as the page did before: {result['decode_all_reports_ms']:.0f} ms")


if __name__ == "__main__":
    main()
