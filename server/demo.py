"""``canhgac demo``: a real server on a database, fed the simulated province through the real
enroll and signed-report path over HTTP (the offline PC through the same verification, as a file
import). The demo is a client of the wire contract (agent.wire), as an agent is."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import msgspec

from agent.wire import clock
from agent.wire.schema import EnrollRequest, EnrollResponse, Role, encode_report
from agent.wire.signing import signed_headers
from collector.config import CollectorConfig
from collector.db import Database
from collector.errors import NotFound
from collector.intake.ingest import ingest_report
from collector.judging.rules import LoadedRules
from collector.judging.scan import scan_all
from collector.models.people import PersonRole
from collector.state import CollectorState
from collector.store.enrollment import create_enrollment_token, enroll
from collector.store.people import add_user, issue_api_token
from collector.store.units import add_unit, get_unit
from server.app import create_app
from server.demo_fleet import UNITS, DemoMachine, demo_machines, demo_report
from server.demo_network import poll_real_router, seed_lan, seed_router, store_sample_polls
from server.demo_registers import hear_agentless, seed_licences, seed_registers

DEMO_ADMIN = "demo-admin"
DEMO_OFFICER = "tanhoa-cntt"
DEMO_PASSWORD = "canhgac-demo"


@dataclass(frozen=True)
class DemoAccess:
    admin_token: str
    officer_token: str


class RunningServer:
    """uvicorn in a background thread on 127.0.0.1; ``port`` 0 picks a free port."""

    def __init__(self, config: CollectorConfig, db: Database, clock: Callable[[], datetime] | None = None) -> None:
        import uvicorn

        app = create_app(config, db, clock)
        self.state: CollectorState = app.state.collector
        self.server = uvicorn.Server(uvicorn.Config(app, host=config.host, port=config.port,
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
        try:
            get_unit(session, UNITS[0].code)
        except NotFound:
            return False
    return True


def seed_people_and_units(db: Database, now: datetime) -> tuple[dict[str, str], DemoAccess]:
    """Units, one enrollment token per unit, an admin and Tân Hòa's IT officer."""
    from argon2 import PasswordHasher

    password_hash = PasswordHasher().hash(DEMO_PASSWORD)
    with db.session() as session:
        for unit in UNITS:
            add_unit(session, unit.code, unit.name, unit.kind, now, unit.parent, unit.staff)
        tokens = {u.code: create_enrollment_token(session, u.code, timedelta(days=1), now)[0] for u in UNITS}
        add_user(session, DEMO_ADMIN, PersonRole.ADMIN, now, None, password_hash)
        add_user(session, DEMO_OFFICER, PersonRole.OFFICER, now, "DT-TANHOA", password_hash)
        access = DemoAccess(admin_token=issue_api_token(session, DEMO_ADMIN, timedelta(days=30), now),
                            officer_token=issue_api_token(session, DEMO_OFFICER, timedelta(days=30), now))
    return tokens, access


DEMO_RULES_DIR = Path(__file__).parent / "demo_rules"
"""The demo province's settings pack (its KMS host, its target): the demo's rules folder."""
ROUND_GAP = timedelta(days=20)
"""The first round of reports comes this long before the last: the trend has a start, and the
old backups cross 180 days between the two (their alert escalates)."""


class DemoClock:
    """The demo's clock: the real one, moved back while the first round is fed."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return clock.utcnow() + self.offset

    def set(self, at: datetime | None) -> None:
        """Make it ``at`` now (None: the real time again)."""
        self.offset = timedelta(0) if at is None else at - clock.utcnow()


class Delivery(Protocol):
    """How the demo's machines reach the collector (over HTTP, or in process for the tests)."""

    def enroll(self, request: EnrollRequest, now: datetime) -> EnrollResponse: ...

    def report(self, headers: dict[str, str], body: bytes, now: datetime, offline: bool) -> None: ...


