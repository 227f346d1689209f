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

import msgspec

from agent.wire import clock
from agent.wire.schema import EnrollRequest, EnrollResponse, Role, encode_report
from agent.wire.signing import signed_headers
from collector.config import CollectorConfig
from collector.db import Database
from collector.errors import NotFound
from collector.intake.ingest import ingest_report
from collector.models.people import PersonRole
from collector.state import CollectorState
from collector.store.enrollment import create_enrollment_token, enroll
from collector.store.people import add_user, issue_api_token
from collector.store.units import add_unit, get_unit
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

        app = create_app(config, db)
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


def feed_machine(base_url: str, state: CollectorState, machine: DemoMachine, token: str,
                 rng: random.Random) -> None:
    """Enroll one machine and deliver two reports (yesterday's and today's)."""
    request = EnrollRequest(token=token, machine_uid=machine.machine_uid, hostname=machine.hostname,
                            role=machine.role, macs=[machine.mac], os_name="Windows")
    now = clock.utcnow()
    if machine.role is Role.OFFLINE:
        with state.db.session() as session:
            enrolled: EnrollResponse = enroll(session, request, now)
    else:
        answer = _post(f"{base_url}/api/v1/enroll", msgspec.json.encode(request), {"Content-Type": "application/json"})
        enrolled = msgspec.json.decode(answer, type=EnrollResponse)
    for sequence, age in ((1, timedelta(days=1)), (2, timedelta(minutes=rng.randint(1, 50)))):
        body = encode_report(demo_report(machine, enrolled.agent_id, sequence, now - age, rng))
        headers = signed_headers(enrolled.agent_id, enrolled.key, int(clock.utcnow().timestamp()), body)
        if machine.role is Role.OFFLINE:
            # Never over the network: verified and stored exactly as an imported file would be.
            ingest_report(state.db, headers, body, clock.utcnow(), state.limits, state.rules)
        else:
            _post(f"{base_url}/api/v1/reports", body, {**headers, "Content-Type": "application/json"})


def _post(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    import requests

    response = requests.post(url, data=body, headers=headers, timeout=10, allow_redirects=False)
    if response.status_code not in (200, 201):
        raise RuntimeError(f"the demo server refused {url}: HTTP {response.status_code} {response.text[:200]}")
    return response.content


def feed_fleet(base_url: str, state: CollectorState, tokens: dict[str, str],
               progress: Callable[[int, int], None]) -> int:
    rng = random.Random(2026)
    machines = demo_machines()
    for done, machine in enumerate(machines, start=1):
        feed_machine(base_url, state, machine, tokens[machine.unit], rng)
        progress(done, len(machines))
    return len(machines)
