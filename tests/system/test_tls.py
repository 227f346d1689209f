"""TLS end to end (issue 14.6): `canhgac serve --tls-cert --tls-key` with certificates openssl makes
here, and agents that trust the collector by a CA file or a pinned fingerprint kept in their state.
A wrong certificate is a clear error and the report stays in the spool. Loopback only."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.system.conftest import canhgac, free_port, stop_process

pytestmark = [pytest.mark.system,
              pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")]


@dataclass(frozen=True)
class Certs:
    ca: Path
    cert: Path
    key: Path
    fingerprint: str
    """As `openssl x509 -fingerprint -sha256` prints it."""
    other_cert: Path
    other_key: Path


def openssl(*args: str, cwd: Path) -> str:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A CA, a certificate it signed for 127.0.0.1, and a self-signed impostor for 127.0.0.1."""
    work = tmp_path_factory.mktemp("certs")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=canhgac test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=work)
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=work)
    (work / "server.ext").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                     "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "30", "-extfile", "server.ext", cwd=work)
    openssl("req", "-x509", *ec, "-keyout", "other.key", "-out", "other.pem", "-days", "30", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", cwd=work)
    printed = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", "server.pem", cwd=work).strip()
    for key in ("server.key", "other.key", "ca.key"):
        (work / key).chmod(0o600)
    return Certs(work / "ca.pem", work / "server.pem", work / "server.key", printed.split("=", 1)[1],
                 work / "other.pem", work / "other.key")


def start_tls_serve(db_url: str, port: int, log: Path, cert: Path, key: Path, anchor: Path) -> subprocess.Popen[str]:
    """A real `canhgac serve` over HTTPS on 127.0.0.1:``port``, once healthy (its certificate
    checked against ``anchor``)."""
    with log.open("a") as handle:
        process = subprocess.Popen([sys.executable, "-m", "canhgac", "serve", "--db", db_url, "--port", str(port),
                                    "--tls-cert", str(cert), "--tls-key", str(key), "--scan-interval-minutes", "0"],
                                   stdout=handle, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"canhgac serve exited:\n{log.read_text()}")
        try:
            if requests.get(f"https://127.0.0.1:{port}/api/v1/health", timeout=1, verify=str(anchor)).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    stop_process(process)
    raise AssertionError(f"canhgac serve did not become healthy:\n{log.read_text()}")


@dataclass
class TlsCollector:
    url: str
    db_url: str
    port: int
    log: Path
    process: subprocess.Popen[str]
    token: str
    api_token: str

    def restart(self, cert: Path, key: Path, anchor: Path) -> None:
        stop_process(self.process)
        self.process = start_tls_serve(self.db_url, self.port, self.log, cert, key, anchor)

    def machines(self, certs: Certs) -> list[dict[str, object]]:
        page = requests.get(f"{self.url}/api/v1/machines", headers={"Authorization": f"Bearer {self.api_token}"},
                            timeout=10, verify=str(certs.ca))
        items: list[dict[str, object]] = page.json()["items"]
        return items


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def collector(certs: Certs, tmp_path: Path) -> Iterator[TlsCollector]:
    db_url = f"sqlite:///{tmp_path / 'canhgac.db'}"
    db = {"CANHGAC_DB": db_url}
    ok(canhgac("db", "init", env=db))
    ok(canhgac("units", "add", "XA", "--name", "UBND xã A", "--kind", "commune", "--staff", "16", env=db))
    token = ok(canhgac("tokens", "create", "--unit", "XA", env=db)).strip()
    ok(canhgac("users", "add", "admin", "--role", "admin", env=db))
    api_token = ok(canhgac("users", "token", "admin", env=db)).strip()
    port = free_port()
    process = start_tls_serve(db_url, port, tmp_path / "serve.log", certs.cert, certs.key, certs.ca)
    found = TlsCollector(f"https://127.0.0.1:{port}", db_url, port, tmp_path / "serve.log", process, token, api_token)
    try:
        yield found
    finally:
        stop_process(found.process)


def spooled(state_dir: Path) -> list[str]:
    return sorted(p.name for p in (state_dir / "spool").glob("*.json"))


def test_an_agent_enrolled_with_the_ca_reports_over_https(collector: TlsCollector, certs: Certs,
                                                          tmp_path: Path) -> None:
    state_dir = tmp_path / "agent"
    enrolled = canhgac("agent", "enroll", "--server", collector.url, "--token", collector.token, "--ca",
                       str(certs.ca), "--state-dir", str(state_dir))
    ok(enrolled)
    assert "plain HTTP" not in enrolled.stderr
    state = json.loads((state_dir / "state.json").read_text())
    assert state["server_ca"] == certs.ca.read_text() and state["server_fingerprint"] == ""
    run = canhgac("agent", "run", "--once", "--state-dir", str(state_dir))
    ok(run)
    assert "plain HTTP" not in run.stderr and spooled(state_dir) == []
    machine = collector.machines(certs)[0]
    detail = requests.get(f"{collector.url}/api/v1/machines/{machine['id']}", timeout=10, verify=str(certs.ca),
                          headers={"Authorization": f"Bearer {collector.api_token}"}).json()
    assert detail["state"]["identity"]["transport"] == "https"


def test_the_ca_refuses_another_certificate_and_the_report_stays_in_the_spool(collector: TlsCollector, certs: Certs,
                                                                              tmp_path: Path) -> None:
    state_dir = tmp_path / "agent"
    ok(canhgac("agent", "enroll", "--server", collector.url, "--token", collector.token, "--ca", str(certs.ca),
               "--state-dir", str(state_dir)))
    # someone else answers at the collector's address:
    collector.restart(certs.other_cert, certs.other_key, certs.other_cert)
    run = canhgac("agent", "run", "--once", "--state-dir", str(state_dir))
    assert run.returncode == 3, run.stderr  # left in the spool for the next cycle
    assert "the collector's certificate is not a certificate signed by the CA given at enrollment" in run.stderr
    assert "the report stays in the spool" in run.stderr and "Traceback" not in run.stderr
    assert len(spooled(state_dir)) == 1
    again = canhgac("agent", "enroll", "--server", collector.url, "--token", collector.token, "--ca", str(certs.ca),
                    "--state-dir", str(tmp_path / "agent2"))
    assert again.returncode == 1 and "certificate is not" in again.stderr  # the token is not sent either
    collector.restart(certs.cert, certs.key, certs.ca)
    ok(canhgac("agent", "run", "--once", "--state-dir", str(state_dir)))
    assert spooled(state_dir) == []
    assert len(collector.machines(certs)) == 1


def test_a_pinned_fingerprint_trusts_that_certificate_only(collector: TlsCollector, certs: Certs,
                                                           tmp_path: Path) -> None:
    state_dir = tmp_path / "agent"
    ok(canhgac("agent", "enroll", "--server", collector.url, "--token", collector.token,
               "--fingerprint", f"sha256:{certs.fingerprint}", "--state-dir", str(state_dir)))
    state = json.loads((state_dir / "state.json").read_text())
    assert state["server_fingerprint"] == certs.fingerprint.replace(":", "").lower() and state["server_ca"] == ""
    ok(canhgac("agent", "run", "--once", "--state-dir", str(state_dir)))
    collector.restart(certs.other_cert, certs.other_key, certs.other_cert)
    run = canhgac("agent", "run", "--once", "--state-dir", str(state_dir))
    assert run.returncode == 3 and "SHA-256 fingerprint was pinned at enrollment" in run.stderr
    assert len(spooled(state_dir)) == 1


def test_an_unknown_ca_without_pinning_is_refused_by_the_system_store(collector: TlsCollector,
                                                                      tmp_path: Path) -> None:
    enrolled = canhgac("agent", "enroll", "--server", collector.url, "--token", collector.token,
                       "--state-dir", str(tmp_path / "agent"))
    assert enrolled.returncode == 1 and "a certificate the system trusts for this host" in enrolled.stderr
    assert not (tmp_path / "agent" / "state.json").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--ca", "missing.pem"], "cannot read the CA file"),
    (["--fingerprint", "sha256:12ab"], "is not a SHA-256 fingerprint"),
    (["--fingerprint", "sha256:" + "0" * 64, "--ca", "x.pem"], "not both"),
])
def test_bad_trust_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    done = canhgac("agent", "enroll", "--server", "https://127.0.0.1:9", "--token", "cge_x", *args,
                   "--state-dir", str(tmp_path / "agent"))
    assert done.returncode == 2 and message in done.stderr


def test_serve_needs_both_the_certificate_and_its_key(certs: Certs, tmp_path: Path) -> None:
    done = canhgac("serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--tls-cert", str(certs.cert))
    assert done.returncode == 2 and "tls_cert" in done.stderr and "needs tls_key as well" in done.stderr
    missing = canhgac("serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--tls-cert", str(tmp_path / "none.pem"),
                      "--tls-key", str(certs.key))
    assert missing.returncode == 2 and "no such file" in missing.stderr
