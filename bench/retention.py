"""A year of reports on a commune box: bytes per PC-year before and after thinning and shared sections.

``--pcs`` PCs report every 15 minutes for ``--days`` days, the clock moved, not waited for. Each
report is realistic in size and in how it changes (150 programs with versions, publishers and install
dates; disks whose free space moves at every report; antivirus signatures updated daily; reachability
latencies different every time; local accounts' last logon, OS updates, users' last use; two
certificates): a program is updated on one day in ten, a new one installed every month.

- before: what the collector of main stored, every report whole (zlib), nothing thinned;
- after: the store of this branch through ingest's own steps (decode, sections filled in from the
  hash-only sections the agent leaves out when the collector acknowledged them, store; no signature
  check and no judging, whose rows are per machine, not per report), with the scheduled scan's
  thinning once a simulated day (keep_all_days 30, keep_daily_days 400).

It prints the database's size (after VACUUM, so freed pages are not counted) and bytes per PC-year,
on SQLite and PostgreSQL, and how often each section changed.

    python bench/retention.py [--pcs 2] [--days 365] [--sqlite-only | --postgresql-only] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import zlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
from sqlalchemy import insert, text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pg_schema import with_fresh_pg_schema  # bench/ is the script's own folder

from agent.wire.schema import (
    Antivirus,
    AntivirusProduct,
    Backup,
    BackupSource,
    Certificate,
    Certificates,
    Disk,
    EnrollRequest,
    Hardening,
    Hardware,
    Identity,
    InteractiveUser,
    Interface,
    Licence,
    LocalAccount,
    Network,
    NetworkProfile,
    Peripheral,
    Program,
    Reachability,
    ReachKind,
    Report,
    Software,
    Users,
    decode_report,
    encode_report,
)
from agent.wire.sections import compact, section_digest, shared_sections
from collector.db import Database, open_database
from collector.intake.expand import expand_unchanged
from collector.models.machines import Machine
from collector.models.reports import StoredReport
from collector.retention import RetentionPolicy
from collector.store.database import database_bytes
from collector.store.enrollment import create_enrollment_token, enroll
from collector.store.reports import find_agent, store_report
from collector.store.retention import prune_reports
from collector.store.units import add_unit

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = datetime(2025, 7, 1, tzinfo=UTC)
STEP = timedelta(minutes=15)
DRIVES = ("C:\\", "D:\\")
PUBLISHERS = ("Microsoft Corporation", "Google LLC", "Adobe Inc.", "VNG Corporation", "Kaspersky", "Oracle")


class PC:
    """One simulated office PC: what it reports and how that changes over time."""

    def __init__(self, index: int) -> None:
        self.rng = random.Random(index)
        self.index = index
        self.programs = [Program(name=f"{self.rng.choice(('Microsoft', 'Adobe', 'Zalo', 'VNPT', 'Foxit'))} App {i}",
                                 version=f"{self.rng.randint(1, 30)}.{self.rng.randint(0, 9)}."
                                         f"{self.rng.randint(0, 999)}",
                                 publisher=self.rng.choice(PUBLISHERS),
                                 installed_on=date(2024, 1, 1) + timedelta(days=self.rng.randint(0, 500)))
                         for i in range(150)]
        self.free = [200 * 2**30, 400 * 2**30]
        self.last_update = START - timedelta(days=3)

    def next_day(self, day: date) -> None:
        if self.rng.random() < 0.1:  # a program updated on one day in ten
            i = self.rng.randrange(len(self.programs))
            self.programs[i] = msgspec.structs.replace(self.programs[i], version=f"{self.rng.randint(31, 99)}.0")
        if day.day == 1:  # a new program every month
            self.programs.append(Program(name=f"New App {day}", version="1.0", publisher="VNG Corporation",
                                         installed_on=day))
        if day.weekday() == 2:  # Patch Tuesday's updates, installed the next day
            self.last_update = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=3)

    def report(self, agent_id: str, sequence: int, at: datetime) -> Report:
        self.free = [max(2**30, f + self.rng.randint(-50, 40) * 2**20) for f in self.free]
        day_start = datetime.combine(at.date(), datetime.min.time(), UTC)
        return Report(
            identity=Identity(agent_id=agent_id, machine_uid=f"uid-{self.index}", hostname=f"UBND-PC{self.index:02d}",
                              unit_code="XA", os_name="Windows", os_version="10.0.19045", os_build="19045.5131",
                              boot_time=day_start + timedelta(hours=1), agent_version="0.1.0", sequence=sequence,
                              collected_at=at),
            hardware=Hardware(manufacturer="Dell Inc.", model="OptiPlex 3080", serial=f"SN{self.index:06d}",
                              bios_release_date=date(2021, 3, 1), cpu_model="Intel(R) Core(TM) i5-10500",
                              cpu_cores=6, ram_bytes=8 * 2**30,
                              disks=[Disk(device=f"\\\\.\\PHYSICALDRIVE{i}", mountpoint=m, fstype="NTFS",
                                          total_bytes=500 * 2**30, free_bytes=f, model="WDC WD5000", media="hdd",
                                          health="healthy")
                                     for i, (m, f) in enumerate(zip(DRIVES, self.free, strict=True))],
                              peripherals=[Peripheral(kind="printer", name="Canon LBP2900")]),
            antivirus=Antivirus(products=[AntivirusProduct(
                name="Kaspersky Endpoint Security for Windows", vendor="Kaspersky", enabled=True, realtime_on=True,
                signatures_up_to_date=True, signatures_date=day_start,
                signatures_age_days=round((at - day_start).total_seconds() / 86400, 3),
                signature_version=f"{at:%Y%m%d}", state_raw="266240")]),
            licence=Licence(os_activated=True, os_licence_status="licensed", os_partial_key="3V66T",
                            os_product="Windows(R), Professional edition", os_licence_channel="OEM:DM"),
            network=Network(interfaces=[Interface(name="Ethernet", mac=f"00:11:22:33:44:{self.index:02x}",
                                                  addresses=[f"192.168.1.{10 + self.index}"], is_up=True, carrier=True,
                                                  wireless=False, speed_mbps=1000, dhcp=True)],
                            default_gateway="192.168.1.1", dns_servers=["192.168.1.1"],
                            reachability=[Reachability(target=t, kind=k, method="tcp", reachable=True,
                                                       latency_ms=round(self.rng.uniform(1, 80), 2))
                                          for t, k in (("192.168.1.1:443", ReachKind.GATEWAY),
                                                       ("dns.google:443", ReachKind.INTERNET),
                                                       ("10.0.0.10:443", ReachKind.DEDICATED_LINE))],
                            profiles=[NetworkProfile(name="Network 2", kind="wired", source="NetworkList")],
                            reachability_status={k: "probed" for k in ReachKind}),
            backup=Backup(sources=[BackupSource(kind="folder", location="D:\\SaoLuu",
                                                last_success=day_start + timedelta(hours=1), size_bytes=3 * 2**30)]),
            certificates=Certificates(certificates=[Certificate(subject=f"CN=Cán bộ {i}, O=UBND xã A",
                                                                issuer="CN=Vietnam Government CA", serial=f"54{i:06d}",
                                                                not_before=datetime(2024, 5, 1, tzinfo=UTC),
                                                                not_after=datetime(2027, 5, 1, tzinfo=UTC),
                                                                store="CurrentUser\\My")
                                                    for i in range(2)]),
            software=Software(programs=list(self.programs)),
            hardening=Hardening(firewall_enabled={"domain": True, "private": True, "public": True},
                                last_os_update=self.last_update, screen_lock_timeout_s=600, autorun_disabled=True,
                                smb1_enabled=False, disk_encrypted=False,
                                local_accounts=[LocalAccount(name="Administrator", enabled=False, admin=True),
                                                LocalAccount(name="canbo", enabled=True, admin=False,
                                                             last_logon=day_start + timedelta(hours=1))]),
            users=Users(users=[InteractiveUser(name="UBND\\canbo", signed_in=True,
                                               last_use=day_start + timedelta(hours=1), source="profile")]),
        )


def simulate(db: Database, pcs: int, days: int, after: bool) -> dict[str, object]:
    with db.session() as s:
        add_unit(s, "XA", "UBND xã A", "commune", START)
        token = create_enrollment_token(s, "XA", timedelta(days=1), START)[0]
        agents = [enroll(s, EnrollRequest(token=token, machine_uid=f"uid-{i}", hostname=f"pc-{i}"), START)
                  for i in range(pcs)]
    machines = [PC(i) for i in range(pcs)]
    acked: list[dict[str, str]] = [{} for _ in range(pcs)]
    changes: Counter[str] = Counter()
    previous: list[dict[str, str]] = [{} for _ in range(pcs)]
    policy, sent_bytes, started = RetentionPolicy(), 0, time.perf_counter()
    for day in range(days):
        today = (START + timedelta(days=day)).date()
        for pc in machines:
            pc.next_day(today)
        with db.session() as s:
            for i, pc in enumerate(machines):
                credentials = find_agent(s, agents[i].agent_id)
                assert credentials is not None
                for slot in range(96):
                    at = START + timedelta(days=day) + slot * STEP
                    sequence = day * 96 + slot + 1
                    body = encode_report(pc.report(agents[i].agent_id, sequence, at))
                    digests = {n: section_digest(raw) for n, raw in shared_sections(body).items()}
                    changes.update(n for n, d in digests.items() if previous[i].get(n) != d)
                    changes.update(["reports"])
                    hardware = shared_hardware(body)
                    changes.update(["hardware"] if previous[i].get("hardware") != hardware else [])
                    previous[i] = {**digests, "hardware": hardware}
                    if after:
                        sent = compact(body, acked[i])
                        wire = sent[0] if sent else body
                        report = decode_report(wire)
                        whole, state = expand_unchanged(s, report, wire)
                        store_report(s, credentials, whole, wire, at, state_body=state, left_out=report.unchanged)
                        acked[i] = digests
                    else:
                        wire = body
                        _store_before(s, credentials, body, sequence, at)
                    sent_bytes += len(zlib.compress(wire, 6))
        if after:
            prune_reports(db, START + timedelta(days=day + 1), policy, max_seconds=600)
    return {"changes": dict(changes), "sent_gzip_bytes_per_report": round(sent_bytes / max(1, changes["reports"])),
            "seconds": round(time.perf_counter() - started, 1)}


def shared_hardware(body: bytes) -> str:
    class _Hardware(msgspec.Struct):
        hardware: msgspec.Raw = msgspec.Raw(b"null")

    return section_digest(bytes(msgspec.json.decode(body, type=_Hardware).hardware))


def _store_before(s, credentials, body: bytes, sequence: int, at: datetime) -> None:  # type: ignore[no-untyped-def]
    """What main's store did: the whole body compressed, and the machine's state."""
    import hashlib

    s.execute(insert(StoredReport).values(agent_id=credentials.id, machine_id=credentials.machine_id,
                                          sequence=sequence, received_at=at, collected_at=at,
                                          body_sha256=hashlib.sha256(body).hexdigest(),
                                          body_zlib=zlib.compress(body, 6)))
    s.execute(update(Machine).where(Machine.id == credentials.machine_id)
              .values(state_json=body.decode(), state_sequence=sequence, last_seen_at=at))


def measure(url: str, pcs: int, days: int, after: bool) -> dict[str, object]:
    db = open_database(url)
    try:
        result = simulate(db, pcs, days, after)
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("VACUUM")
        else:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM FULL"))
        size = database_bytes(db.engine)
        with db.engine.connect() as connection:
            reports = connection.execute(text("SELECT count(*) FROM reports")).scalar_one()
        per_year = size / pcs * 365 / days
        result.update({"database_bytes": size, "reports_kept": reports, "bytes_per_pc_year": round(per_year)})
        print(f"  {db.engine.dialect.name} {'after' if after else 'before'}: {size / 2**20:.1f} MiB for {pcs} PCs x "
              f"{days} days, {reports} reports kept: {per_year / 2**20:.1f} MiB per PC-year ({result['seconds']} s)",
              file=sys.stderr)
        return result
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pcs", type=int, default=2)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgresql-only", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result: dict[str, object] = {"pcs": args.pcs, "days": args.days}
    for mode in ("before", "after"):
        if not args.postgresql_only:
            with tempfile.TemporaryDirectory() as folder:
                result[f"sqlite_{mode}"] = measure(f"sqlite:///{folder}/bench.db", args.pcs, args.days,
                                                   mode == "after")
        if not args.sqlite_only:
            base = os.environ.get("CANHGAC_TEST_PG_URL", DEFAULT_PG)
            result[f"postgresql_{mode}"] = with_fresh_pg_schema(
                base, lambda url, mode=mode: measure(url, args.pcs, args.days, mode == "after"))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{key}: {value['bytes_per_pc_year'] / 2**20:.2f} MiB per PC-year "
                  f"({value['reports_kept']} reports kept; changes {value['changes']})")


if __name__ == "__main__":
    main()
