"""The demo's province (server.demo, server.demo_fleet) stored through the real ingest path, in
process: every report signed and verified by collector.intake.ingest, the two rounds and the
registers exactly as ``canhgac demo`` feeds them, so the figures a test asserts are the demo's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from agent.wire.schema import EnrollRequest, EnrollResponse
from collector.db import Database
from collector.intake.ingest import IngestLimits, ingest_report
from collector.judging.rules import LoadedRules, load_rules
from collector.store.enrollment import enroll
from server.demo import DEMO_RULES_DIR, DemoAccess, seed_demo

LIMITS = IngestLimits(max_body_bytes=1024 * 1024, signature_window_s=300)
BUILT_IN_RULES = load_rules(None)
"""The built-in packs, as a collector without an operator folder judges."""
DEMO_RULES = load_rules(DEMO_RULES_DIR)
"""The built-in packs and the demo province's settings (its KMS host, its target), as the demo judges."""


@dataclass
class InProcess:
    db: Database
    rules: LoadedRules

    def enroll(self, request: EnrollRequest, now: datetime) -> EnrollResponse:
        with self.db.session() as session:
            return enroll(session, request, now)

    def report(self, headers: dict[str, str], body: bytes, now: datetime, offline: bool) -> None:
        ingest_report(self.db, headers, body, now, LIMITS, self.rules, via_network=not offline)


def seed_demo_fleet(db: Database, now: datetime | None = None, rules: LoadedRules = DEMO_RULES) -> DemoAccess:
    """The demo ending at ``now``: units, people, the 37 PCs and the declared Windows 7 PC, two
    rounds of reports 20 days apart (the offline PC's as imported files), the registers, the scans."""
    return seed_demo(db, rules, now or datetime.now(UTC), InProcess(db, rules), lambda _at: None)
