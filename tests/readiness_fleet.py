"""The demo's province (server.demo_fleet) stored through the real ingest path, in process: every
report signed and verified by collector.intake.ingest, so the readiness rows come from the ingest hook."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from agent.wire.schema import EnrollRequest, Role, encode_report
from agent.wire.signing import signed_headers
from collector.db import Database
from collector.intake.ingest import IngestLimits, ingest_report
from collector.judging.rules import load_rules
from collector.store.enrollment import enroll
from server.demo import DemoAccess, seed_people_and_units
from server.demo_fleet import demo_machines, demo_report

LIMITS = IngestLimits(max_body_bytes=1024 * 1024, signature_window_s=300)
BUILT_IN_RULES = load_rules(None)
"""The built-in packs, as a collector without an operator folder judges."""


def seed_demo_fleet(db: Database, now: datetime | None = None) -> DemoAccess:
    """Units, people and the 37 machines with two reports each (the offline PC's as imported files)."""
    now = now or datetime.now(UTC)
    tokens, access = seed_people_and_units(db, now)
    rng = random.Random(2026)
    for machine in demo_machines():
        request = EnrollRequest(token=tokens[machine.unit], machine_uid=machine.machine_uid,
                                hostname=machine.hostname, role=machine.role, macs=[machine.mac], os_name="Windows")
        with db.session() as session:
            enrolled = enroll(session, request, now)
        for sequence, age in ((1, timedelta(days=1)), (2, timedelta(minutes=rng.randint(1, 50)))):
            body = encode_report(demo_report(machine, enrolled.agent_id, sequence, now - age, rng))
            headers = signed_headers(enrolled.agent_id, enrolled.key, int(now.timestamp()), body)
            ingest_report(db, headers, body, now, LIMITS, BUILT_IN_RULES, via_network=machine.role is not Role.OFFLINE)
    return access
