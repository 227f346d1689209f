"""Hardening on Linux (agent.probes.hardening calls ``collect_linux``).

Linux: the firewall is ufw's own switch or, when ufw is absent or off, the nftables ruleset
(``nft -j list ruleset``, root only: an unprivileged agent records the error); apt's history;
dm-crypt devices; /etc/passwd + /etc/group (+ /etc/shadow when readable for "enabled"), each
account's last logon the newer of /var/log/lastlog and /var/log/wtmp. Screen lock and autorun
are GNOME's settings as ``gsettings`` reads them for a user who changed nothing: the schema
defaults with the administrator's dconf system databases (/etc/dconf/db, the only settings a
service can see) over them; a user may still change them for themselves unless the key is
locked. No GNOME schemas: None. SMBv1 is Samba's ``server min protocol`` as ``testparm``
resolves it (NT1 or older: on); no smbd installed means no SMB server: False.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
from datetime import UTC, datetime
from pathlib import Path

from agent.probes.context import ProbeContext, attempt, read_optional
from agent.wire.schema import Hardening, LocalAccount, ProbeError

UFW_CONF = Path("/etc/ufw/ufw.conf")
APT_HISTORY = Path("/var/log/apt/history.log")
SYS_BLOCK = Path("/sys/block")
ADMIN_GROUPS = frozenset({"sudo", "wheel", "admin"})
NO_LOGIN_SHELLS = ("nologin", "false", "sync", "halt", "shutdown")
NFT = ("nft", "-j", "list", "ruleset")
GSETTINGS_SCHEMAS = ("org.gnome.desktop.screensaver", "org.gnome.desktop.session", "org.gnome.desktop.media-handling")
SAMBA_CONF = Path("/etc/samba/smb.conf")
SMBD = (Path("/usr/sbin/smbd"), Path("/usr/local/samba/sbin/smbd"))
SMB1_PROTOCOLS = frozenset({"CORE", "COREPLUS", "LANMAN1", "LANMAN2", "NT1"})  # smb.conf(5) "server min protocol"
LASTLOG = Path("/var/log/lastlog")
WTMP = Path("/var/log/wtmp")
# <lastlog.h> on Linux (glibc, x86_64 too): int32 ll_time, char ll_line[32], char ll_host[256];
# <utmp.h>: short ut_type (+2 pad), int32 pid, line[32], id[4], user[32], host[256], exit 2 x short,
# int32 session, int32 tv_sec, int32 tv_usec, int32 addr_v6[4], 20 unused bytes.
LASTLOG_RECORD = struct.Struct("<i32s256s")
UTMP_RECORD = struct.Struct("<hxxi32s4s32s256shhiii16s20x")
USER_PROCESS = 7
WTMP_MAX_RECORDS = 10_000


# --- parsers ------------------------------------------------------------------------------------


def parse_ufw_conf(text: str) -> bool | None:
    """``ENABLED=yes|no`` of /etc/ufw/ufw.conf; None when it says neither."""
    found = re.search(r"^\s*ENABLED\s*=\s*(\w+)", text, re.MULTILINE)
    return {"yes": True, "no": False}.get(found.group(1).lower()) if found else None


def parse_apt_history(text: str) -> datetime | None:
    """The end of the newest apt run that upgraded packages (``Upgrade:``); apt writes local
    time (``End-Date: 2026-11-22  00:58:31``)."""
    newest = None
    for entry in re.split(r"\n\s*\n", text):
        found = re.search(r"^End-Date:\s*(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d)", entry, re.MULTILINE)
        if found and re.search(r"^Upgrade:", entry, re.MULTILINE):
            moment = datetime.fromisoformat(f"{found.group(1)}T{found.group(2)}").astimezone()
            newest = moment if newest is None or moment > newest else newest
    return newest


def parse_linux_accounts(passwd: str, group: str, shadow: str | None) -> list[LocalAccount]:
    """Login accounts: root and uid >= 1000 (not ``nobody``) with a login shell; admin when in
    sudo/wheel/admin; enabled unless the shadow password is locked (``!``/``*``), None when
    /etc/shadow is unreadable."""
    admins = {member for line in group.splitlines() if line.split(":")[0] in ADMIN_GROUPS
              for member in line.split(":")[-1].split(",") if member}
    locked = _locked_accounts(shadow) if shadow is not None else None
    accounts = []
    for line in passwd.splitlines():
        fields = line.split(":")
        if len(fields) < 7 or not fields[2].isdigit() or fields[0] == "nobody":
            continue
        uid, shell = int(fields[2]), fields[6]
        if (uid == 0 or uid >= 1000) and not shell.endswith(NO_LOGIN_SHELLS):
            enabled = None if locked is None else fields[0] not in locked
            accounts.append(LocalAccount(name=fields[0], enabled=enabled, admin=uid == 0 or fields[0] in admins))
    return accounts


def _locked_accounts(shadow: str) -> set[str]:
    return {f[0] for f in (line.split(":") for line in shadow.splitlines()) if len(f) > 1 and f[1][:1] in ("!", "*")}


def parse_nft_ruleset(text: str) -> bool:
    """``nft -j list ruleset``: on when a chain hooked on input drops/rejects by policy or holds
    a rule; an empty ruleset (nftables' own default) filters nothing."""
    items = json.loads(text).get("nftables", [])
    chains = [i["chain"] for i in items if "chain" in i]
    inputs = {(c.get("family"), c.get("table"), c.get("name")) for c in chains if c.get("hook") == "input"}
    if any(c.get("policy") in ("drop", "reject") for c in chains if c.get("hook") == "input"):
        return True
    return any((r.get("family"), r.get("table"), r.get("chain")) in inputs for r in (i["rule"] for i in items
                                                                                    if "rule" in i))


def parse_gsettings(text: str) -> dict[str, str]:
    """``gsettings list-recursively SCHEMA`` lines (``schema key value``) as ``schema key ->
    value`` (GVariant text such as ``true`` or ``uint32 300``)."""
    values = {}
    for line in text.splitlines():
        schema, _, rest = line.partition(" ")
        key, _, value = rest.partition(" ")
        if value:
            values[f"{schema} {key}"] = value.strip()
    return values


def gnome_screen_lock_timeout(values: dict[str, str]) -> int | None:
    """Seconds idle before GNOME locks: idle-delay (the screen blanks) + lock-delay; 0 when
    locking is off or the session never goes idle; None when GNOME's keys are not there."""
    enabled = values.get("org.gnome.desktop.screensaver lock-enabled")
    idle = values.get("org.gnome.desktop.session idle-delay")
    if enabled is None or idle is None:
        return None
    idle_s = _gvariant_int(idle)
    if enabled != "true" or idle_s == 0:
        return 0
    return idle_s + _gvariant_int(values.get("org.gnome.desktop.screensaver lock-delay", "0"))


def gnome_autorun_disabled(values: dict[str, str]) -> bool | None:
    """GNOME's ``autorun-never`` (never offer to run software found on inserted media);
    ``automount-open`` only opens a folder window, so it does not count."""
    never = values.get("org.gnome.desktop.media-handling autorun-never")
    return None if never is None else never == "true"


def parse_server_min_protocol(text: str) -> bool:
    """SMBv1 enabled from ``testparm -s --parameter-name "server min protocol"`` (its last
    line, e.g. ``SMB2_02``, Samba's default since 4.11); raises ValueError for other text."""
    lines = [line.strip().upper() for line in text.splitlines() if line.strip()]
    if not lines or not (lines[-1] in SMB1_PROTOCOLS or lines[-1].startswith("SMB")):
        raise ValueError(f"not a protocol name: {text.strip()[:80]!r}")
    return lines[-1] in SMB1_PROTOCOLS


def parse_lastlog(record: bytes) -> datetime | None:
    """One /var/log/lastlog record (the file holds one per uid, at uid x 292 bytes, sparse);
    None when never logged in or the record is past the file's end."""
    if len(record) < LASTLOG_RECORD.size:
        return None
    seconds = LASTLOG_RECORD.unpack_from(record)[0]
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def parse_wtmp(data: bytes) -> dict[str, datetime]:
    """User name -> newest login (USER_PROCESS record) in a wtmp file."""
    newest: dict[str, datetime] = {}
    for start in range(0, len(data) - UTMP_RECORD.size + 1, UTMP_RECORD.size):
        fields = UTMP_RECORD.unpack_from(data, start)
        if fields[0] != USER_PROCESS:
            continue
        user = fields[4].split(b"\0", 1)[0].decode("utf-8", errors="replace")
        when = datetime.fromtimestamp(fields[9], UTC)
        if user and (user not in newest or when > newest[user]):
            newest[user] = when
    return newest


# --- reading ----------------------------------------------------------------------------------


def collect_linux(ctx: ProbeContext) -> Hardening:
    errors: list[ProbeError] = []
    history = attempt(errors, "apt history", lambda: read_optional(ctx, APT_HISTORY), None)
    gnome = attempt(errors, "gsettings", lambda: read_gsettings(ctx), {})
    return Hardening(
        errors=errors,
        firewall_enabled=read_linux_firewall(ctx, errors),
        last_os_update=parse_apt_history(history) if history else None,
        screen_lock_timeout_s=attempt(errors, "screen lock", lambda: gnome_screen_lock_timeout(gnome), None),
        autorun_disabled=gnome_autorun_disabled(gnome),
        smb1_enabled=attempt(errors, "samba", lambda: read_samba_smb1(ctx), None),
        disk_encrypted=attempt(errors, "disk encryption", lambda: read_dm_crypt(ctx), None),
        local_accounts=attempt(errors, "local accounts", lambda: read_linux_accounts(ctx, errors), []),
    )


def read_linux_firewall(ctx: ProbeContext, errors: list[ProbeError]) -> dict[str, bool]:
    """{"ufw": True} when ufw is on; else what nftables says ({"nftables": ...}); else ufw's
    "off" when it is installed; {} when nothing could tell."""
    ufw = attempt(errors, "ufw", lambda: read_optional(ctx, UFW_CONF), None)
    ufw_on = parse_ufw_conf(ufw) if ufw else None
    if ufw_on:
        return {"ufw": True}
    nft = attempt(errors, "nftables", lambda: read_nftables(ctx), None)
    if nft is not None:
        return {"nftables": nft}
    return {"ufw": False} if ufw_on is False else {}


def read_nftables(ctx: ProbeContext) -> bool | None:
    """The ruleset's verdict; None when nft is not installed. Listing needs CAP_NET_ADMIN:
    nft's "Operation not permitted" becomes the recorded error."""
    if _program("nft") is None:
        return None
    done = ctx.run([str(_program("nft")), *NFT[1:]], 30.0, None)
    if done.returncode != 0:
        raise PermissionError(done.stderr.strip().splitlines()[0] if done.stderr.strip() else f"exit {done.returncode}")
    return parse_nft_ruleset(done.stdout)


def read_gsettings(ctx: ProbeContext) -> dict[str, str]:
    """GNOME's screen-lock and media keys; {} without gsettings or GNOME's schemas. The
    agent's own dconf user database is kept out (XDG_CONFIG_HOME elsewhere): only the schema
    defaults and the system databases count."""
    if shutil.which("gsettings") is None:
        return {}
    values: dict[str, str] = {}
    for schema in GSETTINGS_SCHEMAS:
        done = ctx.run(["gsettings", "list-recursively", schema], 30.0, {"XDG_CONFIG_HOME": "/nonexistent"})
        if done.returncode != 0:
            return {}  # "No such schema": not a GNOME machine
        values.update(parse_gsettings(done.stdout))
    return values


def read_samba_smb1(ctx: ProbeContext) -> bool:
    """False without smbd (no SMB server to speak SMBv1); else what testparm resolves from
    smb.conf, includes and Samba's compiled-in default together."""
    if not any(path.exists() for path in SMBD):
        return False
    done = ctx.run(["testparm", "-s", "--parameter-name", "server min protocol", str(SAMBA_CONF)], 30.0, None)
    if done.returncode != 0:
        raise ValueError(f"testparm exited {done.returncode}: {done.stderr.strip()[:200]}")
    return parse_server_min_protocol(done.stdout)


def read_dm_crypt(ctx: ProbeContext) -> bool:
    """True when a device-mapper device is a dm-crypt one (its uuid starts ``CRYPT-``)."""
    for uuid in SYS_BLOCK.glob("dm-*/dm/uuid"):
        if (read_optional(ctx, uuid) or "").startswith("CRYPT-"):
            return True
    return False


def read_linux_accounts(ctx: ProbeContext, errors: list[ProbeError]) -> list[LocalAccount]:
    try:
        shadow = read_optional(ctx, Path("/etc/shadow"))
    except PermissionError:
        shadow = None  # root-only: "enabled" stays unknown for an unprivileged agent
    passwd = read_optional(ctx, Path("/etc/passwd")) or ""
    accounts = parse_linux_accounts(passwd, read_optional(ctx, Path("/etc/group")) or "", shadow)
    uids = {f[0]: int(f[2]) for f in (line.split(":") for line in passwd.splitlines()) if len(f) > 2 and f[2].isdigit()}
    logins = attempt(errors, "wtmp", lambda: parse_wtmp(read_wtmp_tail(WTMP)), {})
    for account in accounts:
        uid = uids[account.name]
        record = attempt(errors, "lastlog", lambda uid=uid: _read_bytes(LASTLOG, LASTLOG_RECORD.size, uid), b"")
        seen = [t for t in (parse_lastlog(record), logins.get(account.name)) if t]
        account.last_logon = max(seen, default=None)
    return accounts


def read_wtmp_tail(path: Path) -> bytes:
    """The last WTMP_MAX_RECORDS records of a wtmp or utmp file; b"" when it is absent."""
    return _read_bytes(path, UTMP_RECORD.size * WTMP_MAX_RECORDS)


def _read_bytes(path: Path, size: int, index: int | None = None) -> bytes:
    """Record ``index`` of a binary log of ``size``-byte records, or its last ``size`` bytes
    (record-aligned, for wtmp) when no index is given; b"" when the log is absent."""
    try:
        with path.open("rb") as handle:
            end = handle.seek(0, 2)
            if index is not None:
                handle.seek(index * size)
                return handle.read(size)
            handle.seek(max(0, end - size) - max(0, end - size) % UTMP_RECORD.size)
            return handle.read()
    except FileNotFoundError:
        return b""


def _program(name: str) -> str | None:
    """A program on PATH or in the sbin directories a service's PATH may lack."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")

def _gvariant_int(text: str) -> int:
    """``uint32 300`` or ``300`` (gsettings prints the type only where it is not the default)."""
    return int(text.split()[-1])