@dataclass
class HttpDelivery:
    """The real path: enrollment and signed reports over HTTP; the offline PC by file import."""

    base_url: str
    state: CollectorState

    def enroll(self, request: EnrollRequest, now: datetime) -> EnrollResponse:
        if request.role is Role.OFFLINE:
            with self.state.db.session() as session:
                return enroll(session, request, now)
        answer = _post(f"{self.base_url}/api/v1/enroll", msgspec.json.encode(request),
                       {"Content-Type": "application/json"})
        return msgspec.json.decode(answer, type=EnrollResponse)

    def report(self, headers: dict[str, str], body: bytes, now: datetime, offline: bool) -> None:
        if offline:
            # Never over the network: verified and stored exactly as an imported file would be.
            ingest_report(self.state.db, headers, body, now, self.state.limits, self.state.rules)
        else:
            _post(f"{self.base_url}/api/v1/reports", body, {**headers, "Content-Type": "application/json"})


def _post(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    import requests

    response = requests.post(url, data=body, headers=headers, timeout=10, allow_redirects=False)
    if response.status_code not in (200, 201):
        raise RuntimeError(f"the demo server refused {url}: HTTP {response.status_code} {response.text[:200]}")
    return response.content


def seed_demo(db: Database, rules: LoadedRules, end: datetime, delivery: Delivery,
              set_time: Callable[[datetime], None], progress: Callable[[int, int], None] = lambda d, t: None,
              snmp_address: str | None = None) -> DemoAccess:
    """The whole demo, ending at ``end``: units and people; a first round of reports 20 days
    before; the registers and the LAN sweep; the scan (the trend's start); the last round; the
    dedicated line's router polled (the real snmpd at ``snmp_address``; None: stored sample polls);
    the scan again."""
    start = end - ROUND_GAP
    set_time(start)
    tokens, access = seed_people_and_units(db, start)
    with db.session() as session:
        seed_licences(session, start, end)
    machines, rng = demo_machines(), random.Random(2026)
    agents = {}
    for done, machine in enumerate(machines, start=1):
        request = EnrollRequest(token=tokens[machine.unit], machine_uid=machine.machine_uid,
                                hostname=machine.hostname, role=machine.role, macs=[machine.mac], os_name="Windows")
        agents[machine.hostname] = delivery.enroll(request, start)
        _send(delivery, machine, agents[machine.hostname], 1, start, end, rng)
        progress(done, 2 * len(machines))
    with db.session() as session:
        seed_registers(session, start)
        seed_lan(session, machines, start)
        router = seed_router(session, snmp_address, start)
    scan_all(db, start, rules, network=False)
    set_time(end)
    for done, machine in enumerate(machines, start=len(machines) + 1):
        _send(delivery, machine, agents[machine.hostname], 2, end, end, rng)
        progress(done, 2 * len(machines))
    with db.session() as session:
        hear_agentless(session, end)
        seed_lan(session, machines, end)
    poll_router(db, router, snmp_address, end)
    scan_all(db, end, rules, network=False)
    return access


def poll_router(db: Database, device_id: int, snmp_address: str | None, end: datetime) -> None:
    """The real snmpd polled twice (the scan itself does not poll in the demo: it would stamp the
    first round's scan with today's polls); without one, the stored sample polls."""
    if snmp_address is not None:
        poll_real_router(db)
        return
    with db.session() as session:
        store_sample_polls(session, device_id, "127.0.0.1", 1, end)


def _send(delivery: Delivery, machine: DemoMachine, enrolled: EnrollResponse, sequence: int, now: datetime,
          end: datetime, rng: random.Random) -> None:
    collected = now - timedelta(minutes=rng.randint(1, 50))
    body = encode_report(demo_report(machine, enrolled.agent_id, sequence, collected, rng, end))
    headers = signed_headers(enrolled.agent_id, enrolled.key, int(now.timestamp()), body)
    delivery.report(headers, body, now, machine.role is Role.OFFLINE)


def demo_count() -> int:
    """Reports the demo sends."""
    return 2 * len(demo_machines())
