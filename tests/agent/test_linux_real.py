"""Linux readers against the real programs installed on this machine (Debian's clamav, restic,
borgbackup, openssl): real repositories with snapshots of known dates, a ClamAV signature
directory with a header in the real CVD format (cross-checked with ``sigtool --info``) and a
real detection by ``clamscan``. Nothing here touches the network (freshclam is never run)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.config import ProbeSettings, Repository
from agent.probes import ProbeContext, antivirus, backup, certificates, hardening, hardening_linux, software
from tests.agent.conftest import T0

BUILT = datetime(2026, 11, 19, 6, 30, tzinfo=UTC)  # three days before T0


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (.ci/run installs it)")


def run(*argv: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd,
                          timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


# --- ClamAV -------------------------------------------------------------------------------------


def write_cvd(path: Path, version: int, built: datetime, body: bytes = b"") -> None:
    """A database file with a header in the real layout of libclamav cvd.c (512 bytes, space
    padded): build time with ``-`` for ``:``, then version, signatures, f-level, md5, dsig,
    builder, stime."""
    header = (f"ClamAV-VDB:{built.strftime('%d %b %Y %H-%M %z')}:{version}:1:90:"
              f"d41d8cd98f00b204e9800998ecf8427e:nosig:canhgac-test:{int(built.timestamp())}")
    path.write_bytes(header.encode().ljust(512, b" ") + body)


@pytest.fixture
def clamav_dir(tmp_path: Path) -> Path:
    need("sigtool", "clamscan")
    db = tmp_path / "clamav"
    db.mkdir()
    write_cvd(db / "daily.cvd", 27345, datetime(2026, 11, 1, tzinfo=UTC))
    write_cvd(db / "daily.cld", 27350, BUILT)  # the higher version wins, as in clamscan
    return db


def test_it_reads_the_signature_header_sigtool_reads(clamav_dir: Path) -> None:
    header = antivirus.read_newest_header(clamav_dir, "daily")
    assert header is not None and (header.version, header.build_time, header.builder) == (27350, BUILT, "canhgac-test")
    info = run("sigtool", "--info", str(clamav_dir / "daily.cld"))
    assert "Build time: 19 Nov 2026 06:30 +0000" in info and "Version: 27350" in info


def test_it_reads_found_lines_clamscan_really_wrote(tmp_path: Path) -> None:
    need("sigtool", "clamscan")
    infected = tmp_path / "hồ sơ" / "tai-lieu.doc"
    infected.parent.mkdir()
    infected.write_text("CANHGAC-TEST-STRING-0123456789\n")
    (tmp_path / "test.hdb").write_text(run("sigtool", "--md5", str(infected)))
    log = tmp_path / "clamav.log"
    run("clamscan", "--no-summary", "-d", str(tmp_path / "test.hdb"), f"--log={log}", str(infected))
    (detection,) = antivirus.parse_clamav_found(log.read_text(), T0)
    assert detection.path == str(infected) and detection.threat.endswith(".UNOFFICIAL")
    assert detection.action == "found"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Sun Nov 22 07:00:00 2026 -> /home/a/eicar.com: Win.Test.EICAR_HDB-1 FOUND", "Win.Test.EICAR_HDB-1"),
        ("/home/a/notes.txt: OK", None),
        ("/home/a/x: Can't open file ERROR", None),
    ],
)
def test_it_only_takes_found_lines(line: str, expected: str | None) -> None:
    found = antivirus.parse_clamav_found(line, T0)
    assert [d.threat for d in found] == ([expected] if expected else [])


def test_the_clamav_product_tells_signature_age_and_staleness(
    clamav_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = clamav_dir / "clamd.conf"
    conf.write_text(f"# test\nDatabaseDirectory {clamav_dir}\nLogFile {clamav_dir / 'none.log'}\n")
    monkeypatch.setattr(antivirus, "CLAMAV_CONF_DIR", clamav_dir)
    (product,) = antivirus.collect(ProbeContext(now=T0)).products
    assert (product.name, product.signature_version, product.signatures_date) == ("ClamAV", "27350", BUILT)
    assert product.engine_version and product.engine_version[0].isdigit()
    assert product.signatures_age_days == pytest.approx(3.06, abs=0.01) and product.signatures_up_to_date
    later = antivirus.clamav_product(antivirus.read_newest_header(clamav_dir, "daily"), False, False,
                                     datetime(2026, 12, 1, tzinfo=UTC))
    assert later.signatures_up_to_date is False and later.enabled is False


def test_it_reads_the_engine_version_clamscan_prints(clamav_dir: Path, tmp_path: Path) -> None:
    package = run("dpkg-query", "-W", "-f", "${Version}", "clamav")  # e.g. 1.4.6+dfsg-0+deb12u1
    engine = package.split(":")[-1].split("+")[0]
    with_db = run("clamscan", "-d", str(clamav_dir), "--version")
    assert with_db.startswith(f"ClamAV {engine}/27350/")  # ClamAV 1.4.6/27350/Thu Nov 19 06:30:00 2026
    without_db = run("clamscan", "-d", str(tmp_path / "none"), "--version")
    assert antivirus.parse_clamav_version(with_db) == antivirus.parse_clamav_version(without_db) == engine
    assert antivirus.read_clamav_engine(ProbeContext(now=T0)) == engine


@pytest.mark.parametrize("text", ["", "clamscan: command not found", "ClamAV"])
def test_a_line_that_is_not_clamavs_version_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="not a ClamAV version line"):
        antivirus.parse_clamav_version(text)


def test_a_clamav_without_databases_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need("clamscan")
    (tmp_path / "clamd.conf").write_text(f"DatabaseDirectory {tmp_path}\n")
    monkeypatch.setattr(antivirus, "CLAMAV_CONF_DIR", tmp_path)
    found = antivirus.collect(ProbeContext(now=T0))
    assert found.products[0].signatures_date is None
    assert [e.what for e in found.errors] == ["clamav database"]


# --- restic and borg ---------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "bien-ban.docx").write_bytes(b"x" * 1000)
    return folder


def test_it_reads_the_newest_restic_snapshot(tmp_path: Path, data: Path) -> None:
    need("restic")
    repo, password = tmp_path / "restic", tmp_path / "restic.pass"
    password.write_text("mat-khau\n")
    env = {"RESTIC_PASSWORD_FILE": str(password), "RESTIC_CACHE_DIR": str(tmp_path / "cache")}
    run("restic", "--repo", str(repo), "init", env=env)
    for when in ("2026-08-01 10:00:00", "2026-10-15 21:30:00", "2026-09-01 10:00:00"):
        run("restic", "--repo", str(repo), "backup", "--time", when, str(data), env=env)
    ctx = ProbeContext(now=T0, settings=ProbeSettings(probe_gateway=False,
                                                      restic_repos=(Repository(str(repo), password),)))
    (source,) = backup.collect(ctx).sources
    local = datetime(2026, 10, 15, 21, 30).astimezone().astimezone(UTC)  # restic --time is local
    assert (source.kind, source.last_success, source.error) == ("restic", local, "")


def test_a_wrong_restic_password_is_the_sources_error(tmp_path: Path, data: Path) -> None:
    need("restic")
    repo, password, wrong = tmp_path / "restic", tmp_path / "p", tmp_path / "wrong"
    password.write_text("right")
    wrong.write_text("wrong")
    run("restic", "--repo", str(repo), "init", env={"RESTIC_PASSWORD_FILE": str(password)})
    source = backup.read_restic(ProbeContext(now=T0), Repository(str(repo), wrong))
    assert source.last_success is None and "password" in source.error.lower()


def test_it_reads_the_newest_borg_archive(tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need("borg")
    repo, passphrase = tmp_path / "borg", tmp_path / "borg.pass"
    passphrase.write_text("mat-khau-borg\n")
    env = {"BORG_PASSPHRASE": "mat-khau-borg", "BORG_BASE_DIR": str(tmp_path / "borg-home")}
    run("borg", "init", "--encryption", "repokey", str(repo), env=env)
    for name, stamp in (("a", "2026-09-01T10:00:00"), ("b", "2026-11-01T08:15:00")):
        run("borg", "create", "--timestamp", stamp, f"{repo}::{name}", str(data), env=env)
    monkeypatch.setenv("BORG_BASE_DIR", str(tmp_path / "borg-home"))
    source = backup.read_borg(ProbeContext(now=T0), Repository(str(repo), passphrase))
    # borg create --timestamp is UTC; borg 1.x lists local time without an offset
    assert (source.last_success, source.error) == (datetime(2026, 11, 1, 8, 15, tzinfo=UTC), "")


def test_a_backup_folder_tells_its_newest_file_and_a_missing_one_its_error(tmp_path: Path, data: Path) -> None:
    stamp = datetime(2026, 10, 1, 12, 0, tzinfo=UTC).timestamp()
    os.utime(data / "bien-ban.docx", (stamp, stamp))
    (data / "Thumbs.db").write_bytes(b"y")  # Windows touches it by itself: ignored
    settings = ProbeSettings(probe_gateway=False, backup_folders=(data, tmp_path / "missing"))
    found, missing = backup.collect(ProbeContext(now=T0, settings=settings)).sources
    assert (found.last_success, found.size_bytes) == (datetime(2026, 10, 1, 12, 0, tzinfo=UTC), 1000)
    assert missing.last_success is None and "No such file" in missing.error


# --- certificates -------------------------------------------------------------------------------


def test_it_reads_pem_and_pkcs12_certificates_as_openssl_does(tmp_path: Path) -> None:
    need("openssl")
    key, pem, p12, password = (tmp_path / n for n in ("k.pem", "c.pem", "c.p12", "p12.pass"))
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(pem),
        "-days", "30", "-utf8", "-subj", "/C=VN/O=UBND xã Tân Hòa/CN=Nguyễn Văn An")
    password.write_text("bi-mat\n")
    run("openssl", "pkcs12", "-export", "-in", str(pem), "-inkey", str(key), "-out", str(p12),
        "-passout", f"file:{password}")
    serial = run("openssl", "x509", "-in", str(pem), "-noout", "-serial").strip().split("=")[1]
    settings = ProbeSettings(probe_gateway=False, certificate_files=(pem, p12, tmp_path / "missing.pem"),
                             certificate_password_file=password)
    found = certificates.collect(ProbeContext(now=T0, settings=settings))
    from_pem, from_p12 = found.certificates
    assert from_pem.subject == "C=VN, O=UBND xã Tân Hòa, CN=Nguyễn Văn An" == from_pem.issuer
    # openssl prints whole bytes (a leading 0 nibble stays: "08758C..."), as the probe does
    assert from_pem.serial == serial and from_p12.serial == from_pem.serial
    assert from_pem.not_after and from_pem.not_before and (from_pem.not_after - from_pem.not_before).days == 30
    assert [e.what for e in found.errors] == [f"certificate {tmp_path / 'missing.pem'}"]


def test_a_file_that_is_not_a_certificate_is_an_error_not_a_crash(tmp_path: Path) -> None:
    junk = tmp_path / "junk.cer"
    junk.write_bytes(b"\x30\x82\xff\xff not a certificate")
    settings = ProbeSettings(probe_gateway=False, certificate_files=(junk,))
    assert certificates.collect(ProbeContext(now=T0, settings=settings)).errors[0].reason


# --- software and hardening ---------------------------------------------------------------------


def test_it_lists_dpkg_packages_of_this_machine() -> None:
    need("dpkg-query")
    programs = software.collect(ProbeContext(now=T0)).programs
    names = {p.name for p in programs}
    assert {"clamav", "restic", "borgbackup"} <= names
    assert all(p.version for p in programs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Start-Date: 2026-11-22  00:58:25\nInstall: x\nEnd-Date: 2026-11-22  00:58:31\n", None),  # install only
        ("Start-Date: 2026-11-20  09:00:00\nUpgrade: perl:amd64 (1, 2)\nEnd-Date: 2026-11-20  09:01:00\n\n"
         "Start-Date: 2026-11-22  00:58:25\nInstall: x\nEnd-Date: 2026-11-22  00:58:31\n",
         datetime(2026, 11, 20, 9, 1).astimezone()),
    ],
)
def test_the_last_os_update_is_the_newest_apt_upgrade(text: str, expected: datetime | None) -> None:
    assert hardening_linux.parse_apt_history(text) == expected


def test_it_lists_login_accounts_and_their_admin_rights() -> None:
    passwd = ("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n"
              "an:x:1000:1000::/home/an:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n"
              "binh:x:1001:1001::/home/binh:/bin/bash\n")
    accounts = hardening_linux.parse_linux_accounts(passwd, "sudo:x:27:an\n", "root:*:1::\nan:$y$j9T:1::\nbinh:!:1::\n")
    assert [(a.name, a.enabled, a.admin) for a in accounts] == [
        ("root", False, True), ("an", True, True), ("binh", False, False)]
    assert hardening_linux.parse_ufw_conf("# ufw\nENABLED=yes\n") is True


def test_hardening_reads_this_machine() -> None:
    found = hardening.collect(ProbeContext(now=T0))
    assert found.errors == [] and found.last_os_update is not None
    assert any(a.name == "root" for a in found.local_accounts)
