"""``canhgac demo``: a real server on a database, fed the simulated province through the real
enroll and signed-report path (the offline PC through the same verification, as a file import)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from agent.transport import enroll as enroll_over_http
from agent.transport import send_report
from agent.wire.schema import EnrollRequest, EnrollResponse, Role, encode_report
from agent.wire.signing import signed_headers
from collector.config import CollectorConfig
from collector.db import Database
from collector.intake.ingest import IngestLimits, ingest_report
from collector.models.units import Unit
from collector.store.enrollment import create_enrollment_token, enroll
from collector.store.people import add_user, issue_api_token
from collector.store.units import add_unit
from server.app import create_app
from server.demo_fleet import UNITS, DemoMachine, demo_machines, demo_report

DEMO_ADMIN = "demo-admin"
DEMO_OFFICER = "tanhoa-cntt"
DEMO_PASSWORD = "canhgac-demo"


@dataclass(frozen=True)
class DemoAccess:
    admin_token: str
    officer_token: str


class RunningServer:
    """uvicorn in a background thread on 127.0.0.1; ``port`` 0 picks a free port."""

    def __init__(self, config: CollectorConfig, db: Database) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(create_app(config, db), host=config.host, port=config.port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, name="canhgac-demo-server", daemon=True)

    def start(self, timeout_s: float = 20) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the demo server did not start (is the port free?)")
            time.sleep(0.05)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def is_seeded(db: Database) -> bool:
    with db.session() as session:
        return session.scalar(select(Unit.id).where(Unit.code == UNITS[0].code)) is not None


def seed_people_and_units(db: Database, now: datetime) -> tuple[dict[str, str], DemoAccess]:
    """Units, one enrollment token per unit, an admin and Tân Hòa's IT officer."""
    from argon2 import PasswordHasher

    password_hash = PasswordHasher().hash(DEMO_PASSWORD)
    with db.session() as session:
        for unit in UNITS:
            add_unit(session, unit.code, unit.name, unit.kind, now, unit.parent, unit.staff)
        tokens = {u.code: create_enrollment_token(session, u.code, timedelta(days=1), now)[0] for u in UNITS}
        add_user(session, DEMO_ADMIN, "admin", now, None, password_hash)
        add_user(session, DEMO_OFFICER, "officer", now, "DT-TANHOA", password_hash)
        access = DemoAccess(admin_token=issue_api_token(session, DEMO_ADMIN, timedelta(days=30), now),
                            officer_token=issue_api_token(session, DEMO_OFFICER, timedelta(days=30), now))
    return tokens, access


def feed_machine(base_url: str, db: Database, machine: DemoMachine, token: str, rng: random.Random,
                 limits: IngestLimits) -> None:
    """Enroll one machine and deliver two reports (yesterday's and today's)."""
    request = EnrollRequest(token=token, machine_uid=machine.machine_uid, hostname=machine.hostname,
                            role=machine.role, macs=[machine.mac], os_name="Windows")
    now = datetime.now(UTC)
    if machine.role is Role.OFFLINE:
        with db.session() as session:
            enrolled: EnrollResponse = enroll(session, request, now)
    else:
        enrolled = enroll_over_http(base_url, request, timeout=10)
    for sequence, age in ((1, timedelta(days=1)), (2, timedelta(minutes=rng.randint(1, 50)))):
        body = encode_report(demo_report(machine, enrolled.agent_id, sequence, now - age, rng))
        if machine.role is Role.OFFLINE:
            # Never over the network: verified and stored exactly as an imported file would be.
            headers = signed_headers(enrolled.agent_id, enrolled.key, int(time.time()), body)
            ingest_report(db, headers, body, datetime.now(UTC), limits)
        else:
            send_report(base_url, enrolled.agent_id, enrolled.key, body, timeout=10, now=time.time())


def feed_fleet(base_url: str, db: Database, tokens: dict[str, str], limits: IngestLimits,
               progress: Callable[[int, int], None]) -> int:
    rng = random.Random(2026)
    machines = demo_machines()
    for done, machine in enumerate(machines, start=1):
        feed_machine(base_url, db, machine, tokens[machine.unit], rng, limits)
        progress(done, len(machines))
    return len(machines)
