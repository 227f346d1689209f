"""The work per report, in process: CPU milliseconds and SQL statements that ingest spends on one
signed report of 150 programs (verify, decode, store, judge), without HTTP or other clients.
CPU time of this process, so that it reads the same on a busy machine (wall time printed too).

    python bench/ingest_work.py [--agents 50] [--reports 2000] [--batch 32] [--programs 150] [--licensed]
                                [--compact-sections] [--postgresql]

The reports are those of bench/ingest.py (one program in 20 updated per report); they are
ingested ``--batch`` at a time through collector.intake.ingest.ingest_reports (the group commit's
path; --batch 1 is a transaction per report). ``--licensed``: the unit has a licence register entry
matching some of the programs (as a province registers its antivirus), so judging ranks each machine
among the entry's installs.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest import DEFAULT_PG, VOCABULARY, programs_of  # bench/ is the script's own folder
from pg_schema import with_fresh_pg_schema

from agent.wire.schema import EnrollRequest, Program, Software, encode_report
from agent.wire.sections import compact, section_digest, shared_sections
from agent.wire.signing import signed_headers
from collector.db import Database, open_database
from collector.intake.batch import ReportJob
from collector.intake.ingest import IngestLimits, ingest_reports
from collector.judging.rules import load_rules
from collector.store.enrollment import create_enrollment_token, enroll
from collector.store.licences import add_licence
from collector.store.units import add_unit
from server.demo_fleet import DemoMachine, demo_report

LIMITS = IngestLimits(max_body_bytes=1024 * 1024, signature_window_s=300)


def enrolled_agents(db: Database, count: int, now: datetime, licensed: bool = False,
                    ) -> list[tuple[DemoMachine, str, str]]:
    with db.session() as session:
        add_unit(session, "BENCH", "Đơn vị đo tải", "commune", now, staff_count=0)
        if licensed:
            add_licence(session, "Bench Program 00xx", "Bench Program 00*", count // 2, date(2030, 12, 31), "BENCH",
                        now)
        token, _ = create_enrollment_token(session, "BENCH", timedelta(hours=1), now, max_machines=None)
    agents = []
    for index in range(count):
        machine = DemoMachine(unit="BENCH", hostname=f"bench-{index:04d}", machine_uid=f"bench-{uuid.uuid4().hex}",
                              mac=f"02:be:00:00:{index // 256:02x}:{index % 256:02x}",
                              ip=f"10.99.{index // 250}.{index % 250 + 1}")
        with db.session() as session:
            answer = enroll(session, EnrollRequest(token=token, machine_uid=machine.machine_uid,
                                                   hostname=machine.hostname), now)
        agents.append((machine, answer.agent_id, answer.key))
    return agents


def signed_jobs(agents: list[tuple[DemoMachine, str, str]], reports: int, programs: int,
                now: datetime, compact_sections: bool = False) -> list[ReportJob]:
    """``reports`` signed reports, round robin over the agents, sequences counting up per agent.
    ``compact_sections``: each shared section the agent's previous report held too sent as its hash
    only, as the agent sends them (agent.delivery; bench/load.py does the same over HTTP)."""
    jobs = []
    state = {}
    known: dict[str, dict[str, str]] = {}
    for machine, agent_id, _key in agents:
        rng = random.Random(machine.machine_uid)
        state[agent_id] = (demo_report(machine, agent_id, 1, now, rng), programs_of(rng, programs), rng)
    for index in range(reports):
        machine, agent_id, key = agents[index % len(agents)]
        report, installed, rng = state[agent_id]
        sequence = index // len(agents) + 1
        if installed and sequence % 20 == 0:
            slot = rng.randrange(len(installed))
            installed[slot] = Program(name=f"{installed[slot].name.split(' (')[0]} (x64) v{sequence}")
        identity = msgspec.structs.replace(report.identity, sequence=sequence, collected_at=now)
        body = encode_report(msgspec.structs.replace(
            report, identity=identity, software=Software(programs=list(installed)) if installed else None))
        if compact_sections:
            left_out = compact(body, known[agent_id]) if known.get(agent_id) else None
            known[agent_id] = {name: section_digest(raw) for name, raw in shared_sections(body).items()}
            body = left_out[0] if left_out else body
        headers = signed_headers(agent_id, key, int(now.timestamp()), body)
        jobs.append(ReportJob(headers, body, now, via_network=True))
    return jobs


def measure(db_url: str, agents: int, reports: int, batch: int, programs: int, licensed: bool = False,
            compact_sections: bool = False) -> str:
    now = datetime.now(UTC)
    db = open_database(db_url)
    rules = load_rules(None)
    jobs = signed_jobs(enrolled_agents(db, agents, now, licensed), reports, programs, now, compact_sections)
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine, "before_cursor_execute", count)
    cpu, wall = time.process_time(), time.perf_counter()
    failed = 0
    for start in range(0, len(jobs), batch):
        results = ingest_reports(db, jobs[start:start + batch], LIMITS, rules)
        failed += sum(isinstance(r, BaseException) for r in results)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    db.dispose()
    backend = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    compacted = ", unchanged sections as their hash" if compact_sections else ""
    return (f"{backend}: {reports} reports ({programs} programs, batch {batch}{', licensed' if licensed else ''}"
            f"{compacted}): "
            f"{cpu / reports * 1000:.2f} ms CPU "
            f"and {statements / reports:.1f} SQL statements per report, {reports / wall:.0f} reports/s in one "
            f"thread (wall {wall:.1f} s); refused {failed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--programs", type=int, default=150)
    parser.add_argument("--licensed", action="store_true", help="A licence register entry covers the unit")
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--compact-sections", action="store_true",
                        help="Send each unchanged shared section as its hash, as the agent does")
    args = parser.parse_args()

    def run(url: str) -> str:
        return measure(url, args.agents, args.reports, args.batch, args.programs, args.licensed,
                       args.compact_sections)

    if args.postgresql:
        print(with_fresh_pg_schema(os.environ.get("CANHGAC_TEST_PG_URL", DEFAULT_PG), run))
    else:
        print(run(f"sqlite:///{Path(tempfile.mkdtemp(prefix='canhgac-bench-')) / 'bench.db'}"))
    print(f"vocabulary {VOCABULARY} program names; load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
