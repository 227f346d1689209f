"""The Linux hardening readers against the real programs: nft listing a ruleset loaded into a
network namespace the test creates (``unshare -rn``, gone when nft exits), gsettings reading a
dconf system database compiled by ``dconf compile``, Samba's testparm resolving an smb.conf,
and lastlog/wtmp files written by the login tools themselves (``lastlog --set`` in a chroot,
``utmpdump --reverse``). Nothing here sends a packet."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.probes import ProbeContext, hardening, hardening_linux
from agent.programs import CommandResult, run_command
from agent.wire.schema import ProbeError
from tests.agent.conftest import T0


def need(*programs: str) -> None:
    missing = [p for p in programs if hardening_linux._program(p) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (.ci/run installs it)")


def sh(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def runner(prefix: Sequence[str] = (), env: Mapping[str, str] | None = None):  # noqa: ANN201 - test helper
    """The real command seam, with ``prefix`` put before every command and ``env`` added."""

    def run(argv: Sequence[str], timeout: float, extra: Mapping[str, str] | None) -> CommandResult:
        return run_command([*prefix, *argv], timeout, {**(env or {}), **(extra or {})})

    return run


# --- nftables -----------------------------------------------------------------------------------


def in_namespace(tmp_path: Path, ruleset: str):  # noqa: ANN201 - test helper
    """Commands run in a fresh network namespace (unprivileged user namespace) holding ``ruleset``."""
    need("nft", "unshare")
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode != 0:
        pytest.skip("unshare -rn (user and network namespaces) is not allowed here")
    rules = tmp_path / "ruleset.nft"
    rules.write_text(ruleset)
    return runner(["unshare", "-rn", "sh", "-c", 'nft -f "$0" && exec "$@"', str(rules)])


INPUT_DROP = "table inet filter {\n chain input { type filter hook input priority 0; policy drop; }\n}\n"
INPUT_RULES = ("table ip filter {\n chain INPUT { type filter hook input priority 0; policy accept;\n"
               "  tcp dport 445 drop\n }\n}\n")
FORWARD_ONLY = ("table inet filter {\n chain input { type filter hook input priority 0; policy accept; }\n"
                " chain forward { type filter hook forward priority 0; policy drop; }\n}\n")


@pytest.mark.parametrize(
    ("ruleset", "expected"),
    [("", False), (INPUT_DROP, True), (INPUT_RULES, True), (FORWARD_ONLY, False)],
)
def test_it_reads_the_nftables_ruleset_nft_lists(tmp_path: Path, ruleset: str, expected: bool) -> None:
    ctx = ProbeContext(now=T0, run=in_namespace(tmp_path, ruleset))
    assert hardening_linux.read_nftables(ctx) is expected


def test_nftables_speaks_when_ufw_is_absent_and_ufw_wins_when_on(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = ProbeContext(now=T0, run=in_namespace(tmp_path, INPUT_DROP))
    monkeypatch.setattr(hardening_linux, "UFW_CONF", tmp_path / "absent.conf")
    errors: list[ProbeError] = []
    assert hardening_linux.read_linux_firewall(ctx, errors) == {"nftables": True} and errors == []
    (tmp_path / "ufw.conf").write_text("ENABLED=yes\n")
    monkeypatch.setattr(hardening_linux, "UFW_CONF", tmp_path / "ufw.conf")
    assert hardening_linux.read_linux_firewall(ctx, errors) == {"ufw": True}


def test_an_agent_without_net_admin_records_nfts_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need("nft", "setpriv")
    monkeypatch.setattr(hardening_linux, "UFW_CONF", tmp_path / "absent.conf")
    no_caps = ProbeContext(now=T0, run=runner(["setpriv", "--inh-caps=-all", "--bounding-set=-all"]))
    errors: list[ProbeError] = []
    assert hardening_linux.read_linux_firewall(no_caps, errors) == {}
    assert [e.what for e in errors] == ["nftables"] and "Operation not permitted" in errors[0].reason


# --- GNOME screen lock and autorun (gsettings over a dconf system database) ---------------------


def gnome(tmp_path: Path, keyfile: str | None) -> ProbeContext:
    """gsettings reading the installed GNOME schemas with ``keyfile`` compiled into the system
    database, as ``dconf update`` does for /etc/dconf/db/local.d."""
    need("gsettings", "dconf")
    if subprocess.run(["gsettings", "list-keys", "org.gnome.desktop.screensaver"], capture_output=True,
                      check=False).returncode != 0:
        pytest.skip("GNOME's schemas (gsettings-desktop-schemas) are not installed")
    profile = tmp_path / "profile"
    if keyfile is None:
        profile.write_text("user-db:user\n")
    else:
        (tmp_path / "local.d").mkdir()
        (tmp_path / "local.d" / "00-canhgac").write_text(keyfile)
        sh("dconf", "compile", str(tmp_path / "local"), str(tmp_path / "local.d"))
        profile.write_text(f"user-db:user\nfile-db:{tmp_path / 'local'}\n")
    return ProbeContext(now=T0, run=runner(env={"DCONF_PROFILE": str(profile)}))


LOCKED_DOWN = ("[org/gnome/desktop/session]\nidle-delay=uint32 600\n\n[org/gnome/desktop/screensaver]\n"
               "lock-enabled=true\nlock-delay=uint32 30\n\n[org/gnome/desktop/media-handling]\nautorun-never=true\n")


@pytest.mark.parametrize(
    ("keyfile", "timeout_s", "autorun_off"),
    [
        (None, 300, False),  # GNOME's schema defaults: blank after 300 s idle, lock at once; autorun offered
        (LOCKED_DOWN, 630, True),
        ("[org/gnome/desktop/screensaver]\nlock-enabled=false\n", 0, False),
        ("[org/gnome/desktop/session]\nidle-delay=uint32 0\n", 0, False),  # never idle: never locks
    ],
)
def test_it_reads_gnomes_screen_lock_and_autorun_as_gsettings_does(
    tmp_path: Path, keyfile: str | None, timeout_s: int, autorun_off: bool
) -> None:
    values = hardening_linux.read_gsettings(gnome(tmp_path, keyfile))
    assert hardening_linux.gnome_screen_lock_timeout(values) == timeout_s
    assert hardening_linux.gnome_autorun_disabled(values) is autorun_off


def test_without_gnomes_schemas_screen_lock_and_autorun_stay_unknown(tmp_path: Path) -> None:
    need("gsettings")
    ctx = ProbeContext(now=T0, run=runner(env={"XDG_DATA_DIRS": str(tmp_path), "GSETTINGS_SCHEMA_DIR": str(tmp_path)}))
    values = hardening_linux.read_gsettings(ctx)
    assert values == {}
    assert hardening_linux.gnome_screen_lock_timeout(values) is None
    assert hardening_linux.gnome_autorun_disabled(values) is None


# --- SMBv1 (Samba) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("global_section", "smb1"),
    [("", False), ("server min protocol = NT1\n", True), ("server min protocol = SMB3\n", False),
     ("server min protocol = LANMAN1\n", True)],
)
def test_it_reads_samba_s_minimum_protocol_as_testparm_resolves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, global_section: str, smb1: bool
) -> None:
    need("testparm")
    conf, smbd = tmp_path / "smb.conf", tmp_path / "smbd"
    conf.write_text(f"[global]\n   workgroup = UBND\n{global_section}")
    smbd.touch()
    monkeypatch.setattr(hardening_linux, "SAMBA_CONF", conf)
    monkeypatch.setattr(hardening_linux, "SMBD", (smbd,))
    assert hardening_linux.read_samba_smb1(ProbeContext(now=T0)) is smb1


def test_without_smbd_there_is_no_smb_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_run(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None) -> CommandResult:
        raise AssertionError(argv)

    monkeypatch.setattr(hardening_linux, "SMBD", (tmp_path / "smbd",))
    assert hardening_linux.read_samba_smb1(ProbeContext(now=T0, run=must_not_run)) is False


@pytest.mark.parametrize("text", ["", "Load smb config files from /etc/samba/smb.conf\n", "yes\n"])
def test_testparm_output_that_is_not_a_protocol_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="not a protocol name"):
        hardening_linux.parse_server_min_protocol(text)


# --- last logon (lastlog, wtmp) -----------------------------------------------------------------


PASSWD = ("root:x:0:0:root:/root:/bin/bash\ncanbo:x:1000:1000::/home/canbo:/bin/bash\n"
          "binh:x:1001:1001::/home/binh:/bin/bash\n")
# utmpdump's text form: type, pid, id, user, line, host, address, time (USER_PROCESS = 7, DEAD = 8)
WTMP_TEXT = (
    "[7] [04242] [ts/1] [canbo   ] [pts/1       ] [192.0.2.10          ] [192.0.2.10     ] "
    "[2026-11-20T08:15:00,000000+00:00]\n"
    "[8] [04242] [ts/1] [        ] [pts/1       ] [                    ] [0.0.0.0        ] "
    "[2026-11-20T09:00:00,000000+00:00]\n"
    "[7] [00977] [tty2] [binh    ] [tty2        ] [tty2                ] [0.0.0.0        ] "
    "[2026-11-21T07:30:05,000000+00:00]\n"
)


@pytest.fixture
def lastlog_root(tmp_path: Path) -> Path:
    """A chroot whose /var/log/lastlog was written by ``lastlog --set`` for canbo (uid 1000)."""
    need("lastlog")
    if os.geteuid() != 0:
        pytest.skip("lastlog --root chroots: root only")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(PASSWD)
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "lastlog").touch()
    sh("lastlog", "--root", str(tmp_path), "--user", "canbo", "--set")
    return tmp_path


def test_it_reads_the_lastlog_record_lastlog_wrote(lastlog_root: Path) -> None:
    printed = sh("lastlog", "--root", str(lastlog_root), "--user", "canbo").splitlines()[-1]
    expected = datetime.strptime(" ".join(printed.split()[-6:]), "%a %b %d %H:%M:%S %z %Y")
    path = lastlog_root / "var" / "log" / "lastlog"
    record_size = hardening_linux.LASTLOG_RECORD.size
    assert hardening_linux.parse_lastlog(hardening_linux._read_bytes(path, record_size, 1000)) == expected
    assert hardening_linux.parse_lastlog(hardening_linux._read_bytes(path, record_size, 1001)) is None
    assert hardening_linux.parse_lastlog(hardening_linux._read_bytes(path, record_size, 5000)) is None


def test_it_reads_the_logins_utmpdump_wrote_as_last_does(tmp_path: Path) -> None:
    need("utmpdump", "last")
    wtmp = tmp_path / "wtmp"
    wtmp.write_bytes(subprocess.run(["utmpdump", "--reverse"], input=WTMP_TEXT.encode(), capture_output=True,
                                    check=True).stdout)
    assert "canbo    pts/1        192.0.2.10       Fri Nov 20 08:15:00 2026" in sh(
        "env", "TZ=UTC", "last", "-F", "-f", str(wtmp))
    assert hardening_linux.parse_wtmp(wtmp.read_bytes()) == {"canbo": datetime(2026, 11, 20, 8, 15, tzinfo=UTC),
                                                       "binh": datetime(2026, 11, 21, 7, 30, 5, tzinfo=UTC)}
    # only the tail of a long wtmp is read, from the record boundary before it (here: the last two)
    assert hardening_linux.parse_wtmp(hardening_linux._read_bytes(wtmp, 384 + 100)) == {
        "binh": datetime(2026, 11, 21, 7, 30, 5, tzinfo=UTC)}


def test_an_accounts_last_logon_is_the_newer_of_lastlog_and_wtmp(lastlog_root: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    need("utmpdump")
    lastlog = lastlog_root / "var" / "log" / "lastlog"
    # `lastlog --set` wrote the real time of now: canbo's wtmp login is a day before it, whatever today is
    written = hardening_linux.parse_lastlog(hardening_linux._read_bytes(lastlog, hardening_linux.LASTLOG_RECORD.size,
                                                                        1000))
    assert written is not None
    in_wtmp = written - timedelta(days=1)
    wtmp = lastlog_root / "var" / "log" / "wtmp"
    text = WTMP_TEXT.replace("2026-11-20T08:15:00", in_wtmp.strftime("%Y-%m-%dT%H:%M:%S"))
    wtmp.write_bytes(subprocess.run(["utmpdump", "--reverse"], input=text.encode(), capture_output=True,
                                    check=True).stdout)
    monkeypatch.setattr(hardening_linux, "LASTLOG", lastlog)
    monkeypatch.setattr(hardening_linux, "WTMP", wtmp)
    files = {Path("/etc/passwd"): PASSWD, Path("/etc/group"): "sudo:x:27:canbo\n"}

    def read(path: Path) -> str:
        if path not in files:
            raise FileNotFoundError(2, "No such file", str(path))
        return files[path]

    errors: list[ProbeError] = []
    accounts = hardening_linux.read_linux_accounts(ProbeContext(now=T0, read_text=read), errors)
    by_name = {a.name: a for a in accounts}
    assert errors == []
    assert by_name["canbo"].last_logon and by_name["canbo"].last_logon > in_wtmp.replace(microsecond=0)
    assert by_name["canbo"].last_logon == written
    assert by_name["binh"].last_logon == datetime(2026, 11, 21, 7, 30, 5, tzinfo=UTC)  # wtmp only
    assert by_name["root"].last_logon is None


def test_hardening_on_this_machine_reads_every_linux_field_or_says_why() -> None:
    found = hardening.collect(ProbeContext(now=T0))
    assert found.smb1_enabled is not None or any(e.what == "samba" for e in found.errors)
    if shutil.which("gsettings") and hardening_linux._program("nft"):
        assert found.firewall_enabled or any(e.what == "nftables" for e in found.errors)
