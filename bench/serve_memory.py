"""The memory of a real `canhgac serve` over many hostile requests (issue 14 item 3): does it settle?

Starts `canhgac serve` on 127.0.0.1 (a free port) on a fresh SQLite database, enrolls one agent,
then sends ROUNDS rounds of the hostile cases (deeply nested JSON to /enroll and in signed reports,
sequences past 2**31 and 2**63, NUL characters, over-long names, times without a zone, ids and
offsets past 64 bits, licence seats of 2**63), one client, and prints the server's RSS (VmRSS of
/proc/PID/status) every STEP rounds with the answers seen. Everything stays on loopback; the server
is stopped by its PID.

    python bench/serve_memory.py [--rounds 60] [--step 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hostile_requests(agent: dict[str, Any], enroll_token: str) -> list[dict[str, Any]]:
    """One round: keyword arguments for requests.request, each a case of issue 14 item 3."""
    from agent.wire.signing import signed_headers
    from tests.factories import report_body, with_field

    aid, key = agent["agent_id"], agent["key"]
    now = datetime.now(UTC)
    good = report_body(aid, 1, collected_at=now - timedelta(seconds=5))
    bodies = [
        good[:-1] + b',"x":' + b"[" * 5000 + b"]" * 5000 + b"}",
        with_field(good, ["identity", "sequence"], 2**31),
        with_field(good, ["identity", "sequence"], 2**63),
        with_field(good, ["identity", "hostname"], "pc\x00" + "h" * 300),
        with_field(good, ["software"], {"programs": [{"name": "Zalo\x00"}] * 50}),
        with_field(good, ["identity", "collected_at"], now.replace(tzinfo=None).isoformat()),
        with_field(good, ["hardware", "ram_bytes"], 10**40),
    ]
    reports = [{"method": "POST", "path": "/api/v1/reports", "data": body,
                "headers": signed_headers(aid, key, int(time.time()), body) | {"Content-Type": "application/json"}}
               for body in bodies]
    json_type = {"Content-Type": "application/json"}
    enrolls = [
        {"method": "POST", "path": "/api/v1/enroll", "data": b'{"token": ' + b"[" * 1000 + b"]" * 1000 + b"}",
         "headers": json_type},
        {"method": "POST", "path": "/api/v1/enroll", "data": b"[" * 30_000 + b"]" * 30_000, "headers": json_type},
        {"method": "POST", "path": "/api/v1/enroll", "json": {"token": enroll_token, "machine_uid": "u\x00",
                                                              "hostname": "h" * 300}},
    ]
    return reports + enrolls


def people_requests(admin_token: str) -> list[dict[str, Any]]:
    auth = {"Authorization": f"Bearer {admin_token}"}
    huge = "3909872161064275808326588039168"
    return [
        {"method": "GET", "path": f"/api/v1/alerts?offset={huge}", "headers": auth},
        {"method": "GET", "path": "/api/v1/machines/8948838057", "headers": auth},
        {"method": "POST", "path": "/api/v1/alerts/144115188075855873/ack", "headers": auth, "json": {"comment": "x"}},
        {"method": "GET", "path": "/api/v1/machines?unit=X%00A", "headers": auth},
        {"method": "POST", "path": "/api/v1/licences", "headers": auth,
         "json": {"product": "K", "match": "K*", "seats": 2**63, "expires": "2027-12-31", "unit": "XA"}},
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--step", type=int, default=5)
    args = parser.parse_args()

    import requests

    from collector.db import open_database
    from collector.store.enrollment import create_enrollment_token
    from collector.store.people import issue_api_token
    from tests.api_world import seed

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'serve.db'}"
        db = open_database(url, data_dir=Path(folder))
        seed(db)
        with db.session() as session:  # the seed's tokens are of the tests' frozen day; serve runs today
            now = datetime.now(UTC)
            tokens = {"XA": create_enrollment_token(session, "XA", timedelta(days=1), now)[0]}
            people = {"admin": issue_api_token(session, "admin", timedelta(days=1), now)}
        db.dispose()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (Path(folder) / "serve.log").open("w")
        env = {**os.environ}
        process = subprocess.Popen([sys.executable, "-m", "canhgac", "serve", "--db", url, "--port", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"{base}/api/v1/health", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    time.sleep(0.2)
            answer = requests.post(f"{base}/api/v1/enroll", json={"token": tokens["XA"], "machine_uid": "uid-1",
                                                                 "hostname": "pc-01"}, timeout=30)
            if answer.status_code != 201:
                raise SystemExit(f"enrollment failed: {answer.status_code} {answer.text}")
            agent = answer.json()
            session = requests.Session()
            statuses: Counter[int] = Counter()
            started = rss_kib(process.pid)
            print(f"serve PID {process.pid}: RSS {started[0] / 1024:.1f} MiB after start and one enrollment")
            sent = 0
            for round_ in range(1, args.rounds + 1):
                for request in hostile_requests(agent, tokens["XA"]) + people_requests(people["admin"]):
                    path = request.pop("path")
                    response = session.request(url=base + path, timeout=60, **request)
                    statuses[response.status_code] += 1
                    sent += 1
                if round_ % args.step == 0:
                    rss, peak = rss_kib(process.pid)
                    print(f"after {sent:5d} hostile requests: RSS {rss / 1024:6.1f} MiB (peak {peak / 1024:6.1f} MiB)")
            print("answers: " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
